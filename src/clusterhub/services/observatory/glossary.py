"""What the observatory's tables need besides their rows: legends, left-out columns, names.

A reader meets LQ, stars, density or COG in a table, not on the methodology page; every page
takes its star legend and "why is this column empty" sentences from here, and its column
definitions from ``terms`` (which the API's field descriptions share), so a definition is
written once and cannot drift between pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clusterhub.services.observatory.periods import growth_period
from clusterhub.services.observatory.schemas import DatasetPublic, GrowthPeriodPublic, MetricPublic
from clusterhub.services.observatory.terms import STRONG_STARS, TERMS
from clusterhub.services.observatory.vocabulary import (
    REGION_TYPE_LABELS,
    WITHHELD_COLOUR,
    star_colours,
)
from clusterhub.stats.ratings import STAR_PRESETS, StarCriterion
from clusterhub.stats.vocabulary import StarPreset


@dataclass(frozen=True)
class Absent:
    """A measure with no value anywhere in a table, and why (said instead of a column of "–")."""

    column: str
    label: str
    reason: str


#: The measures of a cluster table that a data set may not publish (each is also a term).
OPTIONAL_MEASURES = ("wage_per_employee", "growth")

_CRITERION_LABELS = {
    "employment": "employment",
    "lq": "LQ",
    "wage_per_employee": "wage per employee",
    "growth": "employment growth",
    "focus": "share of the region's employment",
}


def region_type_label(region_type: str) -> str:
    """``nuts2`` -> "NUTS 2", ``state`` -> "U.S. state"; an unknown type as it is."""
    return REGION_TYPE_LABELS.get(region_type, region_type)


def criterion_rule(criterion: StarCriterion) -> str:
    """A star criterion in words, from the rule itself (so the words follow the defaults)."""
    measure = _CRITERION_LABELS.get(criterion.column, criterion.column)
    if criterion.kind == "quantile":
        top = round(100 * (1 - criterion.threshold))
        return f"{criterion.name}: {measure} in the top {top} % of regions of the same type"
    return f"{criterion.name}: {measure} of at least {criterion.threshold:g}"


@dataclass(frozen=True)
class StarLegend:
    """The discrete star legend of a table: the criteria, what each count of stars means and
    its map colour (``levels``: glyph, text, colour), and how many rows have their stars
    withheld (mostly estimated), which the legend names apart from "no star"."""

    criteria: tuple[str, ...]
    levels: tuple[tuple[str, str, str], ...]
    assessable: int
    withheld: int
    withheld_colour: str = WITHHELD_COLOUR


def star_legend(rows: Sequence[MetricPublic], preset: StarPreset = "eocic") -> StarLegend:
    """The legend for ``rows``, from the rule of ``preset`` and the rows' own star flags.

    Only the criteria the data can assess can be earned (SBS publishes no wages, and a year
    without its growth period's start year has no growth: two or three of four); the legend
    names the others as not assessable rather than let two stars read as "two of four".
    """
    criteria = STAR_PRESETS[preset].criteria
    assessed = {name for row in rows for name, met in row.star_flags.items() if met is not None}
    texts = tuple(
        criterion_rule(c) + ("" if c.name in assessed else " (not assessable with this data)")
        for c in criteria
    )
    assessable = sum(c.name in assessed for c in criteria)
    colours = star_colours(assessable)
    levels = tuple(
        ("★" * n if n else "no star", _level_text(n, assessable), colours[n])
        for n in range(assessable, -1, -1)
    )
    return StarLegend(texts, levels, assessable, sum(row.stars_withheld for row in rows))


def _level_text(stars: int, assessable: int) -> str:
    if stars == 0:
        return "no criterion met"
    if stars == assessable:
        return f"all {assessable} assessable criteria met"
    return f"{stars} of {assessable} assessable criteria met"


@dataclass(frozen=True)
class TableNotes:
    """What a cluster table needs besides its rows: the columns it leaves out and the legend."""

    absent: list[Absent]
    star_legend: StarLegend


def table_notes(rows: Sequence[MetricPublic], dataset: DatasetPublic) -> TableNotes:
    """Columns no row fills (said why, growth with its period) and the star legend of
    ``rows`` (one year of ``dataset``)."""
    period = growth_period(dataset, rows[0].year) if rows else None
    return TableNotes(
        absent_measures(rows, dataset.title, period),
        star_legend(rows),
    )


def is_strong(metric: MetricPublic, *, estimated: bool = False) -> bool:
    """The page's "strong cluster": two stars or more, or strong by the U.S. rule; a mostly
    estimated cell only when the reader asked for estimated stars (``estimated``)."""
    if metric.mostly_estimated and not estimated:
        return False
    return metric.stars >= STRONG_STARS or bool(metric.strong)


def absent_measures(
    rows: Sequence[MetricPublic], dataset_title: str, growth: GrowthPeriodPublic | None = None
) -> list[Absent]:
    """The optional measures no row has a value for, each with the reason in words.

    Eurostat SBS publishes no wage bill, and growth needs the same cells ``growth_years``
    earlier (with ``growth``, the period of the rows' year says which year is missing). A
    column of dashes says nothing; a sentence says why.
    """
    reasons = {
        "wage_per_employee": f"{dataset_title} publishes no wage bill for these cells",
        "growth": growth.explanation
        if growth is not None and not growth.available
        else f"{dataset_title} has no employment figures for the same cells at the start of "
        "the growth period",
    }
    return [
        Absent(column, TERMS[column].label, reasons[column])
        for column in OPTIONAL_MEASURES
        if rows and all(getattr(row, column) is None for row in rows)
    ]
