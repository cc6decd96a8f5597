"""Charts of the region and cluster pages, as Plotly figure specifications built from service
records.

The figures are plain dicts in plotly.js's JSON schema, not ``plotly.graph_objects``: the
browser draws them, so the server only needs their JSON. Building them through
``graph_objects`` validated every property in Python and imported plotly's ~3,000 generated
modules on a server's first region page (~0.6 s for its first visitor, ~10 ms on every page).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from clusterhub.services.observatory.schemas import ClusterPublic, MetricPublic, RegionPublic
from clusterhub.services.observatory.vocabulary import WITHHELD_COLOUR, star_colours

#: A figure as plotly.js reads it: ``{"data": [traces], "layout": {...}}``.
Figure = dict[str, Any]
#: Stars 0..4 from light to dark; colour-blind safe (one hue, rising darkness).
LAYOUT: dict[str, Any] = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 480}


def figure(data: list[dict[str, Any]], **layout: Any) -> Figure:
    """A figure of ``data`` traces with the shared margins and height, plus ``layout``."""
    return {"data": data, "layout": {**LAYOUT, **layout}}


def figure_json(figure: Figure, *, fit_to_page: bool = False) -> str:
    """``figure`` as compact JSON for plotly.js: a value that is not a finite number (an LQ of
    a region without employment) becomes null, which plotly.js leaves out, where JSON has no
    NaN. ``fit_to_page`` drops the fixed height, so that the page's CSS sizes the figure to
    the screen (a phone gets a shorter map rather than a small map in a tall empty box)."""
    if fit_to_page:
        figure = {**figure, "layout": {k: v for k, v in figure["layout"].items() if k != "height"}}
    return json.dumps(_finite(figure), separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def employment_structure(region: RegionPublic, top: int = 15) -> Figure:
    """The region's largest clusters by employment, coloured by stars."""
    rows = sorted((m for m in region.clusters if m.employment), key=lambda m: m.employment or 0.0)[
        -top:
    ]
    colours = star_colours(max((m.stars_possible for m in rows), default=0))  # the maps'
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": [m.employment for m in rows],
        "y": [m.cluster_name or m.cluster_code for m in rows],
        "marker": {
            "color": [
                WITHHELD_COLOUR if m.stars_withheld else colours[min(m.stars, len(colours) - 1)]
                for m in rows
            ],
            # Hatched bars: more than half of the cluster's employment is estimated.
            "pattern": {"shape": ["/" if m.mostly_estimated else "" for m in rows]},
        },
        "customdata": [[m.stars, m.lq, m.estimated_share or 0.0] for m in rows],
        "hovertemplate": "%{y}<br>%{x:,.0f} jobs, %{customdata[0]} stars, "
        "LQ %{customdata[1]:.2f}, %{customdata[2]:.0%} estimated<extra></extra>",
    }
    hatched = any(m.mostly_estimated for m in rows)
    title = f"Largest clusters of {region.name or region.code}"
    if hatched:
        title += "<br><sup>hatched: more than half estimated</sup>"
    return figure([bars], title={"text": title}, yaxis={"automargin": True})


def specialisation_comparison(
    region: RegionPublic, others: Sequence[RegionPublic], top: int = 12
) -> Figure:
    """LQ of the region's strongest clusters beside the same clusters elsewhere."""
    clusters = [m.cluster_code for m in region.clusters[:top]]
    names = {m.cluster_code: m.cluster_name or m.cluster_code for m in region.clusters}
    traces = []
    for place in (region, *others):
        by_code: dict[str, MetricPublic] = {m.cluster_code: m for m in place.clusters}
        traces.append(
            {
                "type": "bar",
                "name": f"{place.name or place.code} ({place.code})",
                "x": [names[c] for c in clusters],
                "y": [by_code[c].lq if c in by_code else None for c in clusters],
            }
        )
    return figure(
        traces,
        title={"text": "Specialisation (location quotient) compared"},
        barmode="group",
        legend={"orientation": "h", "y": -0.35},
        xaxis={"tickangle": -30, "automargin": True},
        shapes=[reference_line(1.0)],
        annotations=[
            {
                "text": "LQ 1 = reference average",
                "xref": "x domain",
                "x": 1,
                "xanchor": "right",
                "yref": "y",
                "y": 1.0,
                "yanchor": "bottom",
                "showarrow": False,
            }
        ],
    )


def reference_line(y: float) -> dict[str, Any]:
    """A dotted horizontal line across the plot at ``y`` (what ``add_hline`` draws)."""
    return {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"dash": "dot"},
    }


def star_distribution(cluster: ClusterPublic) -> Figure:
    """How many regions of the cluster have 0, 1, 2 ... stars, and how many have their stars
    withheld (a bar of its own, in the maps' colours: withheld is not "no star")."""
    stars = sorted(cluster.star_counts)
    colours = star_colours(max([*stars, *(m.stars_possible for m in cluster.regions)], default=0))
    counts = dict(cluster.star_counts)
    counts[0] = counts.get(0, 0) - cluster.withheld_regions  # withheld are counted under 0
    labels = [f"{s} ★" if s else "no star" for s in stars]
    values = [counts[s] for s in stars]
    fills = [colours[min(s, len(colours) - 1)] for s in stars]
    if cluster.withheld_regions:
        labels.append("stars withheld")
        values.append(cluster.withheld_regions)
        fills.append(WITHHELD_COLOUR)
    bars = {
        "type": "bar",
        "x": labels,
        "y": values,
        "marker": {"color": fills, "line": {"width": 1, "color": "#555"}},
        "hovertemplate": "%{y} regions: %{x}<extra></extra>",
    }
    title = f"Star ratings of {cluster.region_type} regions"
    if cluster.withheld_regions:
        title += "<br><sup>stars withheld: mostly estimated regions, stars not shown</sup>"
    return figure([bars], title={"text": title}, yaxis={"automargin": True})
