"""Cluster metrics per region x cluster x year: size, focus, specialisation, productivity, dynamism.

All measures are relative to a *reference area* (the EU, a country, the U.S.) and compared only
among regions of the same type (NUTS level, U.S. states), as both published observatories do.
Formulas and sources: ``docs/methodology/metrics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.dialect import POLARS, Dialect, Expr
from clusterhub.stats.schema import CLUSTER_CELLS, REGION_TOTALS, conform

Denominator = Literal["all", "traded"]

#: Regions are ranked against peers of the same type, for one cluster and year.
PEER_GROUP = ("cluster_code", "region_type", "year")


@dataclass(frozen=True)
class Benchmark:
    """Reference-area totals for when the cells do not cover the whole reference area.

    The U.S. project's LQ divides by national totals that include areas absent from a
    50-state table (DC, territories); without this the LQ would be computed against the
    wrong denominator. ``clusters`` has ``cluster_code, year, employment``; ``totals`` has
    ``year, total_employment`` and/or ``traded_employment``.
    """

    clusters: pl.DataFrame
    totals: pl.DataFrame


@dataclass(frozen=True)
class MetricOptions:
    """Choices of the metric definitions; defaults follow the European observatory."""

    denominator: Denominator = "all"
    growth_years: int = 5

    def __post_init__(self) -> None:
        if self.denominator not in ("all", "traded"):
            raise InvalidInput.single(
                "expected 'all' or 'traded'", field="denominator", value=str(self.denominator)
            )
        if self.growth_years < 1:
            raise InvalidInput.single(
                "expected a period of at least 1 year",
                field="growth_years",
                value=str(self.growth_years),
            )


def compute_metrics(
    cells: pl.DataFrame,
    totals: pl.DataFrame,
    *,
    options: MetricOptions | None = None,
    benchmark: Benchmark | None = None,
) -> pl.DataFrame:
    """Add the observatory's measures to cluster cells.

    Parameters
    ----------
    cells
        Frame with the ``CLUSTER_CELLS`` columns (extra columns such as ``traded`` are kept).
    totals
        Frame with the ``REGION_TOTALS`` columns: the denominators of focus and LQ.
    options
        Denominator of the LQ and the growth period.
    benchmark
        Reference-area totals replacing the sums over the regions present.

    Returns
    -------
    polars.DataFrame
        One row per region x cluster x year with ``region_total, size_share, focus, lq,
        wage_per_employee, growth`` and ranks / percentiles within each peer group.
    """
    return metrics_plan(cells, totals, options=options, benchmark=benchmark).collect()


def metrics_plan(
    cells: pl.DataFrame,
    totals: pl.DataFrame,
    *,
    options: MetricOptions | None = None,
    benchmark: Benchmark | None = None,
) -> pl.LazyFrame:
    """The query behind ``compute_metrics``, uncollected, so ratings can join the same plan.

    Rows come out sorted by year, cluster and region: the joins keep the order of the sorted
    cells, so no wide sort of the result is needed.
    """
    opts = options or MetricOptions()
    base, region_totals = checked_inputs(cells, totals, opts.denominator)
    frame = (
        base.lazy()
        .sort("year", "cluster_code", "region_code")
        .join(
            region_totals.lazy(),
            on=["region_code", "region_type", "year"],
            how="left",
            maintain_order="left",
        )
    )
    frame = _with_reference(frame, region_totals, benchmark, opts.denominator)
    frame = frame.with_columns(**shares(POLARS)).with_columns(**location_quotient(POLARS))
    frame = _with_growth(frame, opts.growth_years)
    frame = frame.with_columns(**rank_inputs(POLARS)).with_columns(**ranks(POLARS))
    return frame.drop(*RANK_HELPERS, "ref_cluster_employment", "ref_total_employment")


def published_shares(d: Dialect) -> dict[str, Expr]:
    """Estimated and apportioned shares of sources that publish cluster cells directly.

    Those (the U.S. project's files) report only the filled share: with nothing apportioned,
    that is the whole estimated share.
    """
    imputed, apportioned = d.col("imputed_share"), d.col("apportioned_share")
    return {
        "estimated_share": d.coalesce(d.col("estimated_share"), imputed),
        "apportioned_share": d.when(
            ~d.is_null(imputed), d.coalesce(apportioned, d.lit(0.0)), apportioned
        ),
    }


def shares(d: Dialect) -> dict[str, Expr]:
    """Size (share of the reference area's cluster), focus (share of the region) and wages."""
    employment = d.col("employment")
    return {
        "size_share": ratio(d, employment, d.col("ref_cluster_employment")),
        "focus": ratio(d, employment, d.col("region_total")),
        "wage_per_employee": ratio(d, d.col("wages"), employment),
    }


def location_quotient(d: Dialect) -> dict[str, Expr]:
    """LQ: the cluster's share of the region over its share of the reference area."""
    reference = ratio(d, d.col("ref_cluster_employment"), d.col("ref_total_employment"))
    return {"lq": ratio(d, d.col("focus"), reference)}


def checked_inputs(
    cells: pl.DataFrame, totals: pl.DataFrame, denominator: Denominator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cluster cells conformed (extra columns such as ``traded`` kept, published shares
    completed) and the regions' denominators; duplicate keys are refused by name."""
    extra = [c for c in cells.columns if c not in CLUSTER_CELLS]
    base = conform(cells, CLUSTER_CELLS, what="cluster cells").hstack(cells.select(extra))
    base = base.with_columns(**published_shares(POLARS))
    _reject_duplicates(base, ["region_code", "cluster_code", "year"], "cluster cells")
    return base, _region_denominators(totals, denominator)


def _reject_duplicates(frame: pl.DataFrame, keys: list[str], what: str) -> None:
    if not frame.select(pl.struct(keys).is_duplicated().any()).item():
        return
    dupes = frame.group_by(keys).len().filter(pl.col("len") > 1)
    if dupes.height:
        first = dupes.row(0, named=True)
        shown = ", ".join(f"{k}={first[k]}" for k in keys)
        raise InvalidInput.single(
            f"{what}: {dupes.height} duplicate key(s), e.g. {shown}; expected one row per "
            + " x ".join(keys)
        )


def _region_denominators(totals: pl.DataFrame, denominator: Denominator) -> pl.DataFrame:
    column = "total_employment" if denominator == "all" else "traded_employment"
    frame = conform(totals, REGION_TOTALS, what="region totals")
    _reject_duplicates(frame, ["region_code", "region_type", "year"], "region totals")
    if frame.get_column(column).null_count() == frame.height and frame.height:
        raise InvalidInput.single(
            f"region totals have no '{column}' values; needed for denominator '{denominator}'",
            field=column,
        )
    return frame.select("region_code", "region_type", "year", pl.col(column).alias("region_total"))


def _with_reference(
    frame: pl.LazyFrame,
    region_totals: pl.DataFrame,
    benchmark: Benchmark | None,
    denominator: Denominator,
) -> pl.LazyFrame:
    """Reference-area cluster and total employment, by default summed over the regions present.

    Summing per region type keeps each NUTS level its own reference area, so that a table
    mixing countries and NUTS 2 regions does not count the same workers twice.
    """
    if benchmark is None:
        reference_totals = region_totals.group_by("region_type", "year").agg(
            pl.col("region_total").sum().alias("ref_total_employment")
        )
        return frame.with_columns(ref_cluster_employment=reference_cluster(POLARS)).join(
            reference_totals.lazy(), on=["region_type", "year"], how="left", maintain_order="left"
        )
    clusters, totals = benchmark_references(benchmark, denominator)
    return frame.join(
        clusters.lazy(), on=["cluster_code", "year"], how="left", maintain_order="left"
    ).join(totals.lazy(), on="year", how="left", maintain_order="left")


def benchmark_references(
    benchmark: Benchmark, denominator: Denominator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``cluster_code, year, ref_cluster_employment`` and ``year, ref_total_employment``."""
    column = "total_employment" if denominator == "all" else "traded_employment"
    if column not in benchmark.totals.columns:
        raise InvalidInput.single(f"benchmark totals lack '{column}'", field=column)
    clusters = benchmark.clusters.select(
        pl.col("cluster_code").cast(pl.String),
        pl.col("year").cast(pl.Int32),
        pl.col("employment").cast(pl.Float64).alias("ref_cluster_employment"),
    )
    totals = benchmark.totals.select(
        pl.col("year").cast(pl.Int32),
        pl.col(column).cast(pl.Float64).alias("ref_total_employment"),
    )
    return clusters, totals


#: Binary places kept of sums of weighted counts. Float sums computed in parallel come out in
#: a different order from run to run and differ in the last bit; snapping them to a binary grid
#: far below meaning (2**-20, about 1e-6 of a person) makes sums that are equal in exact
#: arithmetic equal in fact, so ties rank the same every time. A binary grid, unlike decimal
#: rounding, keeps weights such as 1/8 or 1/128 exact instead of landing them on a half-way
#: point that the last-bit noise then decides.
COUNT_BITS = 20
#: Money sums are large (a wage bill of 1e10 has a last-bit size of ~2e-6), so their grid is
#: coarser: 2**-7, under a cent.
MONEY_BITS = 7


def stable(expr: Expr, bits: int = COUNT_BITS, d: Dialect = POLARS) -> Expr:
    """A sum snapped to the 2**-bits grid so that it does not depend on the addition order.

    Halves round to even on every engine, so that two engines agree to the last bit.
    """
    scale = float(2**bits)
    return d.round_even(expr * scale) / scale


def ratio(d: Dialect, numerator: Expr, denominator: Expr) -> Expr:
    """Division that yields null, not inf or NaN, when the denominator is zero or missing."""
    return d.when(denominator > 0, numerator / denominator)


def reference_cluster(d: Dialect) -> Expr:
    """The cluster's employment summed over the regions of the peer group (the default
    reference area), snapped so that the sum does not depend on the order of addition."""
    return stable(d.peer_sum(d.col("employment"), PEER_GROUP), d=d)


def _with_growth(frame: pl.LazyFrame, years: int) -> pl.LazyFrame:
    """Compound annual growth of employment over the last ``years`` years (dynamism)."""
    earlier = frame.select(
        "region_code",
        "cluster_code",
        (pl.col("year") + years).cast(pl.Int32).alias("year"),
        pl.col("employment").alias("employment_start"),
    )
    return (
        frame.join(
            earlier, on=["region_code", "cluster_code", "year"], how="left", maintain_order="left"
        )
        .with_columns(**growth(POLARS, years))
        .drop("employment_start")
    )


def growth(d: Dialect, years: int) -> dict[str, Expr]:
    """Compound annual growth and absolute change since ``employment_start`` (``years`` back)."""
    employment, start = d.col("employment"), d.col("employment_start")
    factor = ratio(d, employment, start)
    return {
        "growth": d.when(factor > 0, d.power(factor, 1.0 / years) - 1.0),
        "employment_change": employment - start,
    }


RANKED = {
    "employment": "emp",
    "lq": "lq",
    "wage_per_employee": "wage",
    "growth": "growth",
    "establishments": "est",
}


RANK_HELPERS = tuple(f"_{short}_{part}" for short in RANKED.values() for part in ("le", "n"))


def rank_inputs(d: Dialect) -> dict[str, Expr]:
    """Per measure, the peers (with employment) at or below a region, and how many there are."""
    present = d.col("employment") > 0
    exprs: dict[str, Expr] = {}
    for column, short in RANKED.items():
        value = d.when(present, d.col(column))
        exprs[f"_{short}_le"] = d.peer_at_or_below(value, PEER_GROUP)
        exprs[f"_{short}_n"] = d.peer_count(value, PEER_GROUP)
    return exprs


def ranks(d: Dialect) -> dict[str, Expr]:
    """Rank 1 = highest among peers with employment; percentile = share of peers at or below.

    One sort per measure: the rank from the top ("min" rank, descending) is the number of
    peers above plus one, i.e. n - #(peers <= x) + 1.
    """
    exprs: dict[str, Expr] = {}
    for short in RANKED.values():
        at_or_below, count = d.col(f"_{short}_le"), d.col(f"_{short}_n")
        exprs[f"{short}_rank"] = d.index(count - at_or_below + 1)
        exprs[f"{short}_percentile"] = 100.0 * at_or_below / count
    return exprs
