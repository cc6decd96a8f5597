"""Time and measure the engine against the pandas baseline on SYNTHETIC NUTS 3 x NACE data.

Run ``uv run python -m benchmarks.bench_mapping [--scale full|small] [--repeat N] [--write]``
(``make bench`` is the full scale with ``--write``).

What is measured, and why this way:

* **Wall time**, in this process, of ``aggregate_to_clusters`` + ``rate_clusters`` (clusterhub)
  and of the same two steps of :mod:`benchmarks.pandas_baseline`, each repeated; min and median
  are reported, the median is held against the targets. The data are generated once and
  converted to pandas once, outside the timed region, since the issue asks for the cost of the
  computation, not of reading.
* **Agreement**: the outputs of the last repetition must have the same rows and values (floats
  to 1e-9 relative, flags and ranks exactly), else the comparison would be of different work.
* **Peak memory**: each implementation runs once more in a fresh ``spawn`` child, which
  regenerates the same seeded data, resets the kernel's resident-set high-water mark
  (``/proc/self/clear_refs`` = 5) and reads ``VmHWM`` from ``/proc/self/status`` after the run.
  The peak therefore includes the resident input data (what a user needs to do the job) but
  not the generator's temporaries. ``getrusage(RUSAGE_CHILDREN)`` is not used because Linux
  carries the parent's high-water mark into a child started by fork/vfork + exec, which would
  report the parent's gigabytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
import polars as pl

import clusterhub.stats
from benchmarks import pandas_baseline
from benchmarks.synthetic import (
    DEFAULT_SEED,
    SCALES,
    ScaleName,
    SyntheticData,
    TaxonomyName,
    generate,
)
from clusterhub.stats.mapping import aggregate_to_clusters, nuts_region_type, rate_clusters
from clusterhub.stats.metrics import PEER_GROUP, RANKED

Implementation = Literal["clusterhub", "pandas"]
T = TypeVar("T")

REPORT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
TARGET_SECONDS = 10.0
TARGET_PEAK_BYTES = 4_000_000_000
TARGET_SPEEDUP = 5.0
KEYS = ["year", "cluster_code", "region_code"]
STAR_NAMES = ("size", "specialisation", "productivity", "dynamism")


def run_clusterhub(data: SyntheticData) -> pl.DataFrame:
    """The engine's path from industry cells to rated cluster cells."""
    clusters, totals = aggregate_to_clusters(
        data.cells,
        data.members,
        partition_codes=data.partition_codes,
        region_type=nuts_region_type,
    )
    return rate_clusters(clusters, totals)


def run_pandas(cells: pd.DataFrame, members: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """The baseline's path, on inputs already converted to pandas."""
    clusters, totals = pandas_baseline.aggregate_to_clusters(
        cells, members, partition_codes=codes, region_type=pandas_baseline.nuts_region_type
    )
    return pandas_baseline.rate_clusters(clusters, totals)


def disagreements(
    engine: pl.DataFrame,
    other: pd.DataFrame | pl.DataFrame,
    *,
    rel: float = 1e-9,
    ties: pl.DataFrame | None = None,
) -> list[str]:
    """Where two outputs differ, one line per column; empty when they agree.

    Both outputs are sorted by year, cluster and region, so equal key columns mean equal rows.
    Numbers (ranks and star counts included) must agree to ``rel`` relative, or to 1e-12 of the
    column's largest magnitude for values that should be zero (a growth of 0 computed as
    -1e-16), and have nulls in the same places; strings and flags must be identical. With
    ``ties`` (see :func:`near_ties`), a rank or flag may differ where it hinges on values equal
    to within ``rel``; :func:`tolerated` counts those rows.
    """
    problems: list[str] = []
    if set(engine.columns) != set(other.columns):
        problems.append(
            f"columns differ: only clusterhub {sorted(set(engine.columns) - set(other.columns))}"
            f", only the other {sorted(set(other.columns) - set(engine.columns))}"
        )
    if engine.height != len(other):
        return [*problems, f"rows differ: clusterhub {engine.height}, the other {len(other)}"]
    for name in [c for c in engine.columns if c in other.columns]:
        ours, theirs = _comparable(engine.get_column(name)), _comparable(other[name])
        bad = _differ(ours, theirs, rel)
        if ties is not None and name in ties.columns:
            bad &= ~ties.get_column(name).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            where = ", ".join(f"{k}={engine.get_column(k)[row]}" for k in KEYS)
            problems.append(
                f"{name}: {int(bad.sum())} row(s) differ, e.g. {where}: "
                f"clusterhub {_show(ours[row])}, other {_show(theirs[row])}"
            )
    return problems


def tolerated(engine: pl.DataFrame, other: pd.DataFrame, ties: pl.DataFrame) -> list[str]:
    """Per rank or flag column, how many rows differ only at near-ties (see ``disagreements``)."""
    lines = []
    for name in ties.columns:
        bad = _differ(_comparable(engine.get_column(name)), _comparable(other[name]), 1e-9)
        count = int((bad & ties.get_column(name).to_numpy()).sum())
        if count:
            lines.append(f"{name}: {count} row(s) differ at near-ties")
    return lines


def _differ(ours: np.ndarray, theirs: np.ndarray, rel: float) -> np.ndarray:
    if ours.dtype.kind != "f":
        return np.asarray(ours != theirs, dtype=bool)
    nulls_differ = np.isnan(ours) != np.isnan(theirs)
    with np.errstate(invalid="ignore"):
        gap = np.abs(ours - theirs)
        scale = np.nanmax(np.abs(ours), initial=0.0)
        off = (gap > rel * np.maximum(np.abs(ours), np.abs(theirs))) & (gap > 1e-12 * scale)
    return np.asarray(nulls_differ | off, dtype=bool)


#: Which comparisons decide each flag: (measure, quantile of the peers or absolute cut, which).
FLAG_TESTS: dict[str, list[tuple[str, float, bool]]] = {
    "strong": [("lq", 0.75, True), ("employment", 0.25, True), ("establishments", 0.25, True)],
    "strong10": [("lq", 0.90, True), ("employment", 0.25, True), ("establishments", 0.25, True)],
    "significant": [("lq", 0.50, True)],
    "qualifying": [("lq", 0.25, True)],
    "star_size": [("employment", 0.90, True)],
    "star_specialisation": [("lq", 2.0, False)],
    "star_productivity": [("wage_per_employee", 0.90, True)],
    "star_dynamism": [("growth", 0.90, True)],
}
FLAG_TESTS["strong"].append(("lq", 1.0, False))
FLAG_TESTS["strong10"].append(("lq", 1.0, False))


def near_ties(engine: pl.DataFrame, rel: float = 1e-9) -> pl.DataFrame:
    """For each rank, percentile and flag column: does the row hinge on a near-tie?

    A rank or percentile can legitimately differ between two correct implementations only
    where the row's value equals another peer's to within ``rel`` (sums or powers equal in
    exact arithmetic that came out a few ulps apart); a flag only where a value it compares
    equals its cut to within ``rel``. This is what the benchmark tolerates with fractional
    taxonomy weights, where both implementations round and divide the same numbers but
    cannot promise the same last bit everywhere.
    """
    present = pl.col("employment") > 0

    def close(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return ((a - b).abs() <= rel * pl.max_horizontal(a.abs(), b.abs())).fill_null(value=False)

    frame = engine.with_row_index("_row")
    flags: dict[str, pl.Expr] = {}
    for name, tests in FLAG_TESTS.items():
        hinges = [
            close(
                pl.col(measure),
                pl.when(present).then(pl.col(measure)).quantile(cut).over(PEER_GROUP)
                if is_quantile
                else pl.lit(cut),
            )
            for measure, cut, is_quantile in tests
        ]
        flags[name] = pl.any_horizontal(hinges)
    stars = pl.any_horizontal(flags[f"star_{c}"] for c in STAR_NAMES)
    result = frame.select("_row", **flags, stars=stars)
    for measure, short in RANKED.items():
        value = pl.when(present).then(pl.col(measure))
        ordered = frame.select("_row", *PEER_GROUP, value.alias("v")).sort(
            [*PEER_GROUP, "v"], nulls_last=True
        )
        same_group = pl.all_horizontal(pl.col(k) == pl.col(k).shift(1) for k in PEER_GROUP)
        tied_before = same_group & close(pl.col("v"), pl.col("v").shift(1))
        tied = ordered.select(
            "_row", (tied_before | tied_before.shift(-1)).fill_null(value=False).alias("t")
        )
        result = result.join(tied, on="_row", how="left", maintain_order="left").select(
            pl.exclude("t"),
            pl.col("t").alias(f"{short}_rank"),
            pl.col("t").alias(f"{short}_percentile"),
        )
    return result.sort("_row").drop("_row")


def _comparable(column: pl.Series | pd.Series) -> np.ndarray:
    """A column as numpy: float with NaN for numbers, objects with None for the rest."""
    if isinstance(column, pl.Series):
        if column.dtype.is_numeric():
            return column.cast(pl.Float64).to_numpy()
        return np.asarray(column.to_list(), dtype=object)
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(column.astype(object).where(column.notna(), None).tolist(), dtype=object)


def _show(value: object) -> str:
    if isinstance(value, np.floating):
        return "null" if np.isnan(value) else repr(float(value))
    return "null" if value is None else repr(value)


def worst_per_column(problems: list[str]) -> list[str]:
    """Of several comparisons' lines, the one with the most differing rows for each column."""
    worst: dict[str, tuple[int, str]] = {}
    for line in problems:
        name, rest = line.split(":", 1)
        count = int(rest.split()[0]) if rest.split()[0].isdigit() else 0
        if name not in worst or count > worst[name][0]:
            worst[name] = (count, line)
    return [line for _, line in worst.values()]


def columns_of(problems: list[str]) -> set[str]:
    """The column names that :func:`disagreements` lines are about."""
    return {line.split(":", 1)[0] for line in problems}


@dataclass(frozen=True)
class Timing:
    """Wall times of the repetitions of one implementation, split by step."""

    aggregate: list[float]
    rate: list[float]

    @property
    def total(self) -> list[float]:
        return [a + r for a, r in zip(self.aggregate, self.rate, strict=True)]

    @property
    def median(self) -> float:
        return statistics.median(self.total)


def _timed(step: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = step()
    return result, time.perf_counter() - start


def time_clusterhub(data: SyntheticData, repeat: int) -> tuple[Timing, list[pl.DataFrame]]:
    """Repeated runs of the engine; returns the timings and every run's output.

    All outputs are kept so that the engine can be compared with itself as well as with pandas.
    """
    aggregate, rate = [], []
    outputs: list[pl.DataFrame] = []
    for _ in range(repeat):
        (clusters, totals), seconds = _timed(
            lambda: aggregate_to_clusters(
                data.cells,
                data.members,
                partition_codes=data.partition_codes,
                region_type=nuts_region_type,
            )
        )
        aggregate.append(seconds)
        result, seconds = _timed(lambda: rate_clusters(clusters, totals))  # noqa: B023
        rate.append(seconds)
        outputs.append(result)
    return Timing(aggregate, rate), outputs


def time_pandas(
    cells: pd.DataFrame, members: pd.DataFrame, codes: list[str], repeat: int
) -> tuple[Timing, pd.DataFrame]:
    """Repeated runs of the baseline; returns the timings and the last output."""
    aggregate, rate = [], []
    for _ in range(repeat):
        (clusters, totals), seconds = _timed(
            lambda: pandas_baseline.aggregate_to_clusters(
                cells,
                members,
                partition_codes=codes,
                region_type=pandas_baseline.nuts_region_type,
            )
        )
        aggregate.append(seconds)
        result, seconds = _timed(lambda: pandas_baseline.rate_clusters(clusters, totals))  # noqa: B023
        rate.append(seconds)
    return Timing(aggregate, rate), result


@dataclass(frozen=True)
class MemoryUse:
    """Resident memory of one run in a fresh process (bytes)."""

    before: int
    peak: int
    reset: bool


def _status_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _measure_in_child(
    implementation: Implementation, scale: ScaleName, seed: int, taxonomy: TaxonomyName
) -> MemoryUse:
    """Body of the spawn child: make the inputs, reset the high-water mark, run once."""
    data = generate(SCALES[scale], seed, taxonomy)
    if implementation == "pandas":
        cells = pandas_baseline.to_pandas(data.cells)
        members = pandas_baseline.to_pandas(data.members)
        codes = data.partition_codes
        del data
        gc.collect()

        def run() -> object:
            return run_pandas(cells, members, codes)
    else:

        def run() -> object:
            return run_clusterhub(data)

    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    before = _status_bytes("VmRSS")
    run()
    return MemoryUse(before=before, peak=_status_bytes("VmHWM"), reset=reset)


def measure_memory(
    implementation: Implementation, scale: ScaleName, seed: int, taxonomy: TaxonomyName
) -> MemoryUse:
    """Peak resident memory of one run of ``implementation`` in a fresh spawned process."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measure_in_child, implementation, scale, seed, taxonomy).result()


def machine_facts() -> dict[str, str]:
    """What the numbers depend on: CPU, cores, memory, system and library versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [
        line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line
    ]
    os_release = Path("/etc/os-release")
    pretty = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in (os_release.read_text().splitlines() if os_release.exists() else [])
            if line.startswith("PRETTY_NAME=")
        ),
        platform.system(),
    )
    return {
        "CPU": models[0] if models else platform.processor() or "unknown",
        "cores": f"{len(os.sched_getaffinity(0))} usable, polars pool {pl.thread_pool_size()}",
        "RAM": f"{_status_ram_gib():.1f} GiB",
        "OS": f"{pretty}, kernel {platform.release()}",
        "Python": platform.python_version(),
        "libraries": f"polars {pl.__version__}, pandas {pd.__version__}, numpy {np.__version__}",
        "engine measured": engine_version(),
        "bytecode": bytecode_state(),
    }


def bytecode_state() -> str:
    """Whether imports load compiled bytecode, which decides a command's start-up time.

    ``make sync`` compiles it at install, as pip does; a checkout synced without it, on a
    machine with ``PYTHONDONTWRITEBYTECODE`` set, recompiles every module on every start.
    """
    modules = {"clusterhub": clusterhub.stats, "polars": pl, "pandas": pd}
    missing = [
        name
        for name, module in modules.items()
        if not Path(importlib.util.cache_from_source(str(module.__file__))).exists()
    ]
    writes = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    state = f"not compiled for {', '.join(missing)}" if missing else "compiled (make sync)"
    return f"{state}; writing .pyc at import {writes}"


def engine_version() -> str:
    """Which engine code was timed: git commit (and whether ``stats/`` had local edits).

    The engine is being optimised; a number without the code it belongs to means little.
    A hash of the ``stats`` sources identifies the code even outside a git checkout.
    """
    stats = Path(clusterhub.stats.__file__).parent
    digest = hashlib.sha256()
    for source in sorted(stats.glob("*.py")):
        digest.update(source.read_bytes())
    described = f"sha256 of src/clusterhub/stats/*.py {digest.hexdigest()[:12]}"
    git = ["git", "-C", str(stats)]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "."], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return described
    return f"commit {commit}{' + uncommitted edits in stats/' if dirty else ''}, {described}"


def _status_ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


@dataclass(frozen=True)
class Results:
    """Everything one run of the benchmark found, ready to print or record."""

    scale: ScaleName
    taxonomy: TaxonomyName
    seed: int
    data: SyntheticData
    generate_seconds: float
    convert_seconds: float
    clusterhub: Timing
    pandas: Timing
    rows: int
    problems: list[str]
    at_ties: list[str]
    unstable: list[str]
    memory: dict[Implementation, MemoryUse]

    @property
    def agree(self) -> bool:
        """Same rows and values; ranks and flags may differ only at near-ties."""
        return not self.problems

    @property
    def speedup(self) -> float:
        return self.pandas.median / self.clusterhub.median

    def targets(self) -> list[tuple[str, str, bool]]:
        """(target, measured, met) for the issue's three targets."""
        peak = self.memory["clusterhub"].peak
        return [
            (
                f"clusterhub wall time <= {TARGET_SECONDS:g} s (median)",
                f"{self.clusterhub.median:.2f} s",
                self.clusterhub.median <= TARGET_SECONDS,
            ),
            (
                f"clusterhub peak RSS <= {TARGET_PEAK_BYTES / 1e9:g} GB",
                f"{peak / 1e9:.2f} GB",
                peak <= TARGET_PEAK_BYTES,
            ),
            (
                f">= {TARGET_SPEEDUP:g}x faster than pandas (ratio of medians)",
                f"{self.speedup:.1f}x",
                self.speedup >= TARGET_SPEEDUP,
            ),
        ]


def render(results: Results) -> str:
    """The Markdown section for ``results``, between markers so a rerun replaces it."""
    cells = results.data.cells
    n_regions = cells.get_column("region_code").n_unique()
    n_years = cells.get_column("year").n_unique()
    members = results.data.members
    n_clusters = members.get_column("cluster_code").n_unique()
    key = _section(results.scale, results.taxonomy)
    lines = [
        _marker(key, "start"),
        f"## `{results.scale}` scale, `{results.taxonomy}` taxonomy: {n_regions:,} regions x"
        f" {len(results.data.partition_codes)} classes x {n_years} years ="
        f" {cells.height:,} industry cells",
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `uv run python -m"
        f" benchmarks.bench_mapping --scale {results.scale} --taxonomy {results.taxonomy}"
        f" --repeat {len(results.clusterhub.total)} --write` (seed {results.seed}).",
        "",
        *(f"- **{name}**: {value}" for name, value in machine_facts().items()),
        "",
        f"**Cells: SYNTHETIC**, {results.data.code_source}. **Taxonomy**:"
        f" {results.data.taxonomy_source}; {n_clusters} clusters over"
        f" {members.get_column('code').n_unique()} classes, {members.height} member rows."
        f" Output: {results.rows:,} rated cluster cells. Generating took"
        f" {results.generate_seconds:.1f} s and converting to pandas"
        f" {results.convert_seconds:.1f} s; neither is counted below.",
        "",
        "| | runs | min (s) | median (s) | median aggregate (s) | median rate (s) "
        "| peak RSS (GB) | RSS before run (GB) |",
        "|---|---|---|---|---|---|---|---|",
        *(_timing_row(name, timing, results.memory[name]) for name, timing in _timings(results)),
        "",
        f"Speed-up (median pandas / median clusterhub): **{results.speedup:.1f}x**.",
        "",
        *_agreement(results),
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in results.targets()),
        "",
        _marker(key, "end"),
    ]
    if not all(m.reset for m in results.memory.values()):
        lines.insert(-1, "Peak RSS could not be reset after generating the data: it includes it.\n")
    return "\n".join(lines)


def _agreement(results: Results) -> list[str]:
    if results.agree and not results.at_ties:
        verdict = "**identical** rows and values (floats to 1e-9, ranks and flags exact)"
    elif results.agree:
        verdict = (
            "the same rows and values (floats to 1e-9); ranks and flags identical except where"
            " they hinge on values equal to within 1e-9"
        )
    elif columns_of(results.problems) <= columns_of(results.unstable):
        verdict = "**DISAGREE**, in columns where clusterhub also disagrees with itself"
    else:
        verdict = "**DISAGREE**"
    return [
        f"Agreement with pandas: {verdict}.",
        *(f"- {line}" for line in [*results.problems, *results.at_ties]),
        "",
        "clusterhub vs itself (last timed run vs each earlier one, same input; the largest count"
        " per column): " + ("identical." if not results.unstable else "differs:"),
        *(f"- {line}" for line in results.unstable),
    ]


def _timings(results: Results) -> list[tuple[Implementation, Timing]]:
    return [("clusterhub", results.clusterhub), ("pandas", results.pandas)]


def _timing_row(name: str, timing: Timing, memory: MemoryUse) -> str:
    return (
        f"| {name} | {len(timing.total)} | {min(timing.total):.2f} | {timing.median:.2f} "
        f"| {statistics.median(timing.aggregate):.2f} | {statistics.median(timing.rate):.2f} "
        f"| {memory.peak / 1e9:.2f} | {memory.before / 1e9:.2f} |"
    )


def _section(scale: ScaleName, taxonomy: TaxonomyName) -> str:
    return f"{scale}:{taxonomy}"


def _marker(section: str, edge: str) -> str:
    return f"<!-- bench_mapping:{section}:{edge} -->"


def write_marked(text: str, section: str, path: Path = REPORT) -> None:
    """Write ``text`` as ``section`` of ``path`` between the section's start and end markers."""
    write_section(f"{_marker(section, 'start')}\n{text}{_marker(section, 'end')}", section, path)


def write_section(text: str, section: str, path: Path = REPORT) -> None:
    """Replace ``section`` of ``path`` (or append it); the rest of the file is left as it is."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = _marker(section, "start"), _marker(section, "end")
    if start in current and end in current:
        before, rest = current.split(start, 1)
        after = rest.split(end, 1)[1]
        updated = before + text + after
    else:
        updated = current.rstrip("\n") + ("\n\n" if current else "") + text + "\n"
    path.write_text(updated, encoding="utf-8")


def run(scale: ScaleName, repeat: int, taxonomy: TaxonomyName, seed: int = DEFAULT_SEED) -> Results:
    """Generate once, time both implementations, compare them, measure their peaks."""
    print(f"generating {scale} data, {taxonomy} taxonomy (seed {seed}) ...", flush=True)
    data, generate_seconds = _timed(lambda: generate(SCALES[scale], seed, taxonomy))
    (cells, members), convert_seconds = _timed(
        lambda: (pandas_baseline.to_pandas(data.cells), pandas_baseline.to_pandas(data.members))
    )
    print(f"  {data.cells.height:,} cells in {generate_seconds:.1f} s", flush=True)
    print(f"timing clusterhub x{repeat} ...", flush=True)
    engine_timing, engine_results = time_clusterhub(data, repeat)
    print(f"  {_summary(engine_timing)}\ntiming pandas x{repeat} ...", flush=True)
    pandas_timing, pandas_result = time_pandas(cells, members, data.partition_codes, repeat)
    print(f"  {_summary(pandas_timing)}\ncomparing outputs ...", flush=True)
    ties = near_ties(engine_results[-1])
    problems = disagreements(engine_results[-1], pandas_result, ties=ties)
    at_ties = tolerated(engine_results[-1], pandas_result, ties)
    unstable = worst_per_column(
        [
            line
            for earlier in engine_results[:-1]
            for line in disagreements(engine_results[-1], earlier)
        ]
    )
    rows = engine_results[-1].height
    del cells, members, engine_results, pandas_result
    gc.collect()
    memory: dict[Implementation, MemoryUse] = {}
    for implementation in ("clusterhub", "pandas"):
        print(f"peak memory of {implementation} in a child process ...", flush=True)
        memory[implementation] = measure_memory(implementation, scale, seed, taxonomy)
    return Results(
        scale=scale,
        taxonomy=taxonomy,
        seed=seed,
        data=data,
        generate_seconds=generate_seconds,
        convert_seconds=convert_seconds,
        clusterhub=engine_timing,
        pandas=pandas_timing,
        rows=rows,
        problems=problems,
        at_ties=at_ties,
        unstable=unstable,
        memory=memory,
    )


def _summary(timing: Timing) -> str:
    runs = " ".join(f"{t:.2f}" for t in timing.total)
    return f"runs {runs} s; min {min(timing.total):.2f} s, median {timing.median:.2f} s"


def main(argv: list[str] | None = None) -> int:
    """Command line: run, print the section, and record it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument(
        "--taxonomy",
        choices=["cmp-nace", "synthetic"],
        default="cmp-nace",
        help="real CMP clusters derived to NACE (default) or the synthetic dyadic one",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per implementation")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--write", action="store_true", help=f"record in {REPORT.name}")
    args = parser.parse_args(argv)
    if args.repeat < 2:
        parser.error("--repeat must be at least 2: the engine is also compared with itself")
    results = run(args.scale, args.repeat, args.taxonomy, args.seed)
    text = render(results)
    print(text)
    if args.write:
        write_section(text, _section(args.scale, args.taxonomy))
        print(f"recorded in {REPORT}")
    return 0 if results.agree else 1


if __name__ == "__main__":
    sys.exit(main())
