"""The Regional Ecosystem Scoreboard engine: normalisation, composite scores, default peers and
bottleneck flags, as pure functions over Polars frames.

The observatory published its dimensions but not its formulas; the rules here are chosen and
justified in ``docs/methodology/scoreboard.md``. In short:

- each indicator is normalised against every region of the same NUTS level with a value
  (min-max to 0-100 by default, z-score optionally), with the catalogue's direction applied
  so that higher is always better; all-equal values (or a single region) score 50 (z: 0);
- a sub-dimension scores the mean of its available normalised indicators, a dimension the
  mean of its sub-dimensions, provided the region has values for at least ``min_coverage``
  of the dimension's indicators in use; otherwise the score is null with the reason (with
  z-scores, each dimension score is standardised again over the compared regions, so that
  the margin is in standard deviations of the dimension);
- default peers are the ``k`` regions closest in cluster portfolio and size:
  ``d = (1 - cos(s_r, s_p)) + w * |log2(T_r / T_p)|``;
- a dimension is a bottleneck when its score is more than ``margin`` below the peer median
  (with at least ``min_peers`` peers scored); the indicators more than ``margin`` below their
  own peer median are named as its drivers.

Nothing returns NaN: an undefined number is null and comes with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from clusterhub.stats.vocabulary import METHODS, Method

#: Score every region gets on an indicator whose values are all equal (min-max undefined):
#: the middle of the scale, so the indicator neither lifts nor sinks anyone.
TIED_SCORE = {"minmax": 50.0, "zscore": 0.0}
_DEFAULT_MARGIN = {"minmax": 10.0, "zscore": 0.5}
NOT_SCORED = "not scored: the value is not a finite number"
#: What a region's indicator row carries besides its code (the faces show the same fields).
INDICATOR_MEASURES = (
    "year",
    "value",
    "score",
    "country_level",
    "peer_median_score",
    "peer_median_value",
    "note",
)


@dataclass(frozen=True)
class ScoreOptions:
    """How to score: normalisation, coverage rule and bottleneck rule."""

    method: Method = "minmax"
    #: Least share of a dimension's indicators in use a region needs values for.
    min_coverage: float = 0.5
    #: Points (min-max) or standard deviations (z-score) below the peer median that make a
    #: bottleneck; None: 10 points or 0.5 sd.
    margin: float | None = None
    #: Fewest peers with a score for a dimension to be assessed at all.
    min_peers: int = 3

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {self.method!r}")
        if not 0.0 < self.min_coverage <= 1.0:
            raise ValueError("min_coverage must be in (0, 1]")
        if self.min_peers < 1:
            raise ValueError("min_peers must be at least 1")

    @property
    def bottleneck_margin(self) -> float:
        """The margin in the method's units."""
        return _DEFAULT_MARGIN[self.method] if self.margin is None else self.margin


@dataclass(frozen=True)
class PeerOptions:
    """The default peer rule: ``k`` nearest by portfolio distance plus size distance."""

    k: int = 5
    #: Distance added per doubling of size (|log2 of the employment ratio|).
    size_weight: float = 0.1


@dataclass(frozen=True)
class Scorecard:
    """A region scored against its level, with peers and bottlenecks.

    ``indicators``: the region's indicators (``indicator, year, value, score,
    country_level, peer_median_score, peer_median_value``); ``dimensions``: region and peers
    (``region_code, dimension, score, available, in_use, country_level_share, reason``);
    ``subdimensions``: likewise per sub-dimension; ``assessment``: per dimension of the region
    (``dimension, score, peer_median, peers_scored, gap, bottleneck, note, drivers,
    country_level_only``), ``bottleneck`` null when not assessed (``note`` says why).
    """

    region: str
    peers: tuple[str, ...]
    compared: int
    indicators: pl.DataFrame
    subdimensions: pl.DataFrame
    dimensions: pl.DataFrame
    assessment: pl.DataFrame


def latest(values: pl.DataFrame) -> pl.DataFrame:
    """Each region's most recent value of each indicator (years differ between sources)."""
    return values.sort("year").group_by("region_code", "indicator").last()


def apply_country_values(values: pl.DataFrame, regions: Sequence[str]) -> pl.DataFrame:
    """Region-level rows of ``regions``, plus every country-level row copied to each of
    ``regions`` in that country (first two letters), keeping ``country_level`` true."""
    targets = pl.DataFrame(
        {"region_code": list(dict.fromkeys(regions))}, schema={"region_code": pl.String}
    )
    own = values.filter(
        ~pl.col("country_level") & pl.col("region_code").is_in(targets["region_code"].to_list())
    )
    national = values.filter(pl.col("country_level")).rename({"region_code": "_country"})
    copied = targets.with_columns(_country=pl.col("region_code").str.slice(0, 2)).join(
        national, on="_country", how="inner"
    )
    return pl.concat([own, copied.select(own.columns)], how="vertical_relaxed")


def normalise(
    values: pl.DataFrame, catalogue: pl.DataFrame, method: Method = "minmax"
) -> pl.DataFrame:
    """Add ``score`` to each value: its position among all rows of the same indicator.

    ``minmax``: ``100 * (x - min) / (max - min)``; ``zscore``: ``(x - mean) / sd`` (population
    sd). Where the catalogue's direction is -1 the scale is flipped (``100 - s`` or ``-z``).
    An indicator whose values are all equal (including a single region) gets ``TIED_SCORE``.
    Rows of indicators missing from ``catalogue`` are dropped. A value that is not a finite
    number gets a null score and ``note`` says why (it counts in no composite); it does not
    enter the other regions' scores either.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    by = "indicator"
    frame = values.join(catalogue.select("indicator", "direction"), on=by, how="inner")
    # Divided by the power of two just below the indicator's largest magnitude, finite values
    # lie in (-2, 2): no difference or square below can overflow (1e308 would), the scores
    # are scale-invariant, and scaling by a power of two is exact (the same scores to the bit).
    finite = pl.when(pl.col("value").is_finite()).then(pl.col("value"))
    largest = pl.col("_x").abs().max().over(by)
    scale = pl.when(largest > 0).then(pl.lit(2.0).pow(largest.log(2).floor())).otherwise(1.0)
    frame = frame.with_columns(_x=finite).with_columns(_x=pl.col("_x") / scale)
    x = pl.col("_x")
    if method == "minmax":
        low, high = x.min().over(by), x.max().over(by)
        raw = pl.when(high > low).then(100.0 * (x - low) / (high - low)).otherwise(50.0)
        score = pl.when(pl.col("direction") < 0).then(100.0 - raw).otherwise(raw)
    else:
        mean, sd = x.mean().over(by), x.std(ddof=0).over(by)
        raw = pl.when(sd > 0).then((x - mean) / sd).otherwise(0.0)
        score = raw * pl.col("direction").cast(pl.Float64)
    score = pl.when(x.is_not_null() & score.is_finite()).then(score.cast(pl.Float64))
    return frame.with_columns(
        score=score,
        note=pl.when(score.is_null()).then(pl.lit(NOT_SCORED)),
    ).drop("direction", "_x")


def composites(
    scored: pl.DataFrame,
    catalogue: pl.DataFrame,
    regions: Sequence[str],
    *,
    min_coverage: float = 0.5,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sub-dimension and dimension scores of ``regions``, every region x dimension present.

    An indicator is *in use* when at least one region in ``scored`` has a value for it;
    indicators nobody has do not count against anyone. A dimension's score is the mean of its
    sub-dimension scores (each the mean of its indicators' scores), or null with a ``reason``
    when the region has values for fewer than ``min_coverage`` of the indicators in use.
    """
    with_dims = scored.join(
        catalogue.select("indicator", "dimension", "subdimension"), on="indicator", how="inner"
    )
    in_use = with_dims.group_by("dimension").agg(pl.col("indicator").n_unique().alias("in_use"))
    mine = with_dims.filter(pl.col("region_code").is_in(list(regions)))
    mine = mine.filter(pl.col("score").is_not_null())
    subs = mine.group_by("region_code", "dimension", "subdimension").agg(
        pl.col("score").mean(), pl.len().alias("available")
    )
    per_dim = mine.group_by("region_code", "dimension").agg(
        pl.len().alias("available"), pl.col("country_level").mean().alias("country_level_share")
    )
    dim_scores = subs.group_by("region_code", "dimension").agg(pl.col("score").mean())
    dimensions = catalogue.select("dimension").unique(maintain_order=True)
    grid = pl.DataFrame(
        {"region_code": list(dict.fromkeys(regions))}, schema={"region_code": pl.String}
    ).join(dimensions, how="cross")
    frame = (
        grid.join(in_use, on="dimension", how="left")
        .join(per_dim, on=["region_code", "dimension"], how="left")
        .join(dim_scores, on=["region_code", "dimension"], how="left")
        .with_columns(pl.col("in_use", "available").fill_null(0).cast(pl.Int32))
    )
    short = pl.col("available") < min_coverage * pl.col("in_use")
    reason = (
        pl.when(pl.col("in_use") == 0)
        .then(pl.lit("no indicator of this dimension is loaded"))
        .when(pl.col("available") == 0)
        .then(pl.lit("no indicator value for this region"))
        .when(short)
        .then(
            pl.format(
                "only {} of {} indicators in use have a value (at least {}% needed)",
                "available",
                "in_use",
                pl.lit(round(100 * min_coverage)),
            )
        )
    )
    frame = frame.with_columns(
        score=pl.when(reason.is_null()).then(pl.col("score")), reason=reason
    ).select(
        "region_code", "dimension", "score", "available", "in_use", "country_level_share", "reason"
    )
    return subs.sort("region_code", "dimension", "subdimension"), frame


def default_peers(
    portfolio: pl.DataFrame,
    region: str,
    *,
    candidates: Sequence[str] | None = None,
    options: PeerOptions | None = None,
) -> pl.DataFrame:
    """The ``k`` regions most similar to ``region`` in cluster portfolio and size.

    Parameters
    ----------
    portfolio
        ``region_code, cluster_code, employment`` of every region of the same level (null
        employment counts as 0) and ``total`` (the region's total employment, repeated).
    region
        The region whose peers are wanted (it is never its own peer).
    candidates
        Regions allowed as peers (e.g. those with indicator values); None allows all.

    Returns
    -------
    pl.DataFrame
        ``region_code, similarity, size_ratio, distance`` sorted by distance then code:
        ``similarity`` is the cosine of the cluster employment-share vectors,
        ``size_ratio`` ``T_p / T_r`` and ``distance`` ``(1 - similarity) + w |log2 size_ratio|``.
        Empty when ``region`` has no positive total or no cluster employment (no portfolio to
        compare); regions without either are never peers.
    """
    options = options or PeerOptions()
    shares = (
        portfolio.filter(pl.col("total") > 0)
        .with_columns(share=pl.col("employment").fill_null(0.0) / pl.col("total"))
        .filter(pl.col("share") > 0)
    )
    norms = shares.group_by("region_code").agg(
        (pl.col("share") ** 2).sum().sqrt().alias("norm"), pl.col("total").first()
    )
    target = shares.filter(pl.col("region_code") == region).select("cluster_code", _t="share")
    mine = norms.filter(pl.col("region_code") == region)
    empty = pl.DataFrame(
        schema={
            "region_code": pl.String,
            "similarity": pl.Float64,
            "size_ratio": pl.Float64,
            "distance": pl.Float64,
        }
    )
    if target.is_empty() or mine.is_empty():
        return empty
    norm_r, total_r = mine["norm"][0], mine["total"][0]
    others = norms.filter(pl.col("region_code") != region)
    if candidates is not None:
        others = others.filter(pl.col("region_code").is_in(list(candidates)))
    dots = (
        shares.join(target, on="cluster_code", how="inner")
        .group_by("region_code")
        .agg((pl.col("share") * pl.col("_t")).sum().alias("dot"))
    )
    ratio = pl.col("total") / total_r
    return (
        others.join(dots, on="region_code", how="left")
        .with_columns(
            similarity=(pl.col("dot").fill_null(0.0) / (pl.col("norm") * norm_r)).clip(0.0, 1.0),
            size_ratio=ratio,
        )
        .with_columns(
            distance=(1.0 - pl.col("similarity"))
            + options.size_weight * pl.col("size_ratio").log(2).abs()
        )
        .sort("distance", "region_code")
        .head(options.k)
        .select("region_code", "similarity", "size_ratio", "distance")
    )


@dataclass(frozen=True)
class LevelScores:
    """What a scorecard takes from all the regions of its level, the same for each of them:
    the latest value of every indicator scored across ``regions`` and, for the z-score method
    (which standardises over everyone), every region's sub-dimension and dimension scores.
    Computed once per level, it turns a scorecard from a pass over every value into a lookup.
    """

    regions: frozenset[str]
    options: ScoreOptions
    scored: pl.DataFrame
    subdimensions: pl.DataFrame | None
    dimensions: pl.DataFrame | None


def score_level(
    values: pl.DataFrame,
    catalogue: pl.DataFrame,
    regions: Sequence[str],
    options: ScoreOptions | None = None,
) -> LevelScores:
    """Score every region of ``regions`` (one NUTS level) on the stored indicator rows
    ``values`` (``INDICATOR_VALUES``: region- and country-level, any year): the latest year of
    each region x indicator, country-level rows applied to the regions of their country."""
    options = options or ScoreOptions()
    compared = list(dict.fromkeys(regions))
    scored = normalise(latest(apply_country_values(values, compared)), catalogue, options.method)
    subs = dims = None
    if options.method == "zscore":
        subs, dims = composites(scored, catalogue, compared, min_coverage=options.min_coverage)
        dims = standardise_dimensions(dims)
    return LevelScores(frozenset(compared), options, scored, subs, dims)


def scorecard(
    values: pl.DataFrame,
    catalogue: pl.DataFrame,
    *,
    region: str,
    regions: Sequence[str],
    peers: Sequence[str],
    options: ScoreOptions | None = None,
) -> Scorecard:
    """Score ``region`` among ``regions`` (its NUTS level) and assess it against ``peers``
    (:func:`score_level`, then :func:`level_scorecard`)."""
    level = score_level(values, catalogue, [*regions, region], options)
    return level_scorecard(level, catalogue, region=region, peers=peers)


def level_scorecard(
    level: LevelScores, catalogue: pl.DataFrame, *, region: str, peers: Sequence[str]
) -> Scorecard:
    """The scorecard of ``region``, one of ``level.regions``, assessed against ``peers``."""
    if region not in level.regions:
        raise ValueError(f"{region} is not one of the regions scored")
    options, scored = level.options, level.scored
    shown = [region, *[p for p in peers if p != region]]
    if level.subdimensions is not None and level.dimensions is not None:
        subs = level.subdimensions.filter(pl.col("region_code").is_in(shown))
        dims = level.dimensions.filter(pl.col("region_code").is_in(shown))
    else:
        subs, dims = composites(scored, catalogue, shown, min_coverage=options.min_coverage)
    indicators = _indicator_rows(scored, region, shown[1:])
    assessment = _assess(dims, indicators, catalogue, region, shown[1:], options=options)
    return Scorecard(
        region=region,
        peers=tuple(shown[1:]),
        compared=scored["region_code"].n_unique(),
        indicators=indicators,
        subdimensions=subs,
        dimensions=dims,
        assessment=assessment,
    )


def standardise_dimensions(dims: pl.DataFrame) -> pl.DataFrame:
    """Z-score method: restate each dimension's score as a z-score over the regions scored.

    A mean of k z-scores has a standard deviation below 1 (1/sqrt(k) for independent
    indicators), so "0.5 sd below the peer median" would be a larger relative gap in
    dimensions with more indicators. Standardised again, a dimension score is in standard
    deviations of that dimension's composite across the compared regions, as the margin says.
    A dimension with one scored region, or all equal, scores 0.
    """
    score = pl.col("score")
    mean, sd = score.mean().over("dimension"), score.std(ddof=0).over("dimension")
    return dims.with_columns(score=pl.when(sd > 0).then((score - mean) / sd).otherwise(0.0 * score))


def _indicator_rows(scored: pl.DataFrame, region: str, peers: Sequence[str]) -> pl.DataFrame:
    medians = (
        scored.filter(pl.col("region_code").is_in(list(peers)))
        .group_by("indicator")
        .agg(
            pl.col("score").median().alias("peer_median_score"),
            pl.col("value").median().alias("peer_median_value"),
        )
    )
    return (
        scored.filter(pl.col("region_code") == region)
        .join(medians, on="indicator", how="left")
        .select("indicator", *INDICATOR_MEASURES)
    )


def _assess(
    dims: pl.DataFrame,
    indicators: pl.DataFrame,
    catalogue: pl.DataFrame,
    region: str,
    peers: Sequence[str],
    *,
    options: ScoreOptions,
) -> pl.DataFrame:
    """Per dimension: the region's score against the peer median, and the bottleneck flag."""
    margin = options.bottleneck_margin
    peer_stats = (
        dims.filter(pl.col("region_code").is_in(list(peers)) & pl.col("score").is_not_null())
        .group_by("dimension")
        .agg(pl.col("score").median().alias("peer_median"), pl.len().alias("peers_scored"))
    )
    mine = dims.filter(pl.col("region_code") == region).join(peer_stats, on="dimension", how="left")
    by_dim = indicators.join(catalogue.select("indicator", "dimension"), on="indicator")
    rows = []
    for row in mine.iter_rows(named=True):
        mine_ind = by_dim.filter(pl.col("dimension") == row["dimension"])
        rows.append(_assess_one(row, mine_ind, len(peers), margin, options.min_peers))
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "dimension": pl.String, "score": pl.Float64, "peer_median": pl.Float64,
        "peers_scored": pl.Int32, "gap": pl.Float64, "bottleneck": pl.Boolean, "note": pl.String,
        "drivers": pl.List(pl.String), "country_level_only": pl.Boolean,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _assess_one(
    row: dict[str, object],
    indicators: pl.DataFrame,
    peer_count: int,
    margin: float,
    min_peers: int,
) -> tuple[object, ...]:
    score, median = row["score"], row["peer_median"]
    scored_peers = int(row["peers_scored"] or 0)  # type: ignore[call-overload]
    note: str | None = None
    if score is None:
        note = f"not assessed: {row['reason']}"
    elif peer_count == 0:
        note = "not assessed: no peers"
    elif scored_peers < min_peers:
        note = f"not assessed: {scored_peers} peer(s) have a score, at least {min_peers} needed"
    if note is not None or not isinstance(score, float) or not isinstance(median, float):
        return (row["dimension"], score, median, scored_peers, None, None, note, [], False)
    gap = score - median
    below = indicators.filter((pl.col("score") - pl.col("peer_median_score")) < -margin).sort(
        pl.col("score") - pl.col("peer_median_score")
    )
    bottleneck = gap < -margin
    drivers = below["indicator"].to_list() if bottleneck else []
    basis = below if (bottleneck and below.height) else indicators
    country_only = bool(bottleneck and basis.height and basis["country_level"].all())
    if bottleneck:
        note = f"{-gap:.1f} below the peer median (margin {margin:g})"
    return (
        row["dimension"],
        score,
        median,
        scored_peers,
        gap,
        bottleneck,
        note,
        drivers,
        country_only,
    )
