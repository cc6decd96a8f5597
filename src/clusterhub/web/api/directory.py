"""JSON API ``/api/v1`` of the directory: search, profiles, edits, history, partnerships.

Writes act as the logged-in user of the session cookie; with that cookie they need the
``X-CSRF-Token`` header (see ``web.security``). Edits are optimistic: a ``PATCH`` names the
version it was made on and is refused with 409 when the profile has changed since.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from clusterhub.services.directory import partnerships
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import (
    OrganisationInput,
    OrganisationPublic,
    PartnershipListed,
    PartnershipPublic,
    RevisionPublic,
)
from clusterhub.services.search import export as search_export
from clusterhub.services.search.schemas import SearchResults
from clusterhub.web.api.params import ErrorBody
from clusterhub.web.deps import (
    DbSession,
    DirCatalogues,
    DirIndex,
    SearchQuery,
    SentenceEmbedder,
)
from clusterhub.web.exporting import MEDIA, About, ExportFormat, export_table
from clusterhub.web.security import CurrentUser, OptionalUser


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The body could not be read (not UTF-8 JSON)",
        401: "Not logged in",
        403: "Logged in, but not one of the profile's admins",
        404: "No such profile or partnership",
        409: "The profile changed since the given version; details.current_version",
        422: "A parameter or field is malformed; each problem names its field",
    }
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}


router = APIRouter(prefix="/api/v1", tags=["directory"], responses=errors(422))

OrganisationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The profile's id.")]
PartnershipKey = Annotated[
    str,
    Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9:._-]+$", examples=["cgi-escp4i"]),
]


class ProfilePatch(BaseModel):
    """A partial edit: the version it was made on, and the fields to change."""

    version: int = Field(ge=1, le=2**31 - 1, description="The profile's version when read.")
    changes: dict[str, Any] = Field(
        description="Field -> new value, for any editable field of OrganisationInput."
    )


@router.get("/organisations")
def search(
    session: DbSession, index: DirIndex, embedder: SentenceEmbedder, query: SearchQuery
) -> SearchResults:
    """Search the directory: keyword, semantic or hybrid, with filters, facets and paging.

    Multi-valued filters repeat their parameter (``country=DE&country=FR``). ``name_html`` and
    ``snippet_html`` are escaped HTML with the matched terms in ``<mark>``.
    """
    return index.search(session, query, embedder=embedder)


@router.get(
    "/organisations.{fmt}",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "A table"}},
)
def export(
    request: Request,
    session: DbSession,
    index: DirIndex,
    embedder: SentenceEmbedder,
    query: SearchQuery,
    fmt: ExportFormat,
) -> Response:
    """The search's results as a CSV or XLSX table, in its order and with its filters (``page``
    and ``page_size`` are ignored): at most 2,000 rows. ``X-Total-Count`` says how many
    results the search had, ``X-Rows`` how many rows the file holds."""
    table = search_export.search_table(session, request=query, index=index, embedder=embedder)
    about = About(
        title=f"Directory search: {table.total} results, {len(table.rows)} rows",
        source="clusterhub directory (cluster organisations, partnerships, Horizon 2020 "
        "participants from CORDIS, and synthetic demo profiles marked as such)",
        method="Ranked by the directory search (keywords and, where available, meaning).",
        link=str(request.url),
    )
    response = export_table(
        table.rows, search_export.COLUMNS, name="directory_search", fmt=fmt, about=about
    )
    response.headers["X-Total-Count"] = str(table.total)
    response.headers["X-Rows"] = str(len(table.rows))
    return response


@router.get("/organisations/{organisation_id}", responses=errors(404))
def get(
    session: DbSession, user: OptionalUser, organisation_id: OrganisationId
) -> OrganisationPublic:
    """A full profile; contact fields are filled only for logged-in users."""
    return directory.get_profile(session, organisation_id=organisation_id, viewer=user)


@router.post("/organisations", status_code=201, responses=errors(400, 401, 403, 409))
def create(
    session: DbSession,
    user: CurrentUser,
    catalogues: DirCatalogues,
    embedder: SentenceEmbedder,
    data: OrganisationInput,
) -> OrganisationPublic:
    """Create a profile; the logged-in user becomes its first admin."""
    return directory.create_profile(
        session, data=data, actor=user, catalogues=catalogues, embedder=embedder
    )


@router.patch("/organisations/{organisation_id}", responses=errors(400, 401, 403, 404, 409))
def update(
    session: DbSession,
    user: CurrentUser,
    catalogues: DirCatalogues,
    embedder: SentenceEmbedder,
    organisation_id: OrganisationId,
    patch: ProfilePatch,
) -> OrganisationPublic:
    """Change some fields of a profile (its admins), unless it changed since ``version``."""
    return directory.update_profile(
        session, organisation_id=organisation_id, changes=patch.changes,
        expected_version=patch.version, actor=user, catalogues=catalogues, embedder=embedder,
    )  # fmt: skip


@router.get("/organisations/{organisation_id}/history", responses=errors(401, 403, 404))
def history(
    session: DbSession, user: CurrentUser, organisation_id: OrganisationId
) -> list[RevisionPublic]:
    """Every saved change of a profile, newest first (its admins)."""
    return directory.history(session, organisation_id=organisation_id, actor=user)


@router.get("/partnerships")
def partnership_list(session: DbSession) -> list[PartnershipListed]:
    """Every partnership with its member count."""
    return partnerships.list_partnerships(session)


@router.get("/partnerships/{key}", responses=errors(404))
def partnership(session: DbSession, key: PartnershipKey) -> PartnershipPublic:
    """A partnership with its member profiles."""
    return partnerships.get_partnership(session, key=key)
