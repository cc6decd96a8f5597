"""JSON API ``/api/v1/organisations/{id}/recommendations``: suggested new partners, with why.

Suggestions are public (they are derived from public projects and profiles). While the server
is still learning the model, the answer says so (``ready`` false, a ``Retry-After`` header)
instead of keeping the caller waiting for a minute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from clusterhub.services.recommend.partners import TOP, SuggestedPartners, suggest_partners
from clusterhub.web.api.directory import OrganisationId, errors
from clusterhub.web.deps import DbSession, DirCatalogues, Partners, SentenceEmbedder

router = APIRouter(prefix="/api/v1", tags=["recommendations"], responses=errors(422))
#: Seconds a client waits before asking again while the model learns.
RETRY_SECONDS = 30


@router.get("/organisations/{organisation_id}/recommendations", responses=errors(404))
def recommendations(
    response: Response,
    session: DbSession,
    catalogues: DirCatalogues,
    partners: Partners,
    embedder: SentenceEmbedder,
    organisation_id: OrganisationId,
    top: Annotated[int, Query(ge=1, le=50, description="How many partners.")] = TOP,
) -> SuggestedPartners:
    """New partners for the organisation (never itself or an existing co-participant), best
    first, each with its reasons in plain words and as data; ``ready`` is false while the
    model is learning (ask again after ``Retry-After`` seconds) or cannot be learned
    (``message`` says why)."""
    found = suggest_partners(
        session, organisation_id=organisation_id, status=partners.models.current(),
        lens=partners.lens(session, catalogues.clusters), embedder=embedder, top=top,
    )  # fmt: skip
    if found.learning and not found.ready:
        response.headers["Retry-After"] = str(RETRY_SECONDS)
    return found
