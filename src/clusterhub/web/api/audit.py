"""The audit log in the JSON API: ``GET /api/v1/audit`` and its CSV download (site admins).

Both take the filters of the audit page (``web/routes/audit.py``) from the address: actor or
e-mail, action, entity type and id, a date range.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from clusterhub.services.accounts import audit_log
from clusterhub.services.accounts.audit_log import MAX_PAGE_SIZE, PAGE_SIZE, AuditQuery
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.audit import AuditPublic
from clusterhub.services.schemas import Page
from clusterhub.web.api.params import ErrorBody
from clusterhub.web.deps import DbSession
from clusterhub.web.exporting import export_table
from clusterhub.web.security import require_role

router = APIRouter(
    prefix="/api/v1",
    tags=["audit"],
    responses={
        401: {"model": ErrorBody, "description": "Not logged in"},
        403: {"model": ErrorBody, "description": "Logged in, but not a site admin"},
        422: {"model": ErrorBody, "description": "A filter is malformed; the field is named"},
    },
)

SiteAdmin = Annotated[UserPublic, Depends(require_role(Role.SITE_ADMIN))]
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
Text = Annotated[str | None, Query(max_length=254)]
Day = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD (UTC).")]
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


def audit_query(
    actor: Annotated[
        str | None,
        Query(
            max_length=254,
            description="An actor (user:42, cli:alice, system:bootstrap, anonymous) or an "
            "account's e-mail address.",
        ),
    ] = None,
    action: Annotated[str | None, Query(max_length=64, examples=["directory.update"])] = None,
    entity_type: Annotated[str | None, Query(max_length=64, examples=["organisation"])] = None,
    entity_id: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[
        str | None, Query(max_length=10, description="From this day (YYYY-MM-DD, UTC).")
    ] = None,
    until: Annotated[
        str | None, Query(max_length=10, description="Up to this day, inclusive (YYYY-MM-DD).")
    ] = None,
) -> AuditQuery:
    """The audit filters from the address (shared by the page, the API and the download)."""
    return AuditQuery.parse(
        {
            "actor": actor, "action": action, "entity_type": entity_type,
            "entity_id": entity_id, "since": since, "until": until,
        }
    )  # fmt: skip


Filters = Annotated[AuditQuery, Depends(audit_query)]


@router.get("/audit")
def audit_entries(
    session: DbSession, admin: SiteAdmin, query: Filters, page: PageNo = 1,
    page_size: PageSize = PAGE_SIZE,
) -> Page[AuditPublic]:  # fmt: skip
    """Audit entries, newest first, one page at a time (site admins). Filters combine with AND;
    ``total`` counts every matching entry."""
    return audit_log.search(session, actor=admin, query=query, page=page, page_size=page_size)


@router.get("/audit.csv", response_class=Response)
def audit_csv(session: DbSession, admin: SiteAdmin, query: Filters) -> Response:
    """The matching entries as CSV, newest first (at most 100,000; narrow the dates for more).
    ``details`` is a JSON object per row."""
    rows = audit_log.export_rows(session, actor=admin, query=query)
    response = export_table(rows, audit_log.EXPORT_COLUMNS, name="audit_log", fmt="csv")
    response.headers.update(NO_STORE)
    return response
