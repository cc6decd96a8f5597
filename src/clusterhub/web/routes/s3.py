"""Smart Specialisation pages: the strategies stored, one region's priorities beside its strong
clusters with the regions to partner with, and the seed's facts about the thematic platforms.

Every synthetic (demonstration) strategy is labelled where it is shown: the records carry
``synthetic`` and the templates say it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from clusterhub.errors import NotFound
from clusterhub.services.s3 import compare, strategies
from clusterhub.services.s3.schemas import VERDICT_LABELS
from clusterhub.services.s3.seed import seed_facts
from clusterhub.web.deps import DbSession, DirIndex, S3CodeLists

router = APIRouter()
RegionCode = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[A-Za-z0-9]+$")]


def _render(request: Request, template: str, **context: Any) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, f"s3/{template}", {"nav": "s3", **context}
    )
    return response


@router.get("/s3", response_class=HTMLResponse)
def index(request: Request, session: DbSession, index: DirIndex) -> HTMLResponse:
    """Every region's latest strategy, the thematic partnerships and the seed's facts."""
    return _render(
        request, "index.html",
        strategies=strategies.list_strategies(session, region_names=index.region_names),
        partnerships=strategies.list_partnerships(session),
        facts=seed_facts(), region_names=index.region_names,
    )  # fmt: skip


@router.get("/s3/regions/{code}", response_class=HTMLResponse)
def region(
    request: Request, session: DbSession, codes: S3CodeLists, index: DirIndex, code: RegionCode
) -> HTMLResponse:
    """A region's strategy, its priorities beside its strong clusters, and partner regions."""
    comparison = compare.compare_region(session, region=code, codes=codes)
    try:
        partners = compare.partner_regions(session, region=comparison.region_code, codes=codes)
    except NotFound:  # no strategy of its own: nothing to share or complement
        partners = []
    return _render(
        request, "region.html",
        comparison=comparison, counts=comparison.counts(), verdicts=VERDICT_LABELS,
        partners=partners,
        partnerships=strategies.list_partnerships(session, region=comparison.region_code),
        region_names=index.region_names,
    )  # fmt: skip
