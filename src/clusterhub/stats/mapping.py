"""From industry statistics to cluster cells: apply a taxonomy, then measure and rate.

Industry cells carry employment by region x industry code; a taxonomy says which share
(``weight``) of each code belongs to which cluster. Weighted sums turn one into the other, so
the same code can feed several clusters without counting a worker twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.metrics import Benchmark, MetricOptions, compute_metrics
from clusterhub.stats.ratings import EOCIC, StarRules, eu_stars, us_strength
from clusterhub.stats.schema import INDUSTRY_CELLS, conform

MEASURES = ("employment", "establishments", "wages")


def nuts_region_type() -> pl.Expr:
    """``nuts0`` .. ``nuts3`` from the length of a NUTS code (country codes have two letters)."""
    return pl.format("nuts{}", pl.col("region_code").str.len_chars() - 2)


def aggregate_to_clusters(
    cells: pl.DataFrame,
    members: pl.DataFrame,
    *,
    partition_codes: Collection[str],
    region_type: pl.Expr | str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sum industry cells into cluster cells and region totals.

    Parameters
    ----------
    cells
        ``INDUSTRY_CELLS`` frame, missing cells already filled or left null.
    members
        ``cluster_code, code, weight`` rows of a taxonomy at the data's industry level.
    partition_codes
        Industry codes that partition the economy at that level (e.g. all NACE divisions in
        the data); their sum is a region's total employment. Codes at other levels (sections,
        groups) are ignored so that no worker is counted twice.
    region_type
        A constant (``"state"``) or an expression deriving it from ``region_code``.

    Returns
    -------
    tuple of polars.DataFrame
        ``CLUSTER_CELLS`` (with ``imputed_share``) and ``REGION_TOTALS`` (traded employment
        is the sum over the taxonomy's clusters).
    """
    frame = conform(cells, INDUSTRY_CELLS, what="industry cells")
    level = frame.filter(pl.col("industry_code").is_in(list(partition_codes)))
    if level.is_empty():
        raise InvalidInput.single(
            "none of the industry codes of the data are at the taxonomy's level",
            field="industry_code",
        )
    kind = pl.lit(region_type) if isinstance(region_type, str) else region_type
    weighted = (
        level.lazy()
        .join(
            members.lazy().select(pl.col("code").alias("industry_code"), "cluster_code", "weight"),
            on="industry_code",
            how="inner",
        )
        .with_columns(pl.col(m) * pl.col("weight") for m in MEASURES)
    )
    clusters = (
        weighted.group_by("region_code", "cluster_code", "year")
        .agg(
            *(_sum_or_null(m) for m in MEASURES),
            pl.col("employment").filter(pl.col("imputed").is_not_null()).sum().alias("_imputed"),
        )
        .with_columns(
            region_type=kind,
            imputed_share=pl.when(pl.col("employment") > 0)
            .then(pl.col("_imputed") / pl.col("employment"))
            .otherwise(0.0),
        )
        .drop("_imputed")
    )
    traded = clusters.group_by("region_code", "year").agg(
        pl.col("employment").sum().alias("traded_employment")
    )
    totals = (
        level.lazy()
        .group_by("region_code", "year")
        .agg(pl.col("employment").sum().alias("total_employment"))
        .join(traded, on=["region_code", "year"], how="left")
        .with_columns(region_type=kind)
    )
    return pl.collect_all([clusters, totals])  # type: ignore[return-value]


def _sum_or_null(column: str) -> pl.Expr:
    """Sum that stays null when no contributing cell has a value (unknown is not zero)."""
    col = pl.col(column)
    return pl.when(col.is_not_null().any()).then(col.sum()).otherwise(None).alias(column)


@dataclass(frozen=True)
class RatingOptions:
    """How cluster cells are measured and rated."""

    metrics: MetricOptions = field(default_factory=MetricOptions)
    stars: StarRules = EOCIC


def rate_clusters(
    cells: pl.DataFrame,
    totals: pl.DataFrame,
    *,
    options: RatingOptions | None = None,
    benchmark: Benchmark | None = None,
) -> pl.DataFrame:
    """Metrics plus both rating systems, one row per region x cluster x year."""
    opts = options or RatingOptions()
    metrics = compute_metrics(cells, totals, options=opts.metrics, benchmark=benchmark)
    return eu_stars(us_strength(metrics), opts.stars).sort("year", "cluster_code", "region_code")
