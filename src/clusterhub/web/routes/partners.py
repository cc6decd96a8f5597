"""The "Suggested partners" section of a profile page, loaded after the page (HTMX).

Learning the model takes about a minute after a start: the page never waits for it. The section
asks again every few seconds while the model learns, then shows the suggestions.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from clusterhub.classify.countries import country_names
from clusterhub.services.recommend.partners import suggest_partners
from clusterhub.web.deps import DbSession, DirCatalogues, Partners, SentenceEmbedder
from clusterhub.web.routes.directory import ProfileId

router = APIRouter()
#: Seconds between the section's requests while the model learns.
POLL_SECONDS = 10


@router.get("/directory/{organisation_id}/suggested-partners", response_class=HTMLResponse)
def suggested_partners(
    request: Request,
    session: DbSession,
    catalogues: DirCatalogues,
    partners: Partners,
    embedder: SentenceEmbedder,
    organisation_id: ProfileId,
) -> HTMLResponse:
    """The section's content: suggestions with their reasons, or why there are none yet."""
    found = suggest_partners(
        session, organisation_id=organisation_id, status=partners.models.current(),
        lens=partners.lens(session, catalogues.clusters), embedder=embedder,
    )  # fmt: skip
    poll = POLL_SECONDS if found.learning and not found.ready else None
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "directory/_suggested_partners.html",
        {"found": found, "poll": poll, "countries": country_names()},
    )  # fmt: skip
    return response
