"""The observatory's measures in words: one definition each, for pages and API alike.

Tooltips, legends (``glossary``, ``_partials/_terms.html``) and the API's field descriptions
(``schemas``) all read these, so a definition cannot drift between where it is read. Each
term links to its section of the methodology page (``anchor``: the id the rendered
``docs/methodology*.md`` heading gets; a test checks that every anchor exists).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One measure: its column label, a one- or two-sentence definition, where to read more."""

    key: str
    label: str
    definition: str
    anchor: str


#: A cluster is called strong with this many stars (or by the U.S. rule): ``is_strong``.
STRONG_STARS = 2

_METRICS = "2-metrics-statsmetricscompute_metrics"
_STARS = "32-european-stars-eu_stars"
_US_RULE = "31-us-cluster-mapping-project-flags-us_strength"
_ESTIMATES = "missing-and-confidential-cells"

_TERMS = (
    Term(
        "estimated_share",
        "Estimated",
        "Share of the cell's employment that is an estimate: confidential cells filled from "
        "the parent region's residual, NACE divisions shared among the clusters' classes by a "
        "key, regions split across NUTS versions. Above half, stars are withheld unless you "
        "ask for them.",
        _ESTIMATES,
    ),
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
        "Compound annual growth rate (CAGR) of employment over the growth period ending in "
        "the year shown (five years unless the data set says otherwise; the period is named "
        "beside the table).",
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
