"""The audit log page for site admins, filterable and paginated; the API is ``web/api/audit.py``.

The page takes the same filters from the address as the API, so a filtered page can be
bookmarked, shared and downloaded (as CSV, from the API) as it is shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from clusterhub.errors import InvalidInput
from clusterhub.services import write_actions
from clusterhub.services.accounts import audit_log
from clusterhub.services.accounts.audit_log import AuditQuery
from clusterhub.services.audit import AuditPublic
from clusterhub.services.schemas import Page
from clusterhub.web.api.audit import NO_STORE, Day, PageNo, SiteAdmin, Text
from clusterhub.web.deps import DbSession

router = APIRouter(include_in_schema=False)


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
