"""The audit log for site admins: a filterable page, ``GET /api/v1/audit`` and a CSV download.

All three take the same filters from the address (actor or e-mail, action, entity type and id,
a date range), so a filtered page can be bookmarked, shared and downloaded as it is shown.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from clusterhub.errors import InvalidInput
from clusterhub.services import write_actions
from clusterhub.services.accounts import audit_log
from clusterhub.services.accounts.audit_log import MAX_PAGE_SIZE, PAGE_SIZE, AuditQuery
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.audit import AuditPublic
from clusterhub.services.schemas import Page
from clusterhub.web.api.params import ErrorBody
from clusterhub.web.deps import DbSession
from clusterhub.web.exporting import export_table
from clusterhub.web.security import require_role

router = APIRouter(include_in_schema=False)
api_router = APIRouter(
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


@api_router.get("/audit")
def audit_entries(
    session: DbSession, admin: SiteAdmin, query: Filters, page: PageNo = 1,
    page_size: PageSize = PAGE_SIZE,
) -> Page[AuditPublic]:  # fmt: skip
    """Audit entries, newest first, one page at a time (site admins). Filters combine with AND;
    ``total`` counts every matching entry."""
    return audit_log.search(session, actor=admin, query=query, page=page, page_size=page_size)


@api_router.get("/audit.csv", response_class=Response)
def audit_csv(session: DbSession, admin: SiteAdmin, query: Filters) -> Response:
    """The matching entries as CSV, newest first (at most 100,000; narrow the dates for more).
    ``details`` is a JSON object per row."""
    rows = audit_log.export_rows(session, actor=admin, query=query)
    response = export_table(rows, audit_log.EXPORT_COLUMNS, name="audit_log", fmt="csv")
    response.headers.update(NO_STORE)
    return response


@router.get("/account/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: DbSession,
    admin: SiteAdmin,
    actor: Text = None,
    action: Text = None,
    entity_type: Text = None,
    entity_id: Text = None,
    since: Day = None,
    until: Day = None,
    page: PageNo = 1,
) -> HTMLResponse:
    """The audit log, 50 entries a page; a malformed filter is shown beside the form (422)."""
    sent = {
        "actor": actor, "action": action, "entity_type": entity_type, "entity_id": entity_id,
        "since": since, "until": until,
    }  # fmt: skip
    try:
        query = AuditQuery.parse(sent)
    except InvalidInput as exc:
        return _render(request, 422, values=sent, errors=exc.problems, entries=None)
    found = audit_log.search(session, actor=admin, query=query, page=page)
    return _render(
        request, 200, values=sent, errors=[], entries=found, pages=_pages(found),
        link=_link(query), download=f"/api/v1/audit.csv?{urlencode(query.params())}",
    )  # fmt: skip


def _render(request: Request, status: int, **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        "pages/account/audit.html",
        {
            "nav": "account", "actions": write_actions.actions(),
            "entity_types": write_actions.entity_types(), **context,
        },
        status_code=status,
        headers=NO_STORE,
    )  # fmt: skip
    return response


def _pages(found: Page[AuditPublic]) -> dict[str, int | None]:
    last = max(1, -(-found.total // found.page_size))
    return {
        "current": found.page,
        "last": last,
        "previous": found.page - 1 if found.page > 1 else None,
        "next": found.page + 1 if found.page < last else None,
    }


def _link(query: AuditQuery) -> Any:
    """The address of another page with the same filters."""
    params = query.params()

    def link(page: int) -> str:
        return "/account/audit?" + urlencode({**params, "page": str(page)})

    return link
