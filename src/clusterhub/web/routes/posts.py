"""Partner search and notifications: pages (Jinja2 + HTMX); the API is ``web/api/posts.py``.

Handlers parse, call ``services.posts.board`` or ``services.accounts.notifications``, and
render. The post and interest forms are re-rendered (422) with each problem next to its field;
every other domain error goes to ``web/errors.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from clusterhub.classify.countries import country_names
from clusterhub.errors import InvalidInput, Problem
from clusterhub.services.accounts import notifications
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.directory import profiles as directory
from clusterhub.services.mail import make_mailer
from clusterhub.services.posts import board
from clusterhub.services.posts import interest as post_interest
from clusterhub.services.posts.board import (
    PostInput,
)
from clusterhub.services.reference import Catalogues
from clusterhub.web.api.posts import (
    Filters,
    NotificationId,
    OrganisationId,
    PageNo,
    PostId,
    site_url,
)
from clusterhub.web.deps import AppSettings, DbSession, DirCatalogues, PostedForm
from clusterhub.web.forms import LIST_HINT, PICKER_HINT, labelled, split_list
from clusterhub.web.security import CurrentUser, OptionalUser

FormText = Annotated[str, Form(max_length=20_000)]
NO_STORE = {"Cache-Control": "no-store"}
NOTICES = {
    "published": "Your post is published.",
    "saved": "Your changes are saved; followers were notified.",
    "closed": "The post is closed: it is no longer listed and takes no more interest.",
    "interest": "Your interest was sent to the publishers of this post.",
}

router = APIRouter(include_in_schema=False)


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("errors", [])
    context.setdefault("values", {})
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, template, {"nav": "posts", **context}, status_code=status, headers=NO_STORE
    )
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _login_first(request: Request) -> RedirectResponse:
    return _redirect(f"/account/login?next={request.url.path}")


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/posts", response_class=HTMLResponse)
def post_list(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    catalogues: DirCatalogues,
    filters: Filters,
    page: PageNo = 1,
) -> HTMLResponse:
    """Open offers and requests, newest first, with filters."""
    found = board.list_posts(session, filters=filters, viewer=user, page=page)
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    return _render(
        request, "posts/list.html", listing=found, filters=filters, params=params,
        clusters=catalogues.clusters, countries=country_names(), me=user,
    )  # fmt: skip


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    catalogues: DirCatalogues,
    post_id: PostId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """A post with its interest form, follow button, and (for its admins) who is interested."""
    return _detail(request, session, user, catalogues, post_id, notice=NOTICES.get(saved or ""))


def _detail(
    request: Request,
    session: DbSession,
    user: UserPublic | None,
    catalogues: DirCatalogues,
    post_id: int,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    post = board.get_post(session, post_id=post_id, viewer=user)
    profiles = directory.my_profiles(session, actor=user) if user else []
    return _render(
        request, "posts/detail.html", status, post=post, me=user, my_profiles=profiles,
        clusters=catalogues.clusters, countries=country_names(), **context,
    )  # fmt: skip


@router.post("/posts/{post_id}/interest", response_class=HTMLResponse)
def interest(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    user: CurrentUser,
    catalogues: DirCatalogues,
    post_id: PostId,
    message: FormText = "",
    organisation_id: FormText = "",
) -> Response:
    """Send an expression of interest; the publishers are notified and mailed."""
    values = {"message": message, "organisation_id": organisation_id}
    try:
        post_interest.express_interest(
            session, post_id=post_id, actor=user, mailer=make_mailer(settings),
            data={"message": message, "organisation_id": organisation_id or None},
            site_url=site_url(request, settings),
        )  # fmt: skip
    except InvalidInput as exc:
        return _detail(
            request, session, user, catalogues, post_id, 422, errors=exc.problems, values=values
        )
    return _redirect(f"/posts/{post_id}?saved=interest")


@router.post("/posts/{post_id}/follow", response_class=HTMLResponse)
def follow_page(
    request: Request, session: DbSession, user: CurrentUser, post_id: PostId
) -> Response:
    """Follow a post; HTMX gets the button back, browsers without JavaScript the page."""
    return _follow_answer(
        request, post_id, post_interest.follow(session, post_id=post_id, actor=user)
    )


@router.post("/posts/{post_id}/unfollow", response_class=HTMLResponse)
def unfollow_page(
    request: Request, session: DbSession, user: CurrentUser, post_id: PostId
) -> Response:
    """Stop following a post."""
    return _follow_answer(
        request, post_id, post_interest.unfollow(session, post_id=post_id, actor=user)
    )


def _follow_answer(request: Request, post_id: int, following: bool) -> Response:
    if _htmx(request):
        return _render(request, "posts/_follow.html", post_id=post_id, following=following)
    return _redirect(f"/posts/{post_id}")


@router.get("/directory/{organisation_id}/posts/new", response_class=HTMLResponse)
def new_post_form(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    catalogues: DirCatalogues,
    organisation_id: OrganisationId,
) -> Response:
    """The form for a new post of a profile (its admins only)."""
    if user is None:
        return _login_first(request)
    profile = directory.get_profile(session, organisation_id=organisation_id, viewer=user)
    board.require_editor(session, actor=user, organisation_id=organisation_id)
    return _form(request, catalogues, profile=profile, values=_form_values(None))


@router.post("/directory/{organisation_id}/posts/new", response_class=HTMLResponse)
def create_post_page(
    request: Request,
    user: CurrentUser,
    form: PostedForm,
    session: DbSession,
    catalogues: DirCatalogues,
    organisation_id: OrganisationId,
) -> Response:
    """Publish the post, or show the form again with what is wrong."""
    values = _posted(form)
    try:
        post = board.create_post(
            session, organisation_id=organisation_id, data=_post_data(values), actor=user,
            catalogues=catalogues,
        )  # fmt: skip
    except InvalidInput as exc:
        profile = directory.get_profile(session, organisation_id=organisation_id, viewer=user)
        return _form(
            request, catalogues, profile=profile, values=values, errors=exc.problems, status=422
        )
    return _redirect(f"/posts/{post.id}?saved=published")


@router.get("/posts/{post_id}/edit", response_class=HTMLResponse)
def edit_post_form(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    catalogues: DirCatalogues,
    post_id: PostId,
) -> Response:
    """The edit form of a post (the profile's admins only)."""
    if user is None:
        return _login_first(request)
    post = board.get_post(session, post_id=post_id, viewer=user)
    board.require_editor(session, actor=user, organisation_id=post.organisation_id)
    values = _form_values(board.post_input(session, post_id=post_id))
    return _form(request, catalogues, post=post, values=values)


@router.post("/posts/{post_id}/edit", response_class=HTMLResponse)
def edit_post(
    request: Request,
    user: CurrentUser,
    form: PostedForm,
    session: DbSession,
    catalogues: DirCatalogues,
    post_id: PostId,
) -> Response:
    """Save the edited post; followers are notified."""
    values = _posted(form)
    try:
        board.update_post(
            session, post_id=post_id, data=_post_data(values), actor=user, catalogues=catalogues
        )
    except InvalidInput as exc:
        post = board.get_post(session, post_id=post_id, viewer=user)
        return _form(request, catalogues, post=post, values=values, errors=exc.problems, status=422)
    return _redirect(f"/posts/{post_id}?saved=saved")


@router.post("/posts/{post_id}/close", response_class=HTMLResponse)
def close_post_page(session: DbSession, user: CurrentUser, post_id: PostId) -> Response:
    """Close the post (its admins only)."""
    board.close_post(session, post_id=post_id, actor=user)
    return _redirect(f"/posts/{post_id}?saved=closed")


def _form(
    request: Request,
    catalogues: Catalogues,
    *,
    values: dict[str, Any],
    status: int = 200,
    errors: list[Problem] | None = None,
    **context: Any,
) -> Response:
    return _render(
        request, "posts/form.html", status, values=values, clusters=catalogues.clusters,
        countries=country_names(), kinds=board.KIND_LABELS, max_days=board.MAX_DAYS,
        errors=labelled(errors or [], POST_LABELS), list_hint=LIST_HINT, picker_hint=PICKER_HINT,
        **context,
    )  # fmt: skip


#: The post form's labels, which name a field in its error messages.
POST_LABELS = {
    "kind": "Kind", "title": "Title", "body": "Description", "keywords": "Keywords",
    "cluster_codes": "Cluster categories", "target_countries": "Target countries",
    "expires_on": "Listed until",
}  # fmt: skip


def _posted(form: FormData) -> dict[str, Any]:
    """The post form's fields as typed (the coded lists may hold several values)."""
    values: dict[str, Any] = {
        name: str(form.get(name) or "")[: board.MAX_BODY + 1]
        for name in ("kind", "title", "body", "keywords", "expires_on")
    }
    for name in ("cluster_codes", "target_countries"):
        values[name] = [str(v)[:100] for v in form.getlist(name)][:300]
    return values


def _post_data(values: dict[str, Any]) -> dict[str, Any]:
    """Form values as the service takes them: keywords split, an empty date left out."""
    data = {**values, "keywords": split_list(values["keywords"])}
    if not values["expires_on"]:
        del data["expires_on"]
    return data


def _form_values(post: PostInput | None) -> dict[str, Any]:
    if post is None:
        return {"kind": "request", "cluster_codes": [], "target_countries": []}
    return {
        **post.model_dump(),
        "keywords": ", ".join(post.keywords),
        "expires_on": post.expires_on.isoformat() if post.expires_on else "",
    }


@router.get("/notifications", response_class=HTMLResponse)
def notification_list(
    request: Request, session: DbSession, user: OptionalUser, page: PageNo = 1
) -> Response:
    """The user's notifications, unread first."""
    if user is None:
        return _login_first(request)
    found = notifications.list_notifications(session, actor=user, page=page)
    return _render(request, "notifications/list.html", listing=found, unread=found.unread)


@router.post("/notifications/{notification_id}/read", response_class=HTMLResponse)
def read_one(session: DbSession, user: CurrentUser, notification_id: NotificationId) -> Response:
    """Mark one notification read."""
    notifications.mark_read(session, actor=user, notification_ids=[notification_id])
    return _redirect("/notifications")


@router.post("/notifications/read-all", response_class=HTMLResponse)
def read_all(session: DbSession, user: CurrentUser) -> Response:
    """Mark every notification read."""
    notifications.mark_read(session, actor=user)
    return _redirect("/notifications")


@router.get("/notifications/badge", response_class=HTMLResponse)
def badge(request: Request, session: DbSession, user: OptionalUser) -> HTMLResponse:
    """The header's notification link with the unread count (an HTMX fragment)."""
    if user is None:
        return HTMLResponse("", headers=NO_STORE)
    count = notifications.unread_count(session, user_id=user.id)
    return _render(request, "notifications/_badge.html", unread=count)
