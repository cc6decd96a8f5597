"""Partner search and notifications in the JSON API under /api/v1.

Handlers parse, call ``services.posts`` or ``services.accounts.notifications``, and return
their schemas; domain errors go to ``web/errors.py``. API writes from a logged-in browser need
the CSRF token in the ``X-CSRF-Token`` header, as HTMX sends it (see ``web/security.py``). The
list filters and path parameters here are shared with the pages (``web/routes/posts.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from clusterhub.services.accounts import notifications
from clusterhub.services.accounts.notifications import NotificationPage
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
from clusterhub.services.schemas import Page
from clusterhub.web.api.params import ErrorBody
from clusterhub.web.deps import AppSettings, DbSession, DirCatalogues
from clusterhub.web.security import CurrentUser, OptionalUser

MAX_ID = board.MAX_ID
PostId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]
OrganisationId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=board.MAX_PAGE_SIZE)]
Text = Annotated[str, Query(max_length=board.MAX_QUERY)]
Choice = Annotated[str, Query(max_length=100)]


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


def site_url(request: Request, settings: AppSettings) -> str:
    """Links in mail point here: the configured public address, else the one asked."""
    return settings.public_url or str(request.base_url)


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body could not be read as JSON"},
    401: {"model": ErrorBody, "description": "Log in first (session cookie)"},
    403: {"model": ErrorBody, "description": "Not allowed, or the CSRF header is missing"},
    404: {"model": ErrorBody, "description": "No such post, profile or notification"},
    409: {"model": ErrorBody, "description": "Closed/expired post, or interest already sent"},
    422: {"model": ErrorBody, "description": "A field is malformed; each problem is named"},
}
router = APIRouter(prefix="/api/v1", tags=["partner search"], responses=ERRORS)


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


@router.get("/posts")
def api_posts(
    session: DbSession,
    user: OptionalUser,
    filters: Filters,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> Page[PostPublic]:
    """Partner-search posts, newest first (open ones unless ``include_expired``)."""
    return board.list_posts(session, filters=filters, viewer=user, page=page, page_size=page_size)


@router.get("/posts/{post_id}")
def api_post(session: DbSession, user: OptionalUser, post_id: PostId) -> PostDetail:
    """A post with what the caller may do; the interest list only for its admins."""
    return board.get_post(session, post_id=post_id, viewer=user)


@router.post("/posts", status_code=201)
def api_create_post(
    session: DbSession, user: CurrentUser, catalogues: DirCatalogues, post: PostCreate
) -> PostPublic:
    """Publish a post for a profile you administer."""
    data = post.model_dump(exclude={"organisation_id"}, exclude_unset=True)
    return board.create_post(
        session, organisation_id=post.organisation_id, data=data, actor=user,
        catalogues=catalogues,
    )  # fmt: skip


@router.put("/posts/{post_id}")
def api_update_post(
    session: DbSession, user: CurrentUser, catalogues: DirCatalogues, post_id: PostId,
    post: PostInput,
) -> PostPublic:  # fmt: skip
    """Replace a post's text, codes and expiry (its admins); followers are notified."""
    return board.update_post(session, post_id=post_id, data=post, actor=user, catalogues=catalogues)


@router.post("/posts/{post_id}/close")
def api_close_post(session: DbSession, user: CurrentUser, post_id: PostId) -> PostPublic:
    """Close a post (its admins); followers are notified."""
    return board.close_post(session, post_id=post_id, actor=user)


@router.post("/posts/{post_id}/interest", status_code=201)
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
        site_url=site_url(request, settings),
    )  # fmt: skip


@router.post("/posts/{post_id}/follow")
def api_follow(session: DbSession, user: CurrentUser, post_id: PostId) -> FollowState:
    """Follow a post (idempotent)."""
    return FollowState(
        post_id=post_id, following=post_interest.follow(session, post_id=post_id, actor=user)
    )


@router.delete("/posts/{post_id}/follow")
def api_unfollow(session: DbSession, user: CurrentUser, post_id: PostId) -> FollowState:
    """Stop following a post (idempotent)."""
    following = post_interest.unfollow(session, post_id=post_id, actor=user)
    return FollowState(post_id=post_id, following=following)


@router.get("/notifications")
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


@router.post("/notifications/read")
def api_mark_read(
    session: DbSession, user: CurrentUser, body: Annotated[ReadRequest, Body()]
) -> ReadResult:
    """Mark your notifications read: the listed ids, or all."""
    marked = notifications.mark_read(session, actor=user, notification_ids=body.ids)
    return ReadResult(marked=marked, unread=notifications.unread_count(session, user_id=user.id))
