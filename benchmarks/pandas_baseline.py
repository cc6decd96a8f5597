"""The observatory pipeline written as a pandas user would write it: the benchmark's baseline.

It implements the same methodology as ``clusterhub.stats.mapping.aggregate_to_clusters`` and
``rate_clusters`` with their defaults (LQ over all employment, 5-year growth, reference area =
sum over the regions of the same type, EOCIC stars), independently of the engine's code, so that
the speed comparison is between two implementations of one specification. The style is plain
idiomatic pandas: ``isin``, ``merge``, ``groupby`` reductions and ``transform``, with one grouping
object reused for all the peer-group statistics. No categorical re-encoding, no numba, no
hand-rolled numpy grouping: the point is to measure what the straightforward approach costs.

Conventions carried over from the engine, because they decide which rows are equal:

* a cluster's measure is null when none of its industry cells has a value (``sum(min_count=1)``);
* weighted sums are snapped to a binary grid (counts to 2**-20, wages to 2**-7) and so is the
  reference area's cluster employment, so that sums equal in exact arithmetic are equal in
  fact, whatever the order of addition, and ties rank the same way in both implementations;
* ratios are null (NaN), never inf, when the denominator is zero or missing;
* only peers with employment > 0 enter ranks, percentiles and quantiles (R-7, i.e. linear);
* a star is null when its measure is unknown, and then it is not counted as possible.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
import pandas as pd
import polars as pl
from pandas.api.typing import DataFrameGroupBy

MEASURES = ["employment", "establishments", "wages"]
PEER_GROUP = ["cluster_code", "region_type", "year"]
REGION_KEYS = ["region_code", "region_type", "year"]
GROWTH_YEARS = 5
#: Decimals kept of weighted sums: far below one person, money to the cent.
COUNT_BITS = 20
GRID_BITS = {"employment": COUNT_BITS, "establishments": COUNT_BITS, "wages": 7}


def _stable(values: pd.DataFrame | pd.Series, bits: int = COUNT_BITS) -> pd.DataFrame | pd.Series:
    """Snap sums to a binary grid, as the engine does (``clusterhub.stats.metrics.stable``)."""
    scale = float(2**bits)
    return (values * scale).round() / scale


#: Measure ranked among peers -> short name used in the output columns.
RANKED = {
    "employment": "emp",
    "lq": "lq",
    "wage_per_employee": "wage",
    "growth": "growth",
    "establishments": "est",
}

RegionType = str | Callable[[pd.Series], pd.Series]


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """A pandas frame with pandas' default dtypes, built from numpy arrays.

    ``polars.DataFrame.to_pandas`` needs pyarrow, which the project does not install; going
    through numpy gives float64 with NaN for nulls and pandas' default string dtype, i.e. what
    a pandas user reading the same data from CSV would have.
    """
    return pd.DataFrame({name: frame.get_column(name).to_numpy() for name in frame.columns})


def nuts_region_type(region_code: pd.Series) -> pd.Series:
    """``nuts0`` .. ``nuts3`` from the length of a NUTS code, as the engine derives it."""
    return "nuts" + (region_code.str.len() - 2).astype(str)


def aggregate_to_clusters(
    cells: pd.DataFrame,
    members: pd.DataFrame,
    *,
    partition_codes: Collection[str],
    region_type: RegionType,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weighted sums of industry cells into cluster cells, and region totals."""
    level = cells[cells["industry_code"].isin(list(partition_codes))]
    taxonomy = members[["code", "cluster_code", "weight"]].rename(columns={"code": "industry_code"})
    weighted = level.merge(taxonomy, on="industry_code", how="inner")
    weighted[MEASURES] = weighted[MEASURES].mul(weighted["weight"], axis=0)
    filled = weighted["imputed"].notna()
    apportioned = weighted["weight"] < 1.0 - 1e-9
    parts = {"imputed": filled, "apportioned": apportioned, "estimated": filled | apportioned}
    for name, flag in parts.items():
        weighted[f"{name}_employment"] = weighted["employment"].where(flag, 0.0)

    grouped = weighted.groupby(["region_code", "cluster_code", "year"], sort=False)
    sums = grouped[MEASURES].sum(min_count=1)
    clusters = pd.concat([_stable(sums[m], GRID_BITS[m]) for m in MEASURES], axis=1)
    for name in parts:
        clusters[f"{name}_employment"] = _stable(grouped[f"{name}_employment"].sum())
    clusters = clusters.reset_index()
    clusters["region_type"] = _region_type(clusters["region_code"], region_type)
    for name in parts:
        share = (clusters[f"{name}_employment"] / clusters["employment"]).clip(0.0, 1.0)
        clusters[f"{name}_share"] = share.where(clusters["employment"] > 0, 0.0)
    clusters = clusters.drop(columns=[f"{name}_employment" for name in parts])

    totals = (
        level.groupby(["region_code", "year"], sort=False)["employment"]
        .sum()
        .rename("total_employment")
        .reset_index()
    )
    traded = (
        clusters.groupby(["region_code", "year"], sort=False)["employment"]
        .sum()
        .rename("traded_employment")
        .reset_index()
    )
    totals = totals.merge(traded, on=["region_code", "year"], how="left")
    totals["region_type"] = _region_type(totals["region_code"], region_type)
    return clusters, totals


def _region_type(region_code: pd.Series, region_type: RegionType) -> pd.Series | str:
    return region_type if isinstance(region_type, str) else region_type(region_code)


def rate_clusters(clusters: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Metrics, U.S. flags and EOCIC stars; one row per region x cluster x year, sorted."""
    frame = compute_metrics(clusters, totals)
    peers = peer_groups(frame)
    frame = _with_ranks(frame, peers)
    frame = eu_stars(us_strength(frame, peers), peers)
    return frame.sort_values(["year", "cluster_code", "region_code"], ignore_index=True)


def compute_metrics(clusters: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Size share, focus, LQ, wage per employee and growth (ranks come with the peer groups)."""
    denominators = totals[[*REGION_KEYS, "total_employment"]].rename(
        columns={"total_employment": "region_total"}
    )
    frame = clusters.merge(denominators, on=REGION_KEYS, how="left")
    reference = (
        totals.groupby(["region_type", "year"])["total_employment"]
        .sum()
        .rename("ref_total_employment")
        .reset_index()
    )
    frame = frame.merge(reference, on=["region_type", "year"], how="left")
    frame["ref_cluster_employment"] = _stable(
        frame.groupby(PEER_GROUP, sort=False)["employment"].transform("sum")
    )

    frame["size_share"] = _ratio(frame["employment"], frame["ref_cluster_employment"])
    frame["focus"] = _ratio(frame["employment"], frame["region_total"])
    frame["wage_per_employee"] = _ratio(frame["wages"], frame["employment"])
    frame["lq"] = _ratio(
        frame["focus"], _ratio(frame["ref_cluster_employment"], frame["ref_total_employment"])
    )
    frame = _with_growth(frame, GROWTH_YEARS)
    return frame.drop(columns=["ref_cluster_employment", "ref_total_employment"])


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """NaN instead of inf when the denominator is zero, negative or missing."""
    return (numerator / denominator).where(denominator > 0)


def _with_growth(frame: pd.DataFrame, years: int) -> pd.DataFrame:
    earlier = frame[["region_code", "cluster_code", "year", "employment"]].rename(
        columns={"employment": "employment_start"}
    )
    earlier["year"] = earlier["year"] + years
    frame = frame.merge(earlier, on=["region_code", "cluster_code", "year"], how="left")
    ratio = _ratio(frame["employment"], frame["employment_start"])
    frame["growth"] = (ratio ** (1.0 / years) - 1.0).where(ratio > 0)
    frame["employment_change"] = frame["employment"] - frame["employment_start"]
    return frame.drop(columns="employment_start")


def peer_groups(frame: pd.DataFrame) -> DataFrameGroupBy:
    """One grouping by peer group for every rank, percentile and quantile.

    The grouped columns are the ranked measures, NaN where the region has no employment in
    the cluster (those regions take no part), plus whether establishments are known at all.
    """
    present = frame["employment"] > 0
    values = pd.DataFrame({short: frame[column].where(present) for column, short in RANKED.items()})
    values["est_known"] = frame["establishments"].notna()
    return values.groupby([frame[key] for key in PEER_GROUP], sort=False)


def _with_ranks(frame: pd.DataFrame, peers: DataFrameGroupBy) -> pd.DataFrame:
    """Rank 1 = highest; percentile = 100 x share of peers at or below the value."""
    ranked = peers[list(RANKED.values())]
    highest_first = ranked.rank(method="min", ascending=False)
    at_or_below = ranked.rank(method="max")
    counts = ranked.transform("count")
    for short in RANKED.values():
        frame[f"{short}_rank"] = highest_first[short]
        frame[f"{short}_percentile"] = 100.0 * at_or_below[short] / counts[short]
    return frame


def us_strength(frame: pd.DataFrame, peers: DataFrameGroupBy) -> pd.DataFrame:
    """``strong, strong10, significant, qualifying`` (U.S. Cluster Mapping Project rules).

    NaN comparisons are False in pandas, which is what the rules need: a region lacking a
    value or a peer group lacking a quantile fails the condition. Where no peer has an
    establishment count the establishment condition is dropped, as in the engine.
    """

    def quantile(short: str, q: float) -> pd.Series:
        return peers[short].transform("quantile", q)

    present = frame["employment"] > 0
    lq = frame["lq"]
    has_est = peers["est_known"].transform("any")
    est_ok = ~has_est | (frame["establishments"] > quantile("est", 0.25))
    base = present & (lq >= 1.0) & (frame["employment"] > quantile("emp", 0.25)) & est_ok
    frame["strong"] = base & (lq >= quantile("lq", 0.75))
    frame["strong10"] = base & (lq >= quantile("lq", 0.90))
    frame["significant"] = present & (lq > quantile("lq", 0.50))
    frame["qualifying"] = present & (lq > quantile("lq", 0.25))
    return frame


#: EOCIC stars: (name, measure, short name of its peer quantile or None, threshold).
EOCIC = (
    ("size", "employment", "emp", 0.9),
    ("specialisation", "lq", None, 2.0),
    ("productivity", "wage_per_employee", "wage", 0.9),
    ("dynamism", "growth", "growth", 0.9),
)


def eu_stars(frame: pd.DataFrame, peers: DataFrameGroupBy) -> pd.DataFrame:
    """A nullable flag per EOCIC criterion, ``stars`` met and ``stars_possible``."""
    present = frame["employment"] > 0
    names = []
    for name, column, short, threshold in EOCIC:
        value = frame[column]
        cut = threshold if short is None else peers[short].transform("quantile", threshold)
        met = (present & (value >= cut)).astype("boolean")
        frame[f"star_{name}"] = met.mask(value.isna())
        names.append(f"star_{name}")
    flags = frame[names]
    frame["stars"] = flags.fillna(value=False).sum(axis=1).astype(np.int8)
    frame["stars_possible"] = flags.notna().sum(axis=1).astype(np.int8)
    return frame
