"""The global search: the header box's results page and its JSON twin ``/api/v1/search``.

Both call ``services.search.everything`` and add nothing: the page groups its answer by kind,
with counts and links to each kind's full list.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from clusterhub.classify.countries import country_names
from clusterhub.services.search.everything import MAX_QUERY, Everything, search_everything
from clusterhub.web.api.params import ERRORS
from clusterhub.web.deps import DbSession, DirIndex, History, SentenceEmbedder

SearchText = Annotated[
    str, Query(max_length=MAX_QUERY, description="Words: a name, code, place or topic.")
]

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["search"], responses=ERRORS)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    session: DbSession,
    index: DirIndex,
    embedder: SentenceEmbedder,
    history: History,
    q: SearchText = "",
) -> HTMLResponse:
    """Regions, clusters, organisations and posts matching the words typed, grouped by kind."""
    found = search_everything(session, q=q, index=index, embedder=embedder, history=history)
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, "pages/search.html", {"q": q, "found": found, "countries": country_names()}
    )
    return response


@api.get("/search")
def search_api(
    session: DbSession,
    index: DirIndex,
    embedder: SentenceEmbedder,
    history: History,
    q: SearchText = "",
) -> Everything:
    """The best five regions, clusters, organisations and open posts for ``q``, and how many
    of each match (regions and clusters by name or code in every loaded data set,
    organisations by hybrid directory search, posts by title or text)."""
    return search_everything(session, q=q, index=index, embedder=embedder, history=history)


router.include_router(api)
