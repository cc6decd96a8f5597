"""From industry statistics to cluster cells: apply a taxonomy, then measure and rate.

Industry cells carry employment by region x industry code; a taxonomy says which share
(``weight``) of each code belongs to which cluster. Weighted sums turn one into the other, so
the same code can feed several clusters without counting a worker twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.dialect import POLARS, Dialect, Expr
from clusterhub.stats.metrics import (
    COUNT_BITS,
    MONEY_BITS,
    Benchmark,
    MetricOptions,
    metrics_plan,
    stable,
)
from clusterhub.stats.ratings import EOCIC, StarRules, eu_stars, us_strength
from clusterhub.stats.schema import INDUSTRY_CELLS, conform

MEASURES = ("employment", "establishments", "wages")
#: A taxonomy weight this close to 1 is a code wholly in the cluster (not apportioned).
EXACT_TOLERANCE = 1e-9
#: Binary places kept of each weighted sum (see ``metrics.stable``).
GRID_BITS = {"employment": COUNT_BITS, "establishments": COUNT_BITS, "wages": MONEY_BITS}


#: A rule deriving a region's type from its code, in any engine's dialect.
RegionRule = Callable[[Dialect], Expr]


def nuts_region_type(d: Dialect = POLARS) -> Expr:
    """``nuts0`` .. ``nuts3`` from the length of a NUTS code (country codes have two letters)."""
    return d.prefixed("nuts", d.text_length(d.col("region_code")) - 2)


def aggregate_to_clusters(
    cells: pl.DataFrame,
    members: pl.DataFrame,
    *,
    partition_codes: Collection[str],
    region_type: str | RegionRule,
    keyed: pl.DataFrame | None = None,
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
        A constant (``"state"``) or a rule deriving it from ``region_code``
        (:func:`nuts_region_type`).
    keyed
        ``stats.apportion.KEYED_SCHEMA`` rows: per country (the first two letters of a NUTS
        code), a cluster's weight on a code by a reference structure, replacing the
        taxonomy's fixed weight there. The cell stays apportioned (estimated) either way.

    Returns
    -------
    tuple of polars.DataFrame
        ``CLUSTER_CELLS`` and ``REGION_TOTALS`` (traded employment is the sum over the
        taxonomy's clusters). Each cluster cell says how much of its employment is an
        estimate: ``imputed_share`` comes from filled (confidential or missing) industry
        cells, ``apportioned_share`` from industry codes only partly in the cluster (weight
        below 1: a division shared among its classes by a key), and ``estimated_share`` from
        either (a filled cell that is also apportioned counts once).
    """
    frame = conform(cells, INDUSTRY_CELLS, what="industry cells")
    level = frame.filter(pl.col("industry_code").is_in(list(partition_codes)))
    if level.is_empty():
        raise InvalidInput.single(
            "none of the industry codes of the data are at the taxonomy's level",
            field="industry_code",
        )
    kind = pl.lit(region_type) if isinstance(region_type, str) else region_type(POLARS)
    parts = estimate_parts(POLARS)
    weighted = (
        level.lazy()
        .select(
            "region_code", "industry_code", "year", *MEASURES, "imputed", "estimated_employment"
        )
        .join(
            members.lazy().select(
                pl.col("code").alias("industry_code"),
                pl.col("cluster_code").cast(pl.Categorical),
                "weight",
            ),
            on="industry_code",
            how="inner",
        )
        .with_columns(part.alias(name) for name, part in parts.items())
        .pipe(_keyed_weights, keyed)
        .with_columns(pl.col(m) * pl.col("weight") for m in (*MEASURES, *parts))
    )
    # Plain sums and counts group fastest; a sum is null when no cell had a value
    # (unknown is not zero), and rounded so that it does not depend on addition order.
    clusters = (
        weighted.group_by("region_code", "cluster_code", "year")
        .agg(
            *(pl.col(m).sum() for m in (*MEASURES, *parts)),
            *(pl.col(m).count().alias(f"_n_{m}") for m in MEASURES),
        )
        .with_columns(**cluster_sums(POLARS))
        .with_columns(
            cluster_code=pl.col("cluster_code").cast(pl.String),
            region_type=kind,
            **estimate_shares(POLARS),
        )
        .drop(*parts, *(f"_n_{m}" for m in MEASURES))
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


def estimate_parts(d: Dialect) -> dict[str, Expr]:
    """The estimated parts of an industry cell's employment, before the taxonomy's weight.

    The filled part: what a NUTS recode counted as estimated (split pieces and filled cells),
    else all of a filled cell. An apportioned cell (a code only partly in the cluster) is
    estimated as a whole.
    """
    employment = d.col("employment")
    filled = d.coalesce(
        d.col("estimated_employment"),
        d.when(~d.is_null(d.col("imputed")), employment, d.lit(0.0)),
    )
    apportioned = d.col("weight") < 1.0 - EXACT_TOLERANCE
    return {
        "_imputed": filled,
        "_apportioned": d.when(apportioned, employment, d.lit(0.0)),
        "_estimated": d.when(apportioned, employment, filled),
    }


def cluster_sums(d: Dialect) -> dict[str, Expr]:
    """Each measure's weighted sum, snapped to its grid; null where no cell had a value
    (``_n_<measure>`` counts them): unknown is not zero."""
    return {m: d.when(d.col(f"_n_{m}") > 0, stable(d.col(m), GRID_BITS[m], d)) for m in MEASURES}


def estimate_shares(d: Dialect) -> dict[str, Expr]:
    """``imputed_share``, ``apportioned_share``, ``estimated_share`` of a cluster cell."""
    employment = d.col("employment")
    return {
        f"{name[1:]}_share": d.when(
            employment > 0, d.clip(stable(d.col(name), d=d) / employment, 0.0, 1.0), d.lit(0.0)
        )
        for name in ESTIMATE_PARTS
    }


#: The estimated parts of a cell that are summed with the measures.
ESTIMATE_PARTS = ("_imputed", "_apportioned", "_estimated")


def _keyed_weights(weighted: pl.LazyFrame, keyed: pl.DataFrame | None) -> pl.LazyFrame:
    """The taxonomy's weight replaced by the region's country key where one is given."""
    if keyed is None or keyed.is_empty():
        return weighted
    by_country = keyed.lazy().select(
        "country",
        pl.col("code").alias("industry_code"),
        pl.col("cluster_code").cast(pl.Categorical),
        pl.col("weight").alias("_keyed"),
    )
    return (
        weighted.with_columns(country=pl.col("region_code").str.slice(0, 2))
        .join(by_country, on=["country", "industry_code", "cluster_code"], how="left")
        .with_columns(weight=pl.coalesce("_keyed", "weight"))
        .drop("country", "_keyed")
    )


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
    plan = metrics_plan(cells, totals, options=opts.metrics, benchmark=benchmark)
    return eu_stars(us_strength(plan), opts.stars).collect()
