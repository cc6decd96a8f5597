"""NUTS coverage and recoding accuracy on the real SBS file: regions on the map before and after.

``uv run python -m benchmarks.bench_nuts_coverage [--no-write]`` (reads the data sets through
``CLUSTERHUB_DATA_MIRROR`` or the download cache, like the platform).

*Before* is how the SBS regions met the NUTS 2021 map without recoding: a code has a polygon
and a name only if NUTS 2021 has the same code. *After* is the observatory's pipeline (fill,
then ``recode_to_current``). Three measures, none timing, so machine load does not matter:

1. coverage per NUTS level: regions with values, with a polygon, with a name;
2. conservation: each country's total employment summed over its regions of one level, after
   against before (a recode, merge or split must neither create nor lose employment);
3. accuracy of the population-share split where the exact answer is known: a NUTS 1 region
   rebuilt from pieces of old NUTS 1 regions (France, Poland) is also the exact sum of whole
   old NUTS 2 regions (FRJ = FR62 + FR81); the error of the pop18 estimate against that sum,
   per industry cell, is the error the split makes where no exact answer exists.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import polars as pl

from benchmarks.bench_mapping import machine_facts, write_marked
from clusterhub.classify import CURRENT, NutsHistory, is_extra_regio
from clusterhub.config import get_settings
from clusterhub.services.observatory.analytics import read_industry_source
from clusterhub.services.observatory.recoding import recode_to_current
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.cells import fill_missing
from clusterhub.stats.nuts_recode import recode_cells

SECTION = "nuts:coverage"


def _valued_regions(cells: pl.DataFrame) -> pl.DataFrame:
    """``code, level`` of the regions (not extra-regio) with at least one value."""
    codes = (
        cells.filter(pl.col("employment").is_not_null())
        .get_column("region_code")
        .unique()
        .to_list()
    )
    rows = [(c, len(c) - 2) for c in codes if not is_extra_regio(c)]
    return pl.DataFrame(rows, schema={"code": pl.String, "level": pl.Int8}, orient="row")


def coverage(codes: pl.DataFrame, polygons: set[str], names: dict[str, str]) -> pl.DataFrame:
    """Per level: regions, with a NUTS 2021 polygon, with a name."""
    return (
        codes.with_columns(
            polygon=pl.col("code").is_in(list(polygons)),
            named=pl.col("code").is_in([c for c, n in names.items() if n]),
        )
        .group_by("level")
        .agg(pl.len().alias("regions"), pl.col("polygon").sum(), pl.col("named").sum())
        .sort("level")
    )


def _totals(cells: pl.DataFrame, divisions: set[str]) -> pl.DataFrame:
    """Employment per country and level over the NACE divisions (the partition)."""
    return (
        cells.filter(
            pl.col("industry_code").is_in(list(divisions))
            & ~pl.col("region_code").map_elements(is_extra_regio, return_dtype=pl.Boolean)
        )
        .group_by(
            pl.col("region_code").str.slice(0, 2).alias("country"),
            (pl.col("region_code").str.len_chars() - 2).alias("level"),
        )
        .agg(pl.col("employment").sum())
    )


def split_accuracy(filled: pl.DataFrame, history: NutsHistory) -> pl.DataFrame:
    """Per region rebuilt from children: the pop18 split estimate against the exact sum."""
    plan = history.plan(
        filled.filter(pl.col("employment").is_not_null()).get_column("region_code").to_list()
    )
    split, report = recode_cells(filled, plan.conversion)
    exact, _ = recode_to_current(filled, history)
    split_regions = [c for c, m in report.methods.items() if m.startswith("split")]
    replaced = exact.filter(
        (pl.col("nuts_recode") == "merge") & pl.col("region_code").is_in(split_regions)
    ).select("region_code", "industry_code", "year", pl.col("employment").alias("exact"))
    return replaced.join(
        split.select("region_code", "industry_code", "year", pl.col("employment").alias("pop18")),
        on=["region_code", "industry_code", "year"],
    ).filter(pl.col("pop18").is_not_null())


def measure(reference: ReferenceData) -> dict[str, object]:
    """Every number of the report."""
    path = reference.fetch("eurostat-sbs")
    cells, _ = read_industry_source("eurostat-sbs", path)
    filled, _ = fill_missing(cells, "parent-residual", industry_parent=reference.nace.parent)
    history = reference.nuts_history
    polygons = set(reference.regions.frame.get_column("code").to_list())
    current = dict(reference.regions.frame.select("code", "name").iter_rows())
    before = coverage(_valued_regions(filled), polygons, current)
    recoded, notes = recode_to_current(filled, history)
    after = coverage(
        _valued_regions(recoded),
        polygons,
        {c: history.name(c) or "" for c in recoded.get_column("region_code").unique()},
    )
    divisions = {
        c for c in cells.get_column("industry_code").unique() if reference.nace.level(c) == 2
    }
    conservation = (
        _totals(filled, divisions)
        .join(_totals(recoded, divisions), on=["country", "level"], suffix="_after")
        .with_columns(
            rel=(pl.col("employment_after") - pl.col("employment")).abs() / pl.col("employment")
        )
    )
    accuracy = split_accuracy(filled, history)
    methods = (
        recoded.filter(pl.col("nuts_recode").is_not_null())
        .group_by("nuts_recode")
        .agg(pl.col("region_code").n_unique().alias("regions"))
        .sort("nuts_recode")
    )
    return {
        "version": history.source_version(filled.get_column("region_code").unique()),
        "before": before,
        "after": after,
        "conservation": conservation,
        "accuracy": accuracy,
        "methods": methods,
        "notes": notes,
    }


def report(results: dict[str, object]) -> str:
    """The BENCHMARKS.md section."""
    before, after = results["before"], results["after"]
    assert isinstance(before, pl.DataFrame) and isinstance(after, pl.DataFrame)
    conservation, accuracy = results["conservation"], results["accuracy"]
    assert isinstance(conservation, pl.DataFrame) and isinstance(accuracy, pl.DataFrame)
    methods = results["methods"]
    assert isinstance(methods, pl.DataFrame)
    lines = [
        "## NUTS coverage: SBS regions on the NUTS 2021 map, before and after recoding",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (accuracy and coverage, not timing: "
        "machine load does not change these numbers).",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items()],
        "",
        "Method: `uv run python -m benchmarks.bench_nuts_coverage` on the real "
        "`sbs_r_nuts06_r2_2015.csv` (read as NUTS "
        f"{results['version']}): regions with at least one value after the parent-residual "
        "fill, extra-regio codes excluded. *Before*: a region is on the map and named only if "
        f"NUTS {CURRENT} has its code. *After*: the observatory's recode "
        "(`services.observatory.recoding.recode_to_current`, "
        "docs/methodology/nuts-recoding.md).",
        "",
        "| NUTS level | regions before | with polygon | with name | regions after | "
        "with polygon | with name |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    joined = before.join(after, on="level", how="full", coalesce=True, suffix="_after")
    for row in joined.sort("level").iter_rows(named=True):
        lines.append(
            f"| {row['level']} | {row['regions']} | {row['polygon']} | {row['named']} | "
            f"{row['regions_after']} | {row['polygon_after']} | {row['named_after']} |"
        )
    totals = [joined.get_column(c).sum() for c in joined.columns[1:]]
    lines.append("| all | " + " | ".join(str(t) for t in totals) + " |")
    counted = ", ".join(f"{m} {n}" for m, n in methods.iter_rows())
    moved = conservation.filter(pl.col("rel") > 1e-9).sort("country", "level")
    below = {
        (c, lvl): e for c, lvl, e in conservation.select("country", "level", "employment").rows()
    }
    explained = "; ".join(
        f"{c} NUTS {lvl}: {before:,.0f} → {after:,.0f} ({rel:.3%}; its NUTS {lvl + 1} "
        f"regions hold {below.get((c, lvl + 1), float('nan')):,.0f})"
        for c, lvl, before, after, rel in moved.rows()
    )
    lines += [
        "",
        f"Regions after recoding by method: {counted} (the rest unchanged).",
        "",
        "**Conservation**: each country's employment summed over its regions of one level, "
        f"after against before recoding, over {conservation.height} country-levels: equal "
        f"(within 1e-9) in {conservation.height - moved.height}"
        + (
            f"; different in {moved.height} — {explained}: there most regions are now exact "
            "sums of the level below instead of split estimates, and the published figures of "
            "the level below do not add up exactly to those of the level above."
            if moved.height
            else "."
        ),
        "",
    ]
    if not accuracy.is_empty():
        error = (pl.col("pop18") - pl.col("exact")).abs()
        by_region = (
            accuracy.group_by("region_code")
            .agg((error.sum() / pl.col("exact").sum()).alias("wape"))
            .sort("region_code")
        )
        overall = accuracy.select(error.sum() / pl.col("exact").sum()).item()
        median_cell = (
            accuracy.filter(pl.col("exact") > 0).select((error / pl.col("exact")).median()).item()
        )
        lines += [
            "**Accuracy of the population split where the exact answer is known** "
            f"({accuracy.height} industry cells of {by_region.height} NUTS 1 regions made from "
            "pieces of old NUTS 1 regions but exactly of whole old NUTS 2 regions): the pop18 "
            "estimate against the exact sum of those NUTS 2 regions. Weighted absolute "
            f"percentage error {overall:.1%} overall, median cell error {median_cell:.1%}; per "
            "region: "
            + ", ".join(f"{c} {w:.1%}" for c, w in by_region.iter_rows())
            + ". The site shows the exact sums for these regions; the figure is what a split "
            "costs where no sum exists (Warsaw, Zagreb, Ireland, Norway), and why those cells "
            "count as estimated.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    text = report(measure(ReferenceData(get_settings())))
    print(text)
    if not args.no_write:
        write_marked(text, SECTION)


if __name__ == "__main__":
    main()
