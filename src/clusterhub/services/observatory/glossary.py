"""What each measure on the observatory's pages means, said once and shown where it is read.

A reader meets LQ, stars, density or COG in a table, not on the methodology page; every page
takes its column tooltips, legends and "why is this empty" sentences from here, so a definition
is written once and cannot drift between pages. Each term links to its section of the
methodology page (``anchor``: the id the rendered ``docs/methodology*.md`` heading gets; a test
checks that every anchor exists).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clusterhub.services.observatory.schemas import DatasetPublic, MetricPublic
from clusterhub.stats.ratings import STAR_PRESETS, StarCriterion
from clusterhub.stats.vocabulary import StarPreset


@dataclass(frozen=True)
class Term:
    """One measure: its column label, a one- or two-sentence definition, where to read more."""

    key: str
    label: str
    definition: str
    anchor: str


@dataclass(frozen=True)
class Absent:
    """A measure with no value anywhere in a table, and why (said instead of a column of "–")."""

    column: str
    label: str
    reason: str


#: A cluster is called strong with this many stars (or by the U.S. rule): ``is_strong``.
STRONG_STARS = 2

_METRICS = "2-metrics-statsmetricscompute_metrics"
_STARS = "32-european-stars-eu_stars"
_US_RULE = "31-us-cluster-mapping-project-flags-us_strength"

_TERMS = (
    Term(
        "employment",
        "Employment",
        "Persons employed in the cluster's industries in the "
        "region (jobs), summed over the industries that define the cluster.",
        _METRICS,
    ),
    Term(
        "focus",
        "Share of region",
        "The cluster's share of all employment in the region: how "
        "much of the regional economy the cluster is.",
        _METRICS,
    ),
    Term(
        "size_share",
        "Share of cluster",
        "The region's share of the cluster's employment in "
        "all regions compared: how much of the cluster is here.",
        _METRICS,
    ),
    Term(
        "lq",
        "LQ",
        "Location quotient: the cluster's share of regional employment divided by "
        "its share of employment in all regions. Above 1 the region is specialised in the "
        "cluster; 2 means twice the average share.",
        _METRICS,
    ),
    Term(
        "wage_per_employee",
        "Wage / employee",
        "Wage bill divided by employment: a productivity proxy.",
        _METRICS,
    ),
    Term(
        "growth",
        "Growth / year",
        "Compound annual growth of employment over the last five years.",
        _METRICS,
    ),
    Term(
        "stars",
        "Stars",
        "One star per criterion met among regions of the same type (see the star legend).",
        _STARS,
    ),
    Term(
        "us_rule",
        "U.S. rule",
        "Strong as the U.S. Cluster Mapping Project defines it: LQ at "
        "or above the 75th percentile of regions of the same type (top 10 %: 90th), LQ of "
        "at least 1 and employment above the 25th percentile.",
        _US_RULE,
    ),
    Term(
        "strong",
        "Strong clusters",
        f"Clusters with {STRONG_STARS} or more stars or strong by "
        "the U.S. rule; one star alone is often size only, as large regions are in the top "
        "10 % of many clusters.",
        _STARS,
    ),
    Term(
        "specialised",
        "Specialised",
        "RCA (the location quotient of the cluster's "
        "employment among the clusters compared) of at least 1.",
        "definitions",
    ),
    Term(
        "rca",
        "RCA",
        "Revealed comparative advantage: the location quotient computed over "
        "the clusters compared (not all employment). At 1 or above the region counts as "
        "specialised.",
        "definitions",
    ),
    Term(
        "density",
        "Density",
        "Relatedness density, 0 to 1: the share of the cluster's related "
        "clusters, weighted by proximity, that the region is already specialised in. Higher "
        "means an easier move.",
        "formulas",
    ),
    Term(
        "cog",
        "COG",
        "Complexity outlook gain: how much specialising in this cluster would "
        "open up other complex clusters to the region. Positive is better; it is a relative "
        "score, not jobs.",
        "definitions",
    ),
    Term(
        "proximity",
        "Proximity",
        "0 to 1: how often two clusters are specialisations of the "
        "same regions (the smaller of the two conditional probabilities).",
        "definitions",
    ),
    Term(
        "score",
        "Score",
        "The indicator or dimension scaled among all regions of the level "
        "compared: 0 the lowest region, 100 the highest.",
        "4-scoring-statsscoreboard",
    ),
    Term(
        "peer_median",
        "Peer median",
        "The median score of the peer regions named above the table.",
        "4-scoring-statsscoreboard",
    ),
    Term(
        "indicators",
        "Indicators",
        "How many of the dimension's indicators have a value for "
        "this region, of those in use; C: the share that are country-level figures.",
        "4-scoring-statsscoreboard",
    ),
    Term(
        "bottleneck",
        "Bottleneck",
        "A dimension scored more than the margin below the peer "
        "median; not assessed when no indicator of the dimension is loaded.",
        "4-scoring-statsscoreboard",
    ),
    Term(
        "country_level",
        "C",
        "A country-level value applied to each region of the country: "
        "it does not tell regions of one country apart.",
        "4-scoring-statsscoreboard",
    ),
)

#: Every term by key, for the faces (a Jinja global) and the tests.
TERMS: dict[str, Term] = {term.key: term for term in _TERMS}

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
    """``nuts2`` -> "NUTS 2", ``nuts0`` -> "NUTS 0 (country)", ``state`` -> "U.S. state"."""
    if region_type == "nuts0":
        return "NUTS 0 (country)"
    if region_type.startswith("nuts") and region_type[4:].isdigit():
        return f"NUTS {region_type[4:]}"
    return _REGION_TYPES.get(region_type, region_type)


_REGION_TYPES = {
    "state": "U.S. state",
    "msa": "U.S. metropolitan area",
    "county": "U.S. county",
    "economic_area": "U.S. economic area",
}


def criterion_rule(criterion: StarCriterion) -> str:
    """A star criterion in words, from the rule itself (so the words follow the defaults)."""
    measure = _CRITERION_LABELS.get(criterion.column, criterion.column)
    if criterion.kind == "quantile":
        top = round(100 * (1 - criterion.threshold))
        return f"{criterion.name}: {measure} in the top {top} % of regions of the same type"
    return f"{criterion.name}: {measure} of at least {criterion.threshold:g}"


@dataclass(frozen=True)
class StarLegend:
    """The discrete star legend of a table: the criteria, and what each count of stars means."""

    criteria: tuple[str, ...]
    levels: tuple[tuple[str, str], ...]
    assessable: int


def star_legend(rows: Sequence[MetricPublic], preset: StarPreset = "eocic") -> StarLegend:
    """The legend for ``rows``, from the rule of ``preset`` and the rows' own star flags.

    Only the criteria the data can assess can be earned (SBS publishes neither wages nor a
    second year: two of four); the legend names the others as not assessable rather than let
    two stars read as "two of four".
    """
    criteria = STAR_PRESETS[preset].criteria
    assessed = {name for row in rows for name, met in row.star_flags.items() if met is not None}
    texts = tuple(
        criterion_rule(c) + ("" if c.name in assessed else " (not assessable with this data)")
        for c in criteria
    )
    assessable = sum(c.name in assessed for c in criteria)
    levels = tuple(
        ("★" * n if n else "no star", _level_text(n, assessable)) for n in range(assessable, -1, -1)
    )
    return StarLegend(texts, levels, assessable)


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
    """Columns no row fills (said why) and the star legend of ``rows``."""
    return TableNotes(
        absent_measures(rows, dataset.title),
        star_legend(rows),
    )


def is_strong(metric: MetricPublic) -> bool:
    """The page's "strong cluster": two stars or more, or strong by the U.S. rule."""
    return metric.stars >= STRONG_STARS or bool(metric.strong)


def absent_measures(rows: Sequence[MetricPublic], dataset_title: str) -> list[Absent]:
    """The optional measures no row has a value for, each with the reason in words.

    Eurostat SBS publishes employment for one year: wages need a wage bill, growth needs the
    same cells five years earlier. A column of dashes says nothing; a sentence says why.
    """
    reasons = {
        "wage_per_employee": f"{dataset_title} publishes no wage bill for these cells",
        "growth": f"{dataset_title} has no employment figures for the same cells five years "
        "earlier",
    }
    return [
        Absent(column, TERMS[column].label, reasons[column])
        for column in OPTIONAL_MEASURES
        if rows and all(getattr(row, column) is None for row in rows)
    ]
