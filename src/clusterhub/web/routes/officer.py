"""Programme officer pages (``/officer``): partnerships, the indicator upload, the label queue.

Programme officers and site admins only. Handlers parse, call one service and render; the
services check the role again. Monitoring pages will join this section when they exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clusterhub.classify.indicators import default_catalogue
from clusterhub.errors import Conflict, InvalidInput, PermissionDenied, Problem
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.directory import labels, partnerships
from clusterhub.services.scoreboard import imports
from clusterhub.services.scoreboard.imports import MAX_UPLOAD_BYTES
from clusterhub.web.caching import data_changed
from clusterhub.web.deps import DbSession, DirCatalogues
from clusterhub.web.security import require_role
from clusterhub.web.uploads import UploadForm

router = APIRouter(prefix="/officer", include_in_schema=False)

Officer = Annotated[UserPublic, Depends(require_role(Role.PROGRAMME_OFFICER))]
ProfileId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[int, Form(ge=1, le=2**31 - 1)]
Note = Annotated[str, Form(max_length=labels.MAX_NOTE + 100)]
NO_STORE = {"Cache-Control": "no-store"}
NOTICES = {
    "verified": "The label was verified.",
    "rejected": "The label was rejected; the profile shows it as rejected.",
}


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, f"officer/{template}", {"nav": "officer", **context}, status_code=status,
        headers=NO_STORE,
    )  # fmt: skip
    return response


@router.get("", response_class=HTMLResponse)
def home(request: Request, session: DbSession, officer: Officer) -> HTMLResponse:
    """What officers can do here, with how many labels wait for review."""
    waiting = labels.queue(session, actor=officer).total
    count = len(partnerships.list_partnerships(session))
    return _render(request, "home.html", waiting=waiting, partnership_count=count)


@router.get("/partnerships", response_class=HTMLResponse)
def partnership_overview(
    request: Request, session: DbSession, catalogues: DirCatalogues, officer: Officer
) -> HTMLResponse:
    """Every partnership with its member profiles on one page."""
    return _render(
        request,
        "partnerships.html",
        partnerships=partnerships.with_members(session),
        clusters=catalogues.clusters,
    )


# --- indicator upload -------------------------------------------------------------------------


def _indicator_form(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    eurostat = [i for i in default_catalogue().indicators if i.eurostat is not None]
    context.setdefault("errors", [])
    return _render(
        request, "indicators.html", status, eurostat=eurostat,
        max_mb=MAX_UPLOAD_BYTES // 2**20, **context,
    )  # fmt: skip


@router.get("/indicators", response_class=HTMLResponse)
def indicator_form(request: Request, officer: Officer) -> HTMLResponse:
    """The scoreboard indicator upload form."""
    return _indicator_form(request)


@router.post("/indicators", response_class=HTMLResponse)
def upload_indicators(
    request: Request, officer: Officer, upload: UploadForm, session: DbSession
) -> Response:
    """Import the uploaded indicator file (every row or none) and show what was stored."""
    try:
        if isinstance(upload, InvalidInput):
            raise upload
        result = imports.import_upload(
            session, actor=officer, name=upload.name, content=upload.content,
            reference=request.app.state.reference, eurostat=upload.eurostat,
        )  # fmt: skip
    except InvalidInput as exc:
        return _indicator_form(request, 422, errors=exc.problems, summary=exc.summary)
    session.commit()  # before the caches forget: the next request reads the new values
    data_changed(request.app.state)
    return _indicator_form(request, result=result)


# --- label queue ------------------------------------------------------------------------------


@router.get("/labels", response_class=HTMLResponse)
def label_queue(
    request: Request,
    session: DbSession,
    officer: Officer,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """Declared labels waiting for review, oldest first."""
    return _queue_page(request, session, officer, notice=NOTICES.get(done or ""))


@router.get("/labels/{organisation_id}", response_class=HTMLResponse)
def label_review(
    request: Request, session: DbSession, officer: Officer, organisation_id: ProfileId
) -> HTMLResponse:
    """One profile's label, to verify or reject again whatever was decided before."""
    item = labels.one(session, organisation_id=organisation_id, actor=officer)
    return _render(
        request, "labels.html", queue=labels.LabelQueue(items=[item], total=1), single=True,
        failed=None,
    )  # fmt: skip


def _queue_page(
    request: Request, session: DbSession, officer: UserPublic, status: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("failed", None)
    return _render(
        request, "labels.html", status, queue=labels.queue(session, actor=officer), **context
    )


@router.post("/labels/{organisation_id}/verify", response_class=HTMLResponse)
def verify_label(
    request: Request,
    session: DbSession,
    officer: Officer,
    organisation_id: ProfileId,
    version: Version,
    evidence: Note = "",
) -> Response:
    """Verify a label with the evidence seen."""
    return _decide(
        request, session, officer, organisation_id, "verified",
        lambda: labels.verify(
            session, organisation_id=organisation_id, expected_version=version,
            evidence=evidence, actor=officer,
        ),
        values={"evidence": evidence},
    )  # fmt: skip


@router.post("/labels/{organisation_id}/reject", response_class=HTMLResponse)
def reject_label(
    request: Request,
    session: DbSession,
    officer: Officer,
    organisation_id: ProfileId,
    version: Version,
    reason: Note = "",
) -> Response:
    """Reject a label, saying why."""
    return _decide(
        request, session, officer, organisation_id, "rejected",
        lambda: labels.reject(
            session, organisation_id=organisation_id, expected_version=version, reason=reason,
            actor=officer,
        ),
        values={"reason": reason},
    )  # fmt: skip


_REFUSALS: dict[type[Exception], int] = {InvalidInput: 422, Conflict: 409, PermissionDenied: 403}


def _decide(
    request: Request,
    session: DbSession,
    officer: UserPublic,
    organisation_id: int,
    outcome: str,
    decide: Callable[[], object],
    *,
    values: dict[str, str],
) -> Response:
    """Run the decision; a refusal is shown at the profile's place in the queue."""
    try:
        decide()
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        problems = exc.problems if isinstance(exc, InvalidInput) else [Problem(str(exc))]
        failed = {"id": organisation_id, "problems": problems, "values": values}
        status = next(code for kind, code in _REFUSALS.items() if isinstance(exc, kind))
        return _queue_page(request, session, officer, status, failed=failed)
    return RedirectResponse(f"/officer/labels?done={outcome}", status_code=303, headers=NO_STORE)
