"""Cluster strength ratings: the U.S. Cluster Mapping Project's flags and the European stars.

Both are relative rules: a region's cluster is compared with the same cluster in every other
region of the same type and year (the peer group), using R-7 quantiles (linear interpolation,
the default of R and of ``numpy.quantile``) over the peers with employment. Formulas, defaults
and their sources: ``docs/methodology/ratings.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeVar

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.dialect import POLARS, Dialect, Expr
from clusterhub.stats.metrics import PEER_GROUP
from clusterhub.stats.vocabulary import MAX_ESTIMATED_SHARE, StarPreset

ThresholdKind = Literal["quantile", "absolute"]
#: Ratings add columns to eager frames and to lazy plans alike (one query for the engine).
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def _peer_quantile(d: Dialect, column: str, q: float) -> Expr:
    """R-7 quantile of ``column`` over the peers that have employment."""
    value = d.when(d.col("employment") > 0, d.col(column))
    return d.peer_quantile(value, q, PEER_GROUP)


def us_strength(metrics: Frame) -> Frame:
    """Add ``strong, strong10, significant, qualifying`` as the U.S. project defines them.

    strong: LQ >= 75th percentile, employment > 25th percentile, establishments > 25th
    percentile and LQ >= 1; strong10: the same with the 90th LQ percentile; significant: LQ
    above the median; qualifying: LQ above the 25th percentile. Only regions with employment
    take part. Where a peer group has no establishment counts at all (Eurostat SBS), the
    establishment condition is dropped rather than failing every region; a cluster flagged as
    not traded (column ``traded`` false) gets nulls, as the project rates traded clusters only.
    """
    has_traded = "traded" in metrics.collect_schema()
    return metrics.with_columns(**us_flags(POLARS, has_traded=has_traded))


def us_flags(d: Dialect, *, has_traded: bool) -> dict[str, Expr]:
    """The four U.S. flags of :func:`us_strength` as expressions of the dialect ``d``."""
    employment, lq, est = d.col("employment"), d.col("lq"), d.col("establishments")
    present = employment > 0
    has_est = d.peer_any(~d.is_null(est), PEER_GROUP)
    est_ok = (~has_est) | (est > _peer_quantile(d, "establishments", 0.25))
    base = present & (lq >= 1.0) & (employment > _peer_quantile(d, "employment", 0.25)) & est_ok
    flags = {
        "strong": base & (lq >= _peer_quantile(d, "lq", 0.75)),
        "strong10": base & (lq >= _peer_quantile(d, "lq", 0.90)),
        "significant": present & (lq > _peer_quantile(d, "lq", 0.50)),
        "qualifying": present & (lq > _peer_quantile(d, "lq", 0.25)),
    }
    rated = d.col("traded") if has_traded else d.lit(value=True)
    return {
        name: d.when(rated, d.coalesce(expr, d.lit(value=False))) for name, expr in flags.items()
    }


@dataclass(frozen=True)
class StarCriterion:
    """One star: a measure and the threshold a region's cluster must reach on it."""

    name: str
    column: str
    kind: ThresholdKind
    threshold: float

    def __post_init__(self) -> None:
        if self.kind not in ("quantile", "absolute"):
            raise InvalidInput.single(
                "expected 'quantile' or 'absolute'", field=f"{self.name}.kind", value=self.kind
            )
        if self.kind == "quantile" and not 0.0 < self.threshold < 1.0:
            raise InvalidInput.single(
                "a quantile threshold must lie strictly between 0 and 1",
                field=f"{self.name}.threshold",
                value=str(self.threshold),
            )

    def met(self, d: Dialect = POLARS) -> Expr:
        """True where the cell reaches the threshold, null where the measure is unknown."""
        value = d.col(self.column)
        cut = (
            _peer_quantile(d, self.column, self.threshold)
            if self.kind == "quantile"
            else d.lit(self.threshold)
        )
        present = d.col("employment") > 0
        return d.when(d.is_null(value), d.lit(None), present & (value >= cut))


@dataclass(frozen=True)
class StarRules:
    """A set of star criteria; the star count is how many of them a cell meets."""

    criteria: tuple[StarCriterion, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [c.name for c in self.criteria]
        if len(set(names)) != len(names) or not names:
            raise InvalidInput.single(
                "expected at least one criterion and unique names", field="criteria"
            )


#: European Observatory for Clusters and Industrial Change (2016-2021): size, specialisation,
#: productivity; dynamism added as the issue's fourth dimension. Top-10 % cuts are inferred
#: from the published star counts (see docs/methodology/ratings.md), LQ >= 2 is the older
#: observatory's published specialisation cut.
EOCIC = StarRules(
    (
        StarCriterion("size", "employment", "quantile", 0.9),
        StarCriterion("specialisation", "lq", "absolute", 2.0),
        StarCriterion("productivity", "wage_per_employee", "quantile", 0.9),
        StarCriterion("dynamism", "growth", "quantile", 0.9),
    )
)

#: European Cluster Observatory (2007-2015): size, specialisation and focus.
ECO_2007 = StarRules(
    (
        StarCriterion("size", "employment", "quantile", 0.9),
        StarCriterion("specialisation", "lq", "absolute", 2.0),
        StarCriterion("focus", "focus", "quantile", 0.9),
    )
)

STAR_PRESETS: dict[StarPreset, StarRules] = {"eocic": EOCIC, "eco2007": ECO_2007}


def eu_stars(metrics: Frame, rules: StarRules = EOCIC) -> Frame:
    """Add ``star_<criterion>`` flags, ``stars`` (criteria met) and ``stars_possible``.

    A criterion whose measure is unknown for a cell (no wages in the source, or no earlier
    year for growth) is left null and not counted in ``stars_possible``, so a cell is never
    penalised for data the source does not publish.
    """
    columns = metrics.collect_schema()
    missing = [c.column for c in rules.criteria if c.column not in columns]
    if missing:
        raise InvalidInput.single(
            f"star criteria need column(s) {', '.join(missing)}, absent from the metrics",
            field="criteria",
        )
    return metrics.with_columns(**star_flags(POLARS, rules)).with_columns(
        **star_counts(POLARS, rules)
    )


def star_flags(d: Dialect, rules: StarRules) -> dict[str, Expr]:
    """``star_<criterion>``: whether each criterion is met (null where its measure is unknown)."""
    return {f"star_{c.name}": c.met(d) for c in rules.criteria}


def star_counts(d: Dialect, rules: StarRules) -> dict[str, Expr]:
    """``stars`` (criteria met) and ``stars_possible`` (criteria whose measure is known)."""
    flags = [d.col(f"star_{c.name}") for c in rules.criteria]
    return {
        "stars": d.int8(d.total([d.coalesce(d.int8(f), d.lit(0)) for f in flags])),
        "stars_possible": d.int8(d.total([d.int8(~d.is_null(f)) for f in flags])),
    }


def check_max_estimated(max_estimated: float) -> None:
    """Refuse a maximum estimated share outside 0..1, naming the field."""
    if not 0.0 <= max_estimated <= 1.0:
        raise InvalidInput.single(
            "expected a share between 0 and 1",
            field="max_estimated",
            value=str(max_estimated),
        )


def stars_withheld(max_estimated: float = MAX_ESTIMATED_SHARE) -> pl.Expr:
    """True where a cell has stars but is more than ``max_estimated`` estimated."""
    check_max_estimated(max_estimated)
    return (pl.col("estimated_share").fill_null(0.0) > max_estimated) & (pl.col("stars") > 0)


def withhold_stars(
    rated: Frame, max_estimated: float = MAX_ESTIMATED_SHARE, *, include_estimated: bool = False
) -> Frame:
    """Add ``stars_withheld``; unless ``include_estimated``, withheld cells show 0 stars.

    The star flags (``star_size`` ..) stay as computed, so a reader who asks sees why the
    cell would have had its stars.
    """
    withheld = stars_withheld(max_estimated)
    if include_estimated:
        return rated.with_columns(stars_withheld=pl.lit(value=False))
    return rated.with_columns(
        stars=pl.when(withheld).then(pl.lit(0, pl.Int8)).otherwise(pl.col("stars")),
        stars_withheld=withheld,
    )
