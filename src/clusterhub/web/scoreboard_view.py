"""The scoreboard section of the region page: its context, built from one service call.

A region the scoreboard cannot score (a U.S. state, a code with no indicator value, peers
that are not of its NUTS level) gets a short note instead of the section, never an error
page: the rest of the region page stays useful.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.observatory.charts import figure_json
from clusterhub.services.scoreboard.charts import dimension_comparison
from clusterhub.services.scoreboard.scorecards import region_scorecard
from clusterhub.web.errors import reason


def scoreboard_section(session: Session, code: str, peers: Sequence[str]) -> dict[str, Any]:
    """``{"card", "figure_json", "note", "names"}`` for ``pages/_scoreboard.html``; ``names``
    gives the indicator and dimension names for the codes a card refers to (bottleneck drivers,
    an indicator's dimension), so the page never shows a bare code."""
    try:
        card = region_scorecard(session, code=code, peers=list(peers) or None)
    except (NotFound, InvalidInput) as exc:
        return {"card": None, "figure_json": None, "note": reason(exc)}
    if not card.indicators:
        note = "No ecosystem indicator has a value for this region yet."
        return {"card": None, "figure_json": None, "note": note}
    figure = figure_json(dimension_comparison(card))
    names = {i.code: i.name for i in card.indicators} | {d.code: d.name for d in card.dimensions}
    return {"card": card, "figure_json": figure, "note": None, "names": names}
