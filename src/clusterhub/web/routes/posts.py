"""Partner search and notifications: pages (Jinja2 + HTMX) and the JSON API under /api/v1.

Handlers parse, call ``services.posts.board`` or ``services.accounts.notifications``, and
render. The post and interest forms are re-rendered (422) with each problem next to its field;
every other domain error goes to ``web/errors.py``. API writes from a logged-in browser need
the CSRF token in the ``X-CSRF-Token`` header, as HTMX sends it (see ``web/security.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData

from clusterhub.classify.countries import country_names
from clusterhub.errors import InvalidInput, Problem
from clusterhub.services.accounts import notifications
from clusterhub.services.accounts.notifications import NotificationPage
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.directory import profiles as directory
from clusterhub.services.mail import make_mailer
from clusterhub.services.posts import board
from clusterhub.services.posts import interest as post_interest
from clusterhub.services.posts.board import (
    InterestPublic,
    PostCreate,
    PostDetail,
    PostFilter,
    PostInput,
    PostPublic,
)
from clusterhub.services.posts.interest import InterestInput
from clusterhub.services.reference import Catalogues
from clusterhub.services.schemas import Page
from clusterhub.web.api.params import ErrorBody
from clusterhub.web.deps import AppSettings, DbSession, DirCatalogues, PostedForm
from clusterhub.web.forms import LIST_HINT, PICKER_HINT, labelled, split_list
from clusterhub.web.security import CurrentUser, OptionalUser

MAX_ID = board.MAX_ID
PostId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]
OrganisationId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=board.MAX_PAGE_SIZE)]
Text = Annotated[str, Query(max_length=board.MAX_QUERY)]
Choice = Annotated[str, Query(max_length=100)]
FormText = Annotated[str, Form(max_length=20_000)]
NO_STORE = {"Cache-Control": "no-store"}
NOTICES = {
    "published": "Your post is published.",
    "saved": "Your changes are saved; followers were notified.",
    "closed": "The post is closed: it is no longer listed and takes no more interest.",
    "interest": "Your interest was sent to the publishers of this post.",
}


def post_filter(
    kind: Annotated[Choice, Query(description="offer or request")] = "",
    cluster: Annotated[Choice, Query(description="Cluster category code (1-51)")] = "",
    country: Annotated[Choice, Query(description="Country of the publishing profile")] = "",
    target_country: Annotated[Choice, Query(description="A country the post targets")] = "",
    q: Annotated[Text, Query(description="Words in the title or body (substring)")] = "",
    organisation_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this profile's posts")
    ] = None,
    include_expired: bool = False,
    followed: Annotated[bool, Query(description="Only posts you follow (logged in)")] = False,
) -> PostFilter:
    """The list filters from the address, shared by the page and the API (empty = any)."""
    return PostFilter(
        kind=kind or None, cluster=cluster or None, country=country or None,
        target_country=target_country or None, q=q or None, organisation_id=organisation_id,
        include_expired=include_expired, followed=followed,
    )  # fmt: skip


Filters = Annotated[PostFilter, Depends(post_filter)]


def _site_url(request: Request, settings: AppSettings) -> str:
    return settings.public_url or str(request.base_url)


# --- pages ------------------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


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


@pages.get("/posts", response_class=HTMLResponse)
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


@pages.get("/posts/{post_id}", response_class=HTMLResponse)
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


@pages.post("/posts/{post_id}/interest", response_class=HTMLResponse)
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
            site_url=_site_url(request, settings),
        )  # fmt: skip
    except InvalidInput as exc:
        return _detail(
            request, session, user, catalogues, post_id, 422, errors=exc.problems, values=values
        )
    return _redirect(f"/posts/{post_id}?saved=interest")


@pages.post("/posts/{post_id}/follow", response_class=HTMLResponse)
def follow_page(
    request: Request, session: DbSession, user: CurrentUser, post_id: PostId
) -> Response:
    """Follow a post; HTMX gets the button back, browsers without JavaScript the page."""
    return _follow_answer(
        request, post_id, post_interest.follow(session, post_id=post_id, actor=user)
    )


@pages.post("/posts/{post_id}/unfollow", response_class=HTMLResponse)
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


@pages.get("/directory/{organisation_id}/posts/new", response_class=HTMLResponse)
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


@pages.post("/directory/{organisation_id}/posts/new", response_class=HTMLResponse)
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


@pages.get("/posts/{post_id}/edit", response_class=HTMLResponse)
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


@pages.post("/posts/{post_id}/edit", response_class=HTMLResponse)
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


@pages.post("/posts/{post_id}/close", response_class=HTMLResponse)
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


@pages.get("/notifications", response_class=HTMLResponse)
def notification_list(
    request: Request, session: DbSession, user: OptionalUser, page: PageNo = 1
) -> Response:
    """The user's notifications, unread first."""
    if user is None:
        return _login_first(request)
    found = notifications.list_notifications(session, actor=user, page=page)
    return _render(request, "notifications/list.html", listing=found, unread=found.unread)


@pages.post("/notifications/{notification_id}/read", response_class=HTMLResponse)
def read_one(session: DbSession, user: CurrentUser, notification_id: NotificationId) -> Response:
    """Mark one notification read."""
    notifications.mark_read(session, actor=user, notification_ids=[notification_id])
    return _redirect("/notifications")


@pages.post("/notifications/read-all", response_class=HTMLResponse)
def read_all(session: DbSession, user: CurrentUser) -> Response:
    """Mark every notification read."""
    notifications.mark_read(session, actor=user)
    return _redirect("/notifications")


@pages.get("/notifications/badge", response_class=HTMLResponse)
def badge(request: Request, session: DbSession, user: OptionalUser) -> HTMLResponse:
    """The header's notification link with the unread count (an HTMX fragment)."""
    if user is None:
        return HTMLResponse("", headers=NO_STORE)
    count = notifications.unread_count(session, user_id=user.id)
    return _render(request, "notifications/_badge.html", unread=count)


# --- JSON API ---------------------------------------------------------------------------------

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body could not be read as JSON"},
    401: {"model": ErrorBody, "description": "Log in first (session cookie)"},
    403: {"model": ErrorBody, "description": "Not allowed, or the CSRF header is missing"},
    404: {"model": ErrorBody, "description": "No such post, profile or notification"},
    409: {"model": ErrorBody, "description": "Closed/expired post, or interest already sent"},
    422: {"model": ErrorBody, "description": "A field is malformed; each problem is named"},
}
api = APIRouter(prefix="/api/v1", tags=["partner search"], responses=ERRORS)


class FollowState(BaseModel):
    """Whether the caller follows the post now."""

    post_id: int
    following: bool


class ReadRequest(BaseModel):
    """Which notifications to mark read: the listed ids, or all of them."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None, max_length=500, description="Leave out to mark every notification read."
    )


class ReadResult(BaseModel):
    """How many notifications were marked, and how many remain unread."""

    marked: int
    unread: int


@api.get("/posts")
def api_posts(
    session: DbSession,
    user: OptionalUser,
    filters: Filters,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> Page[PostPublic]:
    """Partner-search posts, newest first (open ones unless ``include_expired``)."""
    return board.list_posts(session, filters=filters, viewer=user, page=page, page_size=page_size)


@api.get("/posts/{post_id}")
def api_post(session: DbSession, user: OptionalUser, post_id: PostId) -> PostDetail:
    """A post with what the caller may do; the interest list only for its admins."""
    return board.get_post(session, post_id=post_id, viewer=user)


@api.post("/posts", status_code=201)
def api_create_post(
    session: DbSession, user: CurrentUser, catalogues: DirCatalogues, post: PostCreate
) -> PostPublic:
    """Publish a post for a profile you administer."""
    data = post.model_dump(exclude={"organisation_id"}, exclude_unset=True)
    return board.create_post(
        session, organisation_id=post.organisation_id, data=data, actor=user,
        catalogues=catalogues,
    )  # fmt: skip


@api.put("/posts/{post_id}")
def api_update_post(
    session: DbSession, user: CurrentUser, catalogues: DirCatalogues, post_id: PostId,
    post: PostInput,
) -> PostPublic:  # fmt: skip
    """Replace a post's text, codes and expiry (its admins); followers are notified."""
    return board.update_post(session, post_id=post_id, data=post, actor=user, catalogues=catalogues)


@api.post("/posts/{post_id}/close")
def api_close_post(session: DbSession, user: CurrentUser, post_id: PostId) -> PostPublic:
    """Close a post (its admins); followers are notified."""
    return board.close_post(session, post_id=post_id, actor=user)


@api.post("/posts/{post_id}/interest", status_code=201)
def api_interest(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    user: CurrentUser,
    post_id: PostId,
    interest: InterestInput,
) -> InterestPublic:
    """Express interest once; the publishers are notified and mailed (after the commit)."""
    return post_interest.express_interest(
        session, post_id=post_id, data=interest, actor=user, mailer=make_mailer(settings),
        site_url=_site_url(request, settings),
    )  # fmt: skip


@api.post("/posts/{post_id}/follow")
def api_follow(session: DbSession, user: CurrentUser, post_id: PostId) -> FollowState:
    """Follow a post (idempotent)."""
    return FollowState(
        post_id=post_id, following=post_interest.follow(session, post_id=post_id, actor=user)
    )


@api.delete("/posts/{post_id}/follow")
def api_unfollow(session: DbSession, user: CurrentUser, post_id: PostId) -> FollowState:
    """Stop following a post (idempotent)."""
    following = post_interest.unfollow(session, post_id=post_id, actor=user)
    return FollowState(post_id=post_id, following=following)


@api.get("/notifications")
def api_notifications(
    session: DbSession,
    user: CurrentUser,
    unread_only: bool = False,
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> NotificationPage:
    """Your notifications, unread first, newest first, with the unread count."""
    return notifications.list_notifications(
        session, actor=user, unread_only=unread_only, page=page, page_size=page_size
    )


@api.post("/notifications/read")
def api_mark_read(
    session: DbSession, user: CurrentUser, body: Annotated[ReadRequest, Body()]
) -> ReadResult:
    """Mark your notifications read: the listed ids, or all."""
    marked = notifications.mark_read(session, actor=user, notification_ids=body.ids)
    return ReadResult(marked=marked, unread=notifications.unread_count(session, user_id=user.id))


router = APIRouter()
router.include_router(pages)
router.include_router(api)
