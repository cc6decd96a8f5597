"""The scoreboard chart of the region page: the six dimension scores against the peer median."""

from __future__ import annotations

import plotly.graph_objects as go

from clusterhub.services.observatory.charts import LAYOUT
from clusterhub.services.scoreboard.schemas import ScorecardPublic

REGION_COLOUR = "#08519c"
PEER_COLOUR = "#9ecae1"
BOTTLENECK_COLOUR = "#cb181d"


def dimension_comparison(card: ScorecardPublic) -> go.Figure:
    """Grouped bars: the region's score per dimension beside its peers' median; bottleneck
    dimensions get a red outline and a mark in the label (colour is never the only cue)."""
    labels = [f"{d.name}{' ⚠' if d.bottleneck else ''}" for d in card.dimensions]
    figure = go.Figure(
        [
            go.Bar(
                name=card.name or card.region,
                x=labels,
                y=[d.score for d in card.dimensions],
                marker={
                    "color": REGION_COLOUR,
                    "line": {
                        "color": [
                            BOTTLENECK_COLOUR if d.bottleneck else REGION_COLOUR
                            for d in card.dimensions
                        ],
                        "width": 3,
                    },
                },
                hovertemplate="%{x}<br>score %{y:.1f}<extra></extra>",
            ),
            go.Bar(
                name="Peer median",
                x=labels,
                y=[d.peer_median for d in card.dimensions],
                marker_color=PEER_COLOUR,
                hovertemplate="%{x}<br>peer median %{y:.1f}<extra></extra>",
            ),
        ]
    )
    scale = "score 0-100" if card.method == "minmax" else "z-score"
    figure.update_layout(
        title=f"Ecosystem dimensions ({scale}) against peers; ⚠ = bottleneck",
        barmode="group",
        legend={"orientation": "h", "y": -0.35},
        **LAYOUT,
    )
    figure.update_xaxes(tickangle=-20, automargin=True)
    if card.method == "minmax":
        figure.update_yaxes(range=[0, 100])  # the whole scale, so a gap is never exaggerated
    return figure
