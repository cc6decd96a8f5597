"""Polars and Spark ``local[2]`` on the same jobs, each run as a whole command.

Run ``uv run --extra spark python -m benchmarks.bench_engines [--scale full|small] [--write]``.

What is measured, and why this way:

* **Jobs**: the 14.3M-cell mapping instance of ``bench_mapping`` (SYNTHETIC NUTS 3 x NACE
  class x 20 years, the real CMP clusters derived to NACE), written once to Parquet, untimed;
  and a SYNTHETIC SIRENE-shaped register of 50 million establishments
  (``benchmarks.synthetic_register``) taken to a rated cluster map by the user's own command,
  ``clusterhub register --engine polars|spark``.
* **Wall time** of ``python -m benchmarks.engine_job`` in a fresh process, from start to exit:
  interpreter and imports, Spark's start (about 5 s), reading the Parquet file, computing,
  collecting and writing the result. That is what a user waits for; Spark's fixed start is
  reported apart so that the computing cost can be read too.
* **Peak memory**: the largest sum of the resident memory of the job's process and all its
  descendants (Spark's JVM is a child process), sampled every 0.1 s with psutil.
* **Agreement**: the two outputs must have the same rows and values (floats to 1e-9, ranks
  and flags exactly), else the comparison would be of different work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import psutil
from polars.testing import assert_frame_equal

from benchmarks.bench_mapping import REPORT, machine_facts, write_marked
from benchmarks.synthetic import DEFAULT_SEED, SCALES, ScaleName, generate
from benchmarks.synthetic_register import DEFAULT_ROWS, write_register

ENGINES = ("polars", "spark")
#: The issue's bound for the Polars engine streaming the 50M-row register.
TARGET_PEAK_BYTES = 4_000_000_000
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Run:
    """One engine's whole command: wall time and the peak memory of its process tree."""

    engine: str
    seconds: float
    peak_bytes: int


def measure(command: list[str]) -> tuple[float, int]:
    """Wall time of ``command`` and the peak summed RSS of it and its descendants."""
    start = time.perf_counter()
    process = psutil.Popen(command)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process))
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return seconds, peak


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            continue
    return total


def spark_facts() -> dict[str, str]:
    """The Spark and Java versions the Spark numbers depend on."""
    import pyspark  # noqa: PLC0415 - the optional extra, needed only here

    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    first = (java.stderr or java.stdout).splitlines()
    return {
        "Spark": f"pyspark {pyspark.__version__}, local[2], driver memory 2g",
        "Java": first[0] if first else "unknown",
    }


def spark_start_seconds() -> float:
    """Spark's fixed cost: a process that only starts local[2] and stops it."""
    code = (
        "from clusterhub.stats.engines import SparkSettings;"
        "from clusterhub.stats.spark.session import spark_session;"
        "spark_session(SparkSettings()).stop()"
    )
    return measure([sys.executable, "-c", code])[0]


def mapping_inputs(scale: ScaleName, folder: Path) -> tuple[list[str], int]:
    """Write the mapping instance's cells, taxonomy and partition; the job's arguments."""
    data = generate(SCALES[scale], DEFAULT_SEED, "cmp-nace")
    data.cells.write_parquet(folder / "cells.parquet")
    data.members.write_parquet(folder / "members.parquet")
    (folder / "partition.json").write_text(json.dumps(sorted(data.partition_codes)))
    arguments = [
        "--cells", str(folder / "cells.parquet"),
        "--members", str(folder / "members.parquet"),
        "--partition", str(folder / "partition.json"),
    ]  # fmt: skip
    return arguments, data.cells.height


def run_mapping(scale: ScaleName) -> tuple[list[Run], int, int, float]:
    """Both engines on the mapping job; runs, cells, output rows and Spark's start."""
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        folder = Path(tmp)
        print(f"writing the {scale} mapping instance ...", flush=True)
        arguments, cells = mapping_inputs(scale, folder)
        runs = []
        for engine in ENGINES:
            out = folder / f"{engine}.parquet"
            command = [sys.executable, "-m", "benchmarks.engine_job", "mapping"]
            print(f"running {engine} ...", flush=True)
            seconds, peak = measure([*command, "--engine", engine, *arguments, "--out", str(out)])
            runs.append(Run(engine, seconds, peak))
        polars, spark = (pl.read_parquet(folder / f"{e}.parquet") for e in ENGINES)
        assert_frame_equal(polars, spark, rel_tol=1e-9, abs_tol=0.0)
        start = spark_start_seconds()
    return runs, cells, polars.height, start


def run_register(rows: int, folder: Path | None) -> tuple[list[Run], dict[str, str], int]:
    """Both engines on ``clusterhub register``; runs, the register's facts, map rows."""
    with tempfile.TemporaryDirectory(prefix="bench-register-") as tmp:
        work = Path(tmp)
        source = folder or work
        facts = {"register": _marker_text(source)}
        if folder is None:
            print(f"writing a {rows:,}-row register ...", flush=True)
            facts = write_register(source, rows)
        runs = []
        for engine in ENGINES:
            out = work / f"{engine}.parquet"
            command = [
                str(Path(sys.executable).with_name("clusterhub")), "register",
                "--input", str(source / "SYNTHETIC-sirene"),
                "--places", str(source / "SYNTHETIC-lau-nuts3.csv"),
                "--year", "2024", "--out", str(out), "--engine", engine,
            ]  # fmt: skip
            print(f"running {engine} ...", flush=True)
            seconds, peak = measure(command)
            runs.append(Run(engine, seconds, peak))
        polars, spark = (pl.read_parquet(work / f"{e}.parquet") for e in ENGINES)
        assert_frame_equal(polars, spark, rel_tol=1e-9, abs_tol=0.0)
    return runs, facts, polars.height


def _marker_text(folder: Path) -> str:
    """What the generator wrote about a register made earlier (its ``_SYNTHETIC.txt``)."""
    marker = folder / "SYNTHETIC-sirene" / "_SYNTHETIC.txt"
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else str(folder)


def render_register(runs: list[Run], facts: dict[str, str], rows: int) -> str:
    """The BENCHMARKS.md section of the register job."""
    lines = "\n".join(f"- **{k}**: {v}" for k, v in {**machine_facts(), **spark_facts()}.items())
    made = "\n".join(f"- {k}: {v}" for k, v in facts.items())
    table = "\n".join(f"| {r.engine} | {r.seconds:.1f} | {r.peak_bytes / 1e9:.2f} |" for r in runs)
    polars, spark = runs
    met = "met" if polars.peak_bytes <= TARGET_PEAK_BYTES else "not met"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""## Engines: a 50-million-establishment register to a cluster map

Run on {now} with `uv run --extra spark python -m benchmarks.bench_engines --job register --write`.

{lines}

**Input: SYNTHETIC** SIRENE-shaped register (`benchmarks/synthetic_register.py`, Parquet):
{made}

Measured: the user's command `clusterhub register --input REGISTER --places LAU.csv --year 2024
--out map.parquet --engine E` in a fresh process: reading the reference data, placing and
classing every establishment, summing cells (Polars: one streaming pass; Spark: the file read
by Spark), then filling, aggregating, measuring and rating; {rows:,} rated cluster cells out.
Peak memory is the process tree's (Spark's JVM included).

| engine | wall time (s) | peak RSS (GB) |
|---|---|---|
{table}

Spark / Polars wall time: **{spark.seconds / polars.seconds:.1f}x**. Target: Polars streaming
within 4 GB: **{met}** ({polars.peak_bytes / 1e9:.2f} GB).

Agreement: **identical** cluster maps (floats to 1e-9, ranks, flags and stars exact).

"""


def render(scale: ScaleName, runs: list[Run], cells: int, rows: int, start: float) -> str:
    """The BENCHMARKS.md section."""
    facts = "\n".join(f"- **{k}**: {v}" for k, v in {**machine_facts(), **spark_facts()}.items())
    size = SCALES[scale]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = "\n".join(f"| {r.engine} | {r.seconds:.1f} | {r.peak_bytes / 1e9:.2f} |" for r in runs)
    polars, spark = runs
    return f"""## Engines: Polars and Spark local[2], the `{scale}` mapping instance

Run on {now} with `uv run --extra spark python -m benchmarks.bench_engines --scale {scale} --write`.

{facts}

**Input: SYNTHETIC** {cells:,} industry cells ({size.regions:,} NUTS 3 regions x NACE classes x
{size.years} years, seed {DEFAULT_SEED}), read from Parquet; the real CMP clusters derived to
NACE; {rows:,} rated cluster cells out. Each engine runs as a whole command in a fresh process
(start, read, aggregate, measure, rate, write); peak memory is the process tree's (Spark's JVM
included).

| engine | wall time (s) | peak RSS (GB) |
|---|---|---|
{table}

Spark's fixed start (a process that starts local[2] and stops): {start:.1f} s. Spark /
Polars wall time: **{spark.seconds / polars.seconds:.1f}x**.

Agreement: **identical** rows and values (floats to 1e-9, ranks, flags and stars exact).

"""


def main(argv: list[str] | None = None) -> int:
    """Command line: run, print the section, and record it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", choices=["mapping", "register"], default="mapping")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="register rows")
    parser.add_argument("--register", type=Path, help="a register written earlier (its folder)")
    parser.add_argument("--write", action="store_true", help=f"record in {REPORT.name}")
    args = parser.parse_args(argv)
    if args.job == "register":
        runs, facts, rows = run_register(args.rows, args.register)
        text, section = render_register(runs, facts, rows), "engines:register"
    else:
        runs, cells, rows, start = run_mapping(args.scale)
        text = render(args.scale, runs, cells, rows, start)
        section = f"engines:mapping:{args.scale}"
    print(text)
    if args.write:
        write_marked(text, section)
        print(f"recorded in {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
