"""Time relatedness + density + complexity against the Harvard Growth Lab's ``ecomplexity``.

Run ``uv run python -m benchmarks.bench_complexity [--regions 300 --industries 600 --years 10]
[--repeat 3] [--write]``.

Method:

* **Data**: SYNTHETIC long table (nothing here is real statistics): log-normal region sizes,
  a Dirichlet base profile of industry shares tilted per region and year, about 30 % of the
  cells zero and left out of the table (the sparse long form statistics come in), whole
  numbers. Generated once, outside the timed region; the pandas copy for ``ecomplexity`` is
  made once too.
* **Work timed**: the whole call, long table in, full table out (one row per region x industry
  x year), for both: ``clusterhub.stats.complexity.complexity(frame)`` and
  ``ecomplexity(frame, cols, verbose=False, check_logsupermodularity=False)`` (the
  log-supermodularity check is extra work clusterhub does not do, so it is switched off).
  Both compute RCA, Mcp, diversity, ubiquity, proximity, density, ECI, PCI, COI and COG.
* **Repetitions**: the two run alternately ``repeat`` times in this process, so that machine
  load hits both alike; the medians are compared.
* **Agreement**: the last outputs are joined on (region, industry, year) and every measure
  must agree to 1e-9 (absolute), else the comparison would be of different work.
* A second, clusterhub-only run at NUTS 3 x NACE class scale (1,165 x 615 x 10) shows the
  engine stays fast where the reference is not run (it would take minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import warnings
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import pandas as pd
import polars as pl
from ecomplexity import ecomplexity

from benchmarks.bench_mapping import machine_facts, write_section
from clusterhub.stats.complexity import complexity

MEASURES = ("rca", "mcp", "diversity", "ubiquity", "density", "eci", "pci", "coi", "cog")
TOLERANCE = 1e-9
TARGET = 10.0
COLUMNS = {"time": "year", "loc": "region", "prod": "industry", "val": "value"}


def synthetic(regions: int, industries: int, years: int, seed: int = 20261124) -> pl.DataFrame:
    """SYNTHETIC sparse long table ``region, industry, year, value``."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(10, 1, regions)
    base = rng.dirichlet(np.full(industries, 0.3))
    tilt = rng.lognormal(0, 1, (regions, industries))
    parts = []
    for year in range(years):
        shares = base[np.newaxis, :] * tilt * rng.lognormal(0, 0.2, (regions, industries))
        shares /= shares.sum(axis=1, keepdims=True)
        values = np.round(size[:, np.newaxis] * shares)
        values[rng.random((regions, industries)) < 0.3] = 0
        row, col = np.nonzero(values)
        parts.append(
            pl.DataFrame(
                {
                    "region": np.char.add("R", np.char.zfill(row.astype(str), 4)),
                    "industry": np.char.add("I", np.char.zfill(col.astype(str), 4)),
                    "year": np.full(row.size, 2010 + year, dtype=np.int32),
                    "value": values[row, col],
                }
            )
        )
    return pl.concat(parts)


def run_reference(data: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result: pd.DataFrame = ecomplexity(
            data, COLUMNS, verbose=False, check_logsupermodularity=False
        )
    return result


def largest_difference(ours: pl.DataFrame, theirs: pd.DataFrame) -> dict[str, float]:
    """Max absolute difference per measure over the joined rows (row counts must match)."""
    reference = pl.DataFrame(theirs.to_dict("list"), strict=False).with_columns(
        pl.col("year").cast(pl.Int32)
    )
    mine = ours.with_columns(pl.col("region", "industry").cast(pl.String))
    joined = mine.join(reference, on=["region", "industry", "year"], suffix="_ref")
    if not joined.height == ours.height == reference.height:
        raise AssertionError(f"rows differ: {ours.height} vs {reference.height}")
    return {
        m: float(
            joined.select(
                (pl.col(m).cast(pl.Float64) - pl.col(f"{m}_ref").cast(pl.Float64)).abs().max()
            ).item()
        )
        for m in MEASURES
    }


@dataclass(frozen=True)
class Result:
    """Timings (seconds) of both implementations and their agreement."""

    shape: tuple[int, int, int]
    cells: int
    ours: list[float]
    reference: list[float]
    differences: dict[str, float]
    large_shape: tuple[int, int, int]
    large_cells: int
    large: list[float]

    @property
    def speedup(self) -> float:
        return statistics.median(self.reference) / statistics.median(self.ours)

    @property
    def agree(self) -> bool:
        return all(d <= TOLERANCE for d in self.differences.values())


def measure(regions: int, industries: int, years: int, repeat: int) -> Result:
    frame = synthetic(regions, industries, years)
    data = pd.DataFrame(frame.to_dict(as_series=False))
    complexity(frame.head(50_000))  # warm-up: imports, BLAS threads, polars pool
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        mine = complexity(frame).table
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference = run_reference(data)
        theirs.append(time.perf_counter() - start)
        print(f"clusterhub {ours[-1]:.3f} s, ecomplexity {theirs[-1]:.3f} s", flush=True)
    differences = largest_difference(mine, reference)
    large_shape = (1165, 615, years)
    big = synthetic(*large_shape)
    large = []
    for _ in range(repeat):
        start = time.perf_counter()
        complexity(big)
        large.append(time.perf_counter() - start)
    print(f"NUTS 3 x class scale: {min(large):.2f} s", flush=True)
    return Result(
        (regions, industries, years),
        frame.height,
        ours,
        theirs,
        differences,
        large_shape,
        big.height,
        large,
    )


def render(result: Result, repeat: int) -> str:
    regions, industries, years = result.shape
    facts = machine_facts()
    verdict = "met" if result.speedup >= TARGET else "NOT met"
    lines = [
        "## Relatedness and complexity against `ecomplexity`",
        "",
        f"Measured {dt.date.today().isoformat()} with "
        "`uv run python -m benchmarks.bench_complexity --write`.",
        "",
        *[f"- **{k}**: {v}" for k, v in facts.items()],
        "",
        f"SYNTHETIC sparse long table: {regions} regions x {industries} industries x {years} "
        f"years, {result.cells:,} non-zero cells (about 30 % of cells zero and absent). "
        "Both implementations take the long table and return one row per region x "
        "industry x year with RCA, Mcp, diversity, ubiquity, density, ECI, PCI, COI and COG "
        "(proximity computed inside). `ecomplexity` runs with `verbose=False, "
        "check_logsupermodularity=False`. The two alternate in one process, "
        f"{repeat} times each; medians compared.",
        "",
        "| implementation | median (s) | min (s) |",
        "|---|---|---|",
        f"| clusterhub | {statistics.median(result.ours):.3f} | {min(result.ours):.3f} |",
        f"| ecomplexity {_version()} | {statistics.median(result.reference):.3f} | "
        f"{min(result.reference):.3f} |",
        "",
        f"**Speed-up: {result.speedup:.1f}x** (target ≥ {TARGET:.0f}x: {verdict}).",
        "",
        "Agreement (max absolute difference over all rows, tolerance 1e-9): "
        + ", ".join(f"{m} {d:.1e}" for m, d in result.differences.items())
        + (" — identical within tolerance." if result.agree else " — **DISAGREE**."),
        "",
        f"NUTS 3 x NACE class scale ({result.large_shape[0]:,} x {result.large_shape[1]} x "
        f"{result.large_shape[2]}, {result.large_cells:,} non-zero cells), clusterhub only: "
        f"median {statistics.median(result.large):.2f} s.",
        "",
        "Where clusterhub's time goes: per year, one symmetric eigenvalue problem on the "
        "smaller side of the network (regions) solved by eigenvalues plus inverse iteration "
        "instead of a general eigendecomposition of the industry-side matrix; "
        "co-specialisation counts in single precision (exact for whole numbers); matrices "
        "built from the long table's index arrays and the output's code columns as "
        "categorical gathers rather than a rectangularised data frame.",
        "",
    ]
    return "\n".join(lines)


def _version() -> str:
    return version("ecomplexity")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--regions", type=int, default=300)
    parser.add_argument("--industries", type=int, default=600)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    result = measure(args.regions, args.industries, args.years, args.repeat)
    text = render(result, args.repeat)
    print(text)
    if args.write:
        section = "complexity"
        start, end = (f"<!-- bench_mapping:{section}:{edge} -->" for edge in ("start", "end"))
        write_section(f"{start}\n{text}{end}", section)
    return 0 if result.agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
