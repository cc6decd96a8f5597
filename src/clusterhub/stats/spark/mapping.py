"""The mapping pipeline's relational skeleton on Spark, around the shared formulas.

Each step mirrors its Polars twin (``stats.mapping.aggregate_to_clusters``,
``stats.metrics.metrics_plan``, ``stats.ratings``) join for join; the column formulas are the
same functions, given the Spark dialect. Inputs are expected checked (``stats.engines`` runs
the Polars engine's checks before handing frames over).
"""

from __future__ import annotations

from collections.abc import Collection

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

from clusterhub.errors import InvalidInput
from clusterhub.stats.mapping import (
    ESTIMATE_PARTS,
    MEASURES,
    RatingOptions,
    RegionRule,
    cluster_sums,
    estimate_parts,
    estimate_shares,
)
from clusterhub.stats.metrics import (
    RANK_HELPERS,
    Denominator,
    growth,
    location_quotient,
    rank_inputs,
    ranks,
    reference_cluster,
    shares,
)
from clusterhub.stats.ratings import star_counts, star_flags, us_flags
from clusterhub.stats.spark.dialect import SPARK

CELL_KEYS = ["region_code", "cluster_code", "year"]
REGION_KEYS = ["region_code", "region_type", "year"]


def aggregate_to_clusters(
    cells: DataFrame,
    members: DataFrame,
    *,
    partition_codes: Collection[str],
    region_type: str | RegionRule,
    keyed: DataFrame | None = None,
) -> tuple[DataFrame, DataFrame]:
    """Cluster cells and region totals from industry cells (the Polars twin's contract)."""
    level = cells.filter(F.col("industry_code").isin(sorted(partition_codes)))
    if level.isEmpty():
        raise InvalidInput.single(
            "none of the industry codes of the data are at the taxonomy's level",
            field="industry_code",
        )
    kind = F.lit(region_type) if isinstance(region_type, str) else region_type(SPARK)
    taxonomy = members.select(F.col("code").alias("industry_code"), "cluster_code", "weight")
    weighted = (
        level.select(
            "region_code", "industry_code", "year", *MEASURES, "imputed", "estimated_employment"
        )
        .join(F.broadcast(taxonomy), on="industry_code", how="inner")
        .withColumns(estimate_parts(SPARK))
    )
    weighted = _keyed_weights(weighted, keyed)
    weighted = weighted.withColumns(
        {m: F.col(m) * F.col("weight") for m in (*MEASURES, *ESTIMATE_PARTS)}
    )
    clusters = (
        weighted.groupBy(*CELL_KEYS)
        .agg(
            *(F.sum(m).alias(m) for m in MEASURES),
            *(group_sum(part) for part in ESTIMATE_PARTS),
            *(F.count(m).alias(f"_n_{m}") for m in MEASURES),
        )
        .withColumns(cluster_sums(SPARK))
        .withColumns({"region_type": kind, **estimate_shares(SPARK)})
        .drop(*ESTIMATE_PARTS, *(f"_n_{m}" for m in MEASURES))
    )
    traded = clusters.groupBy("region_code", "year").agg(
        group_sum("employment").alias("traded_employment")
    )
    totals = (
        level.groupBy("region_code", "year")
        .agg(group_sum("employment").alias("total_employment"))
        .join(traded, on=["region_code", "year"], how="left")
        .withColumn("region_type", kind)
    )
    return clusters, totals


def group_sum(column: str) -> Column:
    """A group's sum, 0 where every value is null: Polars' ``sum``, which Spark's is not."""
    return F.coalesce(F.sum(column), F.lit(0.0)).alias(column)


def _keyed_weights(weighted: DataFrame, keyed: DataFrame | None) -> DataFrame:
    """The taxonomy's weight replaced by the region's country key where one is given."""
    if keyed is None:
        return weighted
    by_country = keyed.select(
        "country",
        F.col("code").alias("industry_code"),
        "cluster_code",
        F.col("weight").alias("_keyed"),
    )
    return (
        weighted.withColumn("country", F.substring("region_code", 1, 2))
        .join(F.broadcast(by_country), on=["country", "industry_code", "cluster_code"], how="left")
        .withColumn("weight", F.coalesce("_keyed", "weight"))
        .drop("country", "_keyed")
    )


def rate_clusters(
    cells: DataFrame,
    region_totals: DataFrame,
    *,
    options: RatingOptions,
    reference: tuple[DataFrame, DataFrame] | None = None,
) -> DataFrame:
    """Metrics and both rating systems; ``region_totals`` holds each region's
    ``region_total`` (the chosen denominator), ``reference`` a benchmark's references."""
    frame = cells.join(region_totals, on=REGION_KEYS, how="left")
    frame = _with_reference(frame, region_totals, reference)
    frame = frame.withColumns(shares(SPARK)).withColumns(location_quotient(SPARK))
    frame = _with_growth(frame, options.metrics.growth_years)
    frame = frame.withColumns(rank_inputs(SPARK)).withColumns(ranks(SPARK))
    frame = frame.drop(*RANK_HELPERS, "ref_cluster_employment", "ref_total_employment")
    frame = frame.withColumns(us_flags(SPARK, has_traded="traded" in frame.columns))
    rules = options.stars
    return frame.withColumns(star_flags(SPARK, rules)).withColumns(star_counts(SPARK, rules))


def region_denominators(totals: DataFrame, denominator: Denominator) -> DataFrame:
    """Each region's denominator of focus and LQ, as ``region_total``."""
    column = "total_employment" if denominator == "all" else "traded_employment"
    return totals.select(*REGION_KEYS, F.col(column).alias("region_total"))


def _with_reference(
    frame: DataFrame, region_totals: DataFrame, reference: tuple[DataFrame, DataFrame] | None
) -> DataFrame:
    """Reference-area employment: a benchmark's, else summed over the regions present."""
    if reference is not None:
        clusters, totals = reference
        return frame.join(clusters, on=["cluster_code", "year"], how="left").join(
            totals, on="year", how="left"
        )
    area = region_totals.groupBy("region_type", "year").agg(
        group_sum("region_total").alias("ref_total_employment")
    )
    return frame.withColumn("ref_cluster_employment", reference_cluster(SPARK)).join(
        area, on=["region_type", "year"], how="left"
    )


def _with_growth(frame: DataFrame, years: int) -> DataFrame:
    """Growth over ``years``: the same cell ``years`` earlier, joined by shifting its year."""
    earlier = frame.select(
        "region_code",
        "cluster_code",
        (F.col("year") + years).cast("int").alias("year"),
        F.col("employment").alias("employment_start"),
    )
    return (
        frame.join(earlier, on=CELL_KEYS, how="left")
        .withColumns(growth(SPARK, years))
        .drop("employment_start")
    )
