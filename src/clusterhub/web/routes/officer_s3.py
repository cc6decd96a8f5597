"""Programme officer pages for Smart Specialisation (``/officer/s3``): import strategies from a
file, have the assistant propose codes for a priority, and confirm (or correct) them.

Programme officers and site admins only; handlers parse, call one service and render, and the
services check the role again. An import stores the whole file or nothing and lists every
problem with its line and field; a confirmation with an unknown code saves nothing and says
which.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clusterhub.errors import InvalidInput
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.s3 import coding, imports, strategies
from clusterhub.services.s3.imports import MAX_FILE_BYTES
from clusterhub.web.deps import DbSession, PostedForm, S3CodeLists
from clusterhub.web.security import require_role
from clusterhub.web.uploads import UploadForm

router = APIRouter(prefix="/officer/s3", include_in_schema=False)
Officer = Annotated[UserPublic, Depends(require_role(Role.PROGRAMME_OFFICER))]
PriorityId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NO_STORE = {"Cache-Control": "no-store"}
#: The confirm form's fields: those with several values, and their free-text companions.
LISTS = ("nace", "fos", "objectives", "add_clusters", "remove_clusters")


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, f"officer/{template}", {"nav": "officer", **context}, status_code=status,
        headers=NO_STORE,
    )  # fmt: skip
    return response


def _overview(request: Request, session: DbSession, codes: S3CodeLists, status: int = 200,
              **context: Any) -> HTMLResponse:  # fmt: skip
    context.setdefault("errors", [])
    return _render(
        request, "s3.html", status, strategies=strategies.latest_public(session, codes),
        max_mb=MAX_FILE_BYTES // 2**20, **context,
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request, officer: Officer, session: DbSession, codes: S3CodeLists
) -> HTMLResponse:
    """The import form and every stored priority with its coding status."""
    return _overview(request, session, codes)


@router.post("", response_class=HTMLResponse)
def upload(
    request: Request, officer: Officer, form: UploadForm, session: DbSession, codes: S3CodeLists
) -> HTMLResponse:
    """Import the uploaded strategies and partnerships (the whole file or nothing)."""
    try:
        if isinstance(form, InvalidInput):
            raise form
        result = imports.import_upload(
            session, actor=officer, name=form.name, content=form.content, codes=codes
        )
    except InvalidInput as exc:
        session.rollback()
        return _overview(request, session, codes, 422, errors=exc.problems, summary=exc.summary)
    session.commit()
    return _overview(request, session, codes, result=result)


def _coding(request: Request, session: DbSession, officer: UserPublic, codes: S3CodeLists,
            priority_id: int, status: int = 200, **context: Any) -> HTMLResponse:  # fmt: skip
    view = coding.coding_view(session, actor=officer, priority_id=priority_id, codes=codes)
    context.setdefault("errors", [])
    return _render(request, "s3_priority.html", status, view=view, **context)


@router.get("/priorities/{priority_id}", response_class=HTMLResponse)
def priority(
    request: Request,
    officer: Officer,
    session: DbSession,
    codes: S3CodeLists,
    priority_id: PriorityId,
    saved: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """A priority, the assistant's last proposal and the confirm form."""
    return _coding(request, session, officer, codes, priority_id, saved=saved)


@router.post("/priorities/{priority_id}/propose")
def propose(
    request: Request, officer: Officer, session: DbSession, priority_id: PriorityId
) -> Response:
    """Have the assistant propose codes (kept on the priority until confirmed)."""
    assistant = request.app.state.directory.s3_assistant
    coding.record_proposal(session, actor=officer, priority_id=priority_id, assistant=assistant)
    session.commit()
    return RedirectResponse(f"/officer/s3/priorities/{priority_id}", 303, headers=NO_STORE)


@router.post("/priorities/{priority_id}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    officer: Officer,
    form: PostedForm,
    session: DbSession,
    codes: S3CodeLists,
    priority_id: PriorityId,
) -> Response:
    """Record the officer's codes: the ticked proposals and any typed in (comma-separated)."""
    chosen = {name: _values(form.getlist(name), form.get(f"{name}_other")) for name in LISTS}
    try:
        coding.confirm_coding(
            session, actor=officer, priority_id=priority_id, nace=chosen["nace"],
            fields_of_science=chosen["fos"], objectives=chosen["objectives"],
            add_clusters=chosen["add_clusters"], remove_clusters=chosen["remove_clusters"],
            codes=codes,
        )  # fmt: skip
    except InvalidInput as exc:
        session.rollback()
        return _coding(request, session, officer, codes, priority_id, 422, errors=exc.problems,
                       summary=exc.summary, typed=chosen)  # fmt: skip
    session.commit()
    return RedirectResponse(
        f"/officer/s3/priorities/{priority_id}?saved=true", 303, headers=NO_STORE
    )


def _values(ticked: list[Any], typed: Any) -> list[str]:
    """Ticked values and comma-separated typed ones, in order, once each, blanks dropped."""
    extra = str(typed).split(",") if isinstance(typed, str) else []
    found = [str(v).strip() for v in [*ticked, *extra] if isinstance(v, str)]
    return list(dict.fromkeys(v for v in found if v))
