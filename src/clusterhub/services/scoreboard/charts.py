"""The scoreboard chart of the region page: the six dimension scores against the peer median."""

from __future__ import annotations

from clusterhub.services.observatory.charts import Figure, figure
from clusterhub.services.scoreboard.schemas import ScorecardPublic

REGION_COLOUR = "#08519c"
PEER_COLOUR = "#9ecae1"
BOTTLENECK_COLOUR = "#cb181d"


def dimension_comparison(card: ScorecardPublic) -> Figure:
    """Grouped bars: the region's score per dimension beside its peers' median; bottleneck
    dimensions get a red outline and a mark in the label (colour is never the only cue)."""
    labels = [f"{d.name}{' ⚠' if d.bottleneck else ''}" for d in card.dimensions]
    region = {
        "type": "bar",
        "name": card.name or card.region,
        "x": labels,
        "y": [d.score for d in card.dimensions],
        "marker": {
            "color": REGION_COLOUR,
            "line": {
                "color": [
                    BOTTLENECK_COLOUR if d.bottleneck else REGION_COLOUR for d in card.dimensions
                ],
                "width": 3,
            },
        },
        "hovertemplate": "%{x}<br>score %{y:.1f}<extra></extra>",
    }
    peers = {
        "type": "bar",
        "name": "Peer median",
        "x": labels,
        "y": [d.peer_median for d in card.dimensions],
        "marker": {"color": PEER_COLOUR},
        "hovertemplate": "%{x}<br>peer median %{y:.1f}<extra></extra>",
    }
    scale = "score 0-100" if card.method == "minmax" else "z-score"
    yaxis = {"range": [0, 100]} if card.method == "minmax" else {}  # the whole scale
    return figure(
        [region, peers],
        title={"text": f"Ecosystem dimensions ({scale}) against peers; ⚠ = bottleneck"},
        barmode="group",
        legend={"orientation": "h", "y": -0.35},
        xaxis={"tickangle": -20, "automargin": True},
        yaxis=yaxis,
    )
