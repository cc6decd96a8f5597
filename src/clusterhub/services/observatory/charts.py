"""Charts of the region and cluster pages, as Plotly figures built from service records."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from clusterhub.services.observatory.schemas import ClusterPublic, MetricPublic, RegionPublic

#: Stars 0..4 from light to dark; colour-blind safe (one hue, rising darkness).
STAR_COLOURS = ["#c6dbef", "#6baed6", "#2171b5", "#08519c", "#08306b"]
LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 480}


def employment_structure(region: RegionPublic, top: int = 15) -> go.Figure:
    """The region's largest clusters by employment, coloured by stars."""
    rows = sorted((m for m in region.clusters if m.employment), key=lambda m: m.employment or 0.0)[
        -top:
    ]
    figure = go.Figure(
        go.Bar(
            x=[m.employment for m in rows],
            y=[m.cluster_name or m.cluster_code for m in rows],
            orientation="h",
            marker={
                "color": [STAR_COLOURS[min(m.stars, 4)] for m in rows],
                # Hatched bars: more than half of the cluster's employment is estimated.
                "pattern": {"shape": ["/" if m.mostly_estimated else "" for m in rows]},
            },
            customdata=[[m.stars, m.lq, m.estimated_share or 0.0] for m in rows],
            hovertemplate="%{y}<br>%{x:,.0f} jobs, %{customdata[0]} stars, "
            "LQ %{customdata[1]:.2f}, %{customdata[2]:.0%} estimated<extra></extra>",
        )
    )
    hatched = any(m.mostly_estimated for m in rows)
    title = f"Largest clusters of {region.name or region.code}"
    figure.update_layout(
        title=title + ("<br><sup>hatched: more than half estimated</sup>" if hatched else ""),
        **LAYOUT,
    )
    figure.update_yaxes(automargin=True)
    return figure


def specialisation_comparison(
    region: RegionPublic, others: Sequence[RegionPublic], top: int = 12
) -> go.Figure:
    """LQ of the region's strongest clusters beside the same clusters elsewhere."""
    clusters = [m.cluster_code for m in region.clusters[:top]]
    names = {m.cluster_code: m.cluster_name or m.cluster_code for m in region.clusters}
    figure = go.Figure()
    for place in (region, *others):
        by_code: dict[str, MetricPublic] = {m.cluster_code: m for m in place.clusters}
        figure.add_trace(
            go.Bar(
                name=f"{place.name or place.code} ({place.code})",
                x=[names[c] for c in clusters],
                y=[by_code[c].lq if c in by_code else None for c in clusters],
            )
        )
    figure.add_hline(y=1.0, line_dash="dot", annotation_text="LQ 1 = reference average")
    figure.update_layout(
        title="Specialisation (location quotient) compared",
        barmode="group",
        legend={"orientation": "h", "y": -0.35},
        **LAYOUT,
    )
    figure.update_xaxes(tickangle=-30, automargin=True)
    return figure


def star_distribution(cluster: ClusterPublic) -> go.Figure:
    """How many regions of the cluster have 0, 1, 2 ... stars."""
    stars = sorted(cluster.star_counts)
    figure = go.Figure(
        go.Bar(
            x=[f"{s} ★" for s in stars],
            y=[cluster.star_counts[s] for s in stars],
            marker_color=[STAR_COLOURS[min(s, 4)] for s in stars],
            hovertemplate="%{y} regions with %{x}<extra></extra>",
        )
    )
    title = f"Star ratings of {cluster.region_type} regions"
    if cluster.withheld_regions:
        title += (
            f"<br><sup>{cluster.withheld_regions} regions' stars withheld (mostly estimated), "
            "counted under 0 ★</sup>"
        )
    figure.update_layout(title=title, **LAYOUT)
    return figure
