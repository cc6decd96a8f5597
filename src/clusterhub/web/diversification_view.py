"""The diversification section of the region page: its context, from one service call.

A region whose data set cannot give paths (too few regions of its type, a network that falls
apart, no employment in the clusters compared) gets the reason instead of the table, never an
error page: the rest of the region page stays useful.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.observatory.diversification import region_diversification
from clusterhub.services.observatory.schemas import RegionPublic
from clusterhub.web.errors import reason

#: Paths shown on the page (the API and CLI give all of them).
PAGE_PATHS = 10


def diversification_section(session: Session, region: RegionPublic) -> dict[str, Any]:
    """``{"paths", "note"}`` for ``pages/_diversification.html``."""
    try:
        paths = region_diversification(
            session, code=region.code, dataset=region.dataset, year=region.year, limit=PAGE_PATHS
        )
    except (NotFound, InvalidInput) as exc:
        return {"paths": None, "note": reason(exc)}
    return {"paths": paths, "note": None}
