"""How accurate are estimated cells? Masking benchmarks on the real Eurostat SBS 2015 file.

Run ``uv run python -m benchmarks.bench_imputation [--replicates N] [--mask M] [--write]``
(``CLUSTERHUB_DATA_MIRROR`` must point at the shared data, or the files are fetched).

Two questions, both answered by hiding values the file *does* publish and estimating them:

1. **Confidential residuals** (``stats.cells``): known cells are hidden in the pattern of the
   real confidentiality, then filled by each split of the parent residual: ``equal`` (the
   European Cluster Observatory's published rule) and ``proportional`` (clusterhub's default:
   the same industries in the country, then in all countries; sub-regions by size). The
   pattern: every actually suppressed (fillable) cell is described by its stratum (NUTS level
   x NACE level x NACE section) and by the size bin (quartile of log) of its *expected size*
   ``E(country, industry) x E(region) / E(country)``, a size neither split uses; known cells
   are drawn per stratum x bin in the proportions of the suppressed ones. Each replicate
   (seed ``SEED + i``) hides ``--mask`` cells and, as statistics offices do (secondary
   suppression), the smallest known sibling of each (same region and parent code), so that
   no hidden cell is recoverable by subtraction; errors are measured on the hidden cells, and on
   the cluster cells (51 clusters at NACE division level) and stars after the whole pipeline,
   each method against its own fill of the unmasked file.
2. **Apportioning keys** (``classify.aggregate_to_level``): SBS publishes NACE groups for
   divisions 45, 46 and 47. For every NUTS 1/2 region where a division and all its groups are
   reported, the division is shared among its groups by each key and compared with the
   published groups: ``fixed`` (per class: a group's number of classes over the division's,
   the key clusterhub uses for divisions without a finer reference), ``country`` (the
   country's published group structure, what a national class table such as Eurostat
   ``sbs_na_ind_r2`` would give for classes) and ``all-countries`` (the sum over countries).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.bench_mapping import machine_facts, write_marked
from clusterhub.classify import aggregate_to_level, is_extra_regio
from clusterhub.config import Settings
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.cells import Split, fill_missing
from clusterhub.stats.mapping import aggregate_to_clusters, nuts_region_type, rate_clusters
from clusterhub.stats.sources import read_sbs_csv

SECTION = "imputation"
SEED = 20261204
SPLITS: tuple[Split, ...] = ("equal", "proportional")
KEYS = ["region_code", "industry_code", "year"]
CLUSTER_KEYS = ["region_code", "cluster_code", "year"]


@dataclass(frozen=True)
class Setting:
    """The real file and what the pipeline needs to turn it into rated cluster cells."""

    cells: pl.DataFrame
    parent: dict[str, str]
    members: pl.DataFrame
    partition: set[str]
    classes: dict[str, int]
    #: The same clusters with divisions 45-47 entered by their published groups.
    grouped: tuple[pl.DataFrame, set[str]]


def load(settings: Settings) -> Setting:
    """Read the SBS file and the NACE hierarchy, and the 51 clusters at division level."""
    reference = ReferenceData(settings)
    cells, _ = read_sbs_csv(reference.fetch("eurostat-sbs"))
    nace = reference.nace
    codes = cells.get_column("industry_code").unique().to_list()
    parent = {code: p for code in codes if (p := nace.parent(code)) is not None}
    partition = {code for code in codes if nace.level(code) == 2}
    taxonomy, _ = aggregate_to_level(reference.nace_clusters, nace, 2, available_codes=partition)
    classes = {code: len(nace.classes_under(code)) for code in codes if nace.level(code) >= 2}
    groups = {code for code in codes if nace.level(code) == 3}
    by_group, _ = aggregate_to_level(reference.nace_clusters, nace, 3, available_codes=groups)
    split = {parent[code] for code in groups}
    members = pl.concat(
        [taxonomy.members.filter(~pl.col("code").is_in(sorted(split))), by_group.members]
    )
    grouped = (members, (partition - split) | groups)
    return Setting(cells, parent, taxonomy.members, partition, classes, grouped)


# --- 1. confidential residuals ---------------------------------------------------------------


def fillable_missing(setting: Setting) -> pl.DataFrame:
    """The really suppressed cells that a fill reaches (codes with values elsewhere)."""
    filled, _ = fill_missing(setting.cells, "parent-residual", industry_parent=setting.parent)
    return filled.filter(pl.col("imputed").is_not_null()).select(KEYS)


def profiled(setting: Setting) -> pl.DataFrame:
    """Every cell with its stratum and expected-size bin (see the module docstring)."""
    cells = setting.cells.filter(~pl.col("region_code").map_elements(is_extra_regio, pl.Boolean))
    country = pl.col("region_code").str.slice(0, 2)
    level = pl.col("industry_code").str.len_chars()
    sections = [c for c in cells.get_column("industry_code").unique() if len(c) == 1]
    region_size = (
        cells.filter(pl.col("industry_code").is_in(sections))
        .group_by("region_code", "year")
        .agg(_size=pl.col("employment").sum())
    )
    national = cells.filter(pl.col("region_code").str.len_chars() == 2).select(
        _country="region_code", industry_code="industry_code", year="year",
        _national=pl.col("employment"),
    )  # fmt: skip
    country_size = region_size.rename({"region_code": "_country", "_size": "_country_size"})
    section = pl.col("industry_code").replace_strict(_sections(setting.parent), default=None)
    return (
        cells.with_columns(_country=country)
        .join(region_size, on=["region_code", "year"], how="left")
        .join(national, on=["_country", "industry_code", "year"], how="left")
        .join(country_size, on=["_country", "year"], how="left")
        .with_columns(
            stratum=pl.format(
                "{}-{}-{}", pl.col("region_code").str.len_chars() - 2, level, section
            ),
            expected=pl.col("_national") * pl.col("_size") / pl.col("_country_size"),
        )
        .select(*KEYS, "employment", "stratum", "expected")
    )


def _sections(parent: dict[str, str]) -> dict[str, str]:
    """Each code's top ancestor (its NACE section)."""
    top = {}
    for code in parent:
        current = code
        while current in parent:
            current = parent[current]
        top[code] = current
    return top


def mask_design(setting: Setting) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Candidates (known, non-zero cells with a stratum and bin) and the suppressed profile."""
    cells = profiled(setting).filter(pl.col("expected").is_not_null() & (pl.col("expected") > 0))
    suppressed = cells.join(fillable_missing(setting), on=KEYS, how="semi")
    edges = np.quantile(np.log(suppressed.get_column("expected").to_numpy()), [0.25, 0.5, 0.75])
    binned = cells.with_columns(
        bin=pl.col("expected").log().cut(edges.tolist(), labels=["q1", "q2", "q3", "q4"])
    )
    profile = (
        binned.join(suppressed, on=KEYS, how="semi")
        .group_by("stratum", "bin")
        .agg(suppressed=pl.len())
    )
    candidates = binned.filter(pl.col("employment") > 0).join(
        profile, on=["stratum", "bin"], how="semi"
    )
    return candidates, profile


def draw_mask(
    candidates: pl.DataFrame, profile: pl.DataFrame, size: int, seed: int
) -> pl.DataFrame:
    """``size`` known cells, drawn per stratum x bin in the suppressed cells' proportions."""
    rng = np.random.default_rng(seed)
    total = profile.get_column("suppressed").sum()
    picked = []
    for (stratum, bin_), group in candidates.group_by("stratum", "bin", maintain_order=True):
        wanted = profile.filter((pl.col("stratum") == stratum) & (pl.col("bin") == bin_))
        count = round(size * wanted.item(0, "suppressed") / total)
        count = min(count, group.height)
        if count:
            rows = rng.choice(group.height, size=count, replace=False)
            picked.append(group[np.sort(rows)].select(*KEYS, "employment"))
    return pl.concat(picked)


def with_secondary(setting: Setting, primary: pl.DataFrame) -> pl.DataFrame:
    """Add, for each hidden cell, its smallest known non-zero sibling (same region, same parent
    code), as a statistics office's secondary suppression does.

    Offices suppress a second cell beside a confidential one so that it cannot be recovered
    by subtraction; without it a lone hidden cell would be recovered exactly by any split,
    and the benchmark would measure nothing.
    """
    family = pl.col("industry_code").replace_strict(setting.parent, default=None)
    known = setting.cells.filter(pl.col("employment") > 0).with_columns(_family=family)
    hidden = primary.with_columns(_family=family)
    siblings = (
        known.join(
            hidden.select("region_code", "year", "_family"),
            on=["region_code", "year", "_family"],
            how="semi",
        )
        .join(primary, on=KEYS, how="anti")
        .sort("employment", *KEYS)
        .group_by("region_code", "year", "_family", maintain_order=True)
        .first()
    )
    return pl.concat([primary, siblings.select(*KEYS, "employment")]).unique(
        KEYS, maintain_order=True
    )


def rated(
    setting: Setting,
    cells: pl.DataFrame,
    split: Split,
    taxonomy: tuple[pl.DataFrame, set[str]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The pipeline from industry cells to rated cluster cells (as ``_industry_map`` runs it),
    by default with every division apportioned by fixed keys."""
    filled, _ = fill_missing(cells, "parent-residual", industry_parent=setting.parent, split=split)
    regions = filled.filter(~pl.col("region_code").map_elements(is_extra_regio, pl.Boolean))
    members, partition = taxonomy or (setting.members, setting.partition)
    clusters, totals = aggregate_to_clusters(
        regions,
        members,
        partition_codes=partition,
        region_type=nuts_region_type,
    )
    table = rate_clusters(clusters, totals).select(*CLUSTER_KEYS, "employment", "stars")
    return filled, table


@dataclass(frozen=True)
class ResidualErrors:
    """Errors of one split in one replicate."""

    cells: int
    unfilled: int
    mae: float
    median_ape: float
    cluster_mae: float
    cluster_median_ape: float
    cluster_cells: int
    stars_changed: int


def residual_errors(
    setting: Setting, mask: pl.DataFrame, split: Split, baseline: pl.DataFrame
) -> ResidualErrors:
    """Hide ``mask``, fill with ``split``, compare cells and cluster cells with the truth."""
    hidden = setting.cells.join(mask.select(KEYS).with_columns(_hide=True), on=KEYS, how="left")
    masked = hidden.with_columns(
        employment=pl.when(pl.col("_hide")).then(None).otherwise(pl.col("employment"))
    ).drop("_hide")
    filled, table = rated(setting, masked, split)
    truth = mask.rename({"employment": "truth"})
    got = filled.join(truth, on=KEYS).filter(pl.col("employment").is_not_null())
    error = (pl.col("employment") - pl.col("truth")).abs()
    compared = baseline.join(table, on=CLUSTER_KEYS, suffix="_masked")
    changed = compared.filter(
        (pl.col("employment") - pl.col("employment_masked")).abs() > 1e-6
    ).with_columns(
        _err=(pl.col("employment") - pl.col("employment_masked")).abs(),
        _ape=(pl.col("employment") - pl.col("employment_masked")).abs() / pl.col("employment"),
    )
    stars = compared.filter(pl.col("stars") != pl.col("stars_masked")).height
    return ResidualErrors(
        cells=mask.height,
        unfilled=mask.height - got.height,
        mae=float(got.select(error.mean()).item()),
        median_ape=float(got.select((error / pl.col("truth")).median()).item()),
        cluster_mae=float(changed.get_column("_err").mean() or 0.0),
        cluster_median_ape=float(changed.get_column("_ape").median() or 0.0),
        cluster_cells=changed.height,
        stars_changed=stars,
    )


def residual_benchmark(
    setting: Setting, replicates: int, size: int
) -> tuple[dict[Split, list[ResidualErrors]], pl.DataFrame]:
    """Every split on the same masks; returns the errors and the suppressed profile."""
    candidates, profile = mask_design(setting)
    baselines = {split: rated(setting, setting.cells, split)[1] for split in SPLITS}
    results: dict[Split, list[ResidualErrors]] = {split: [] for split in SPLITS}
    for i in range(replicates):
        mask = with_secondary(setting, draw_mask(candidates, profile, size, SEED + i))
        for split in SPLITS:
            results[split].append(residual_errors(setting, mask, split, baselines[split]))
        print(f"  replicate {i + 1}/{replicates}: {mask.height} cells hidden", flush=True)
    return results, profile


# --- 2. apportioning keys ---------------------------------------------------------------------


def key_benchmark(setting: Setting) -> pl.DataFrame:
    """Share published divisions among their published groups by each key; error per key."""
    reported = setting.cells.filter(pl.col("employment").is_not_null())
    groups = reported.filter(pl.col("industry_code").str.len_chars() == 4).with_columns(
        division=pl.col("industry_code").replace_strict(setting.parent),
        classes=pl.col("industry_code").replace_strict(setting.classes, return_dtype=pl.Float64),
        country=pl.col("region_code").str.slice(0, 2),
    )
    listed = setting.cells.filter(pl.col("industry_code").str.len_chars() == 4)
    per_division = (
        listed.with_columns(division=pl.col("industry_code").replace_strict(setting.parent))
        .group_by("division")
        .agg(_listed=pl.col("industry_code").n_unique())
    )
    divisions = reported.select(
        "region_code", "year", division="industry_code", _division="employment"
    )
    national = groups.filter(pl.col("region_code").str.len_chars() == 2).select(
        country="region_code", industry_code="industry_code", year="year",
        _country=pl.col("employment"),
    )  # fmt: skip
    everywhere = national.group_by("industry_code", "year").agg(_all=pl.col("_country").sum())
    within = ["region_code", "year", "division"]
    frame = (
        groups.filter(pl.col("region_code").str.len_chars() > 2)
        .join(divisions, on=["region_code", "year", "division"])
        .join(national, on=["country", "industry_code", "year"], how="left")
        .join(everywhere, on=["industry_code", "year"], how="left")
        .join(per_division, on="division")
        .with_columns(_n=pl.len().over(within))
        .filter(pl.col("_n") == pl.col("_listed"))  # every group of the division reported
    )
    keys = {"fixed": "classes", "country": "_country", "all-countries": "_all"}
    rows = []
    for name, column in keys.items():
        usable = frame.filter(pl.col(column).is_not_null().all().over(within))
        estimate = pl.col("_division") * pl.col(column) / pl.col(column).sum().over(within)
        error = (estimate - pl.col("employment")).abs()
        scored = usable.with_columns(_err=error).filter(pl.col(column).sum().over(within) > 0)
        rows.append(
            {
                "key": name,
                "groups": scored.height,
                "divisions": scored.select(within).unique().height,
                "mae": scored.get_column("_err").mean(),
                "median_ape": scored.filter(pl.col("employment") > 0)
                .select(pl.col("_err") / pl.col("employment"))
                .to_series()
                .median(),
                "misallocated": scored.get_column("_err").sum()
                / (2 * scored.get_column("employment").sum()),
            }
        )
    return pl.DataFrame(rows)


def key_star_changes(setting: Setting) -> dict[str, int]:
    """Cluster cells that divisions 45-47 feed, rated with those divisions apportioned by fixed
    keys and with their published groups: how many cells and how many change stars."""
    fed = setting.members.filter(pl.col("code").is_in(["45", "46", "47"]))
    clusters = fed.get_column("cluster_code").unique().to_list()
    fixed = rated(setting, setting.cells, "proportional")[1]
    groups = rated(setting, setting.cells, "proportional", setting.grouped)[1]
    both = fixed.join(groups, on=CLUSTER_KEYS, suffix="_groups").filter(
        pl.col("cluster_code").is_in(clusters) & (pl.col("region_code").str.len_chars() == 4)
    )
    return {
        "clusters": len(clusters),
        "cells": both.height,
        "starred": both.filter((pl.col("stars") > 0) | (pl.col("stars_groups") > 0)).height,
        "changed": both.filter(pl.col("stars") != pl.col("stars_groups")).height,
    }


# --- report -----------------------------------------------------------------------------------


def render(
    residuals: dict[Split, list[ResidualErrors]],
    *,
    profile: pl.DataFrame,
    keys: pl.DataFrame,
    flips: dict[str, int],
    replicates: int,
    size: int,
) -> str:
    """The BENCHMARKS.md section."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "## Estimated cells: masking benchmarks on the real SBS file",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load} (accuracy "
        "numbers; they do not depend on load).",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items()],
        "",
        "Command: `uv run python -m benchmarks.bench_imputation --write` "
        f"(`--replicates {replicates} --mask {size}`, seeds {SEED}..{SEED + replicates - 1}); "
        "design in the module docstring and in `docs/methodology/missing-cells.md`.",
        "",
        "### 1. Confidential residuals: equal split vs proportional split",
        "",
        f"The {profile.get_column('suppressed').sum():,} really suppressed cells that a fill "
        f"reaches fall in {profile.height} stratum x size-bin cells; each replicate hides "
        f"about {size} known cells drawn in the same proportions, and the smallest known "
        "sibling of each (secondary suppression). Mean over replicates "
        "(min–max in brackets). *Cluster cells*: the 51 clusters at NACE division level, "
        "each method against its own fill of the unmasked file.",
        "",
        "| measure | equal split (published) | proportional (clusterhub) |",
        "|---|---:|---:|",
    ]
    measures = [
        ("hidden cells", "cells", "{:,.0f}"),
        ("hidden cells left unfilled (parent missing)", "unfilled", "{:,.0f}"),
        ("MAE, persons employed", "mae", "{:,.0f}"),
        ("median absolute % error", "median_ape", "{:.1%}"),
        ("cluster cells changed by the masking", "cluster_cells", "{:,.0f}"),
        ("their MAE, persons employed", "cluster_mae", "{:,.0f}"),
        ("their median absolute % error", "cluster_median_ape", "{:.1%}"),
        ("cluster cells whose star count changed", "stars_changed", "{:,.0f}"),
    ]
    for label, attr, fmt in measures:
        cells = []
        for split in SPLITS:
            values = [float(getattr(r, attr)) for r in residuals[split]]
            low, high = fmt.format(min(values)), fmt.format(max(values))
            cells.append(f"{fmt.format(statistics.mean(values))} ({low}–{high})")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    lines += [
        "",
        "### 2. Apportioning keys, measured on the groups SBS publishes (45, 46, 47)",
        "",
        "Each division of a NUTS 1/2 region whose groups are all reported is shared among its "
        "groups by the key and compared with the published groups. *Misallocated*: the share "
        "of the division's employment the key puts in the wrong group (half the sum of "
        "absolute errors over the division).",
        "",
        "| key | groups | divisions | MAE, persons | median abs. % error | misallocated |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in keys.iter_rows(named=True):
        lines.append(
            f"| {row['key']} | {row['groups']:,} | {row['divisions']:,} | {row['mae']:,.0f} | "
            f"{row['median_ape']:.1%} | {row['misallocated']:.1%} |"
        )
    lines += [
        "",
        f"What the fixed key does to ratings: the {flips['clusters']} clusters that divisions "
        f"45-47 feed, rated on NUTS 2 regions once with those divisions apportioned to classes by "
        f"fixed keys and once through their published groups: {flips['changed']:,} of "
        f"{flips['cells']:,} cluster cells change their star count, of the "
        f"{flips['starred']:,} that have stars in either rating "
        f"({flips['changed'] / flips['starred']:.0%}).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print (``--write``: also into BENCHMARKS.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--mask", type=int, default=500, help="cells hidden per replicate")
    parser.add_argument("--write", action="store_true", help="write the BENCHMARKS.md section")
    args = parser.parse_args(argv)
    mirror = os.environ.get("CLUSTERHUB_DATA_MIRROR")
    setting = load(Settings(data_mirror=Path(mirror)) if mirror else Settings())
    print("residual splits ...", flush=True)
    residuals, profile = residual_benchmark(setting, args.replicates, args.mask)
    print("apportioning keys ...", flush=True)
    keys = key_benchmark(setting)
    flips = key_star_changes(setting)
    text = render(
        residuals,
        profile=profile,
        keys=keys,
        flips=flips,
        replicates=args.replicates,
        size=args.mask,
    )
    print(text)
    if args.write:
        write_marked(text, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
