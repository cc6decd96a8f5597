"""Partner search: cooperation offers and requests that profiles publish.

The European Cluster Collaboration Platform's partner search in a few rules:

* a post belongs to a profile; only that profile's admins (and site admins) publish, edit and
  close it. It is listed until its expiry date (90 days by default, at most a year ahead) or
  until it is closed; after that it is still readable by its address but no longer listed
  (unless asked for) and no longer takes interest;
* expressing interest and following live in ``services.posts.interest``; this module shows a
  post's interest to its publishers and tells followers about edits and closing.

Text search is a plain case-insensitive substring match on title and body (SQL ``LIKE``): posts
are few and short next to profiles, and a substring finds word parts that a full-text index
would not. SQLite folds the case of ASCII letters only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from clusterhub.classify.countries import normalise_country
from clusterhub.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Problem,
    validation_problems,
)
from clusterhub.services import audit
from clusterhub.services.accounts import notifications
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.directory.profiles import can_edit
from clusterhub.services.directory.schemas import ShortText
from clusterhub.services.reference import Catalogues
from clusterhub.services.schemas import Page, UtcDatetime
from clusterhub.store.models import (
    Organisation,
    OrganisationAdmin,
    PartnerPost,
    PostFollow,
    PostInterest,
    User,
    as_utc,
    utcnow,
)

PostKind = Literal["offer", "request"]
PostStatus = Literal["open", "expired", "closed"]
KIND_LABELS = {"offer": "Offer", "request": "Request"}
MAX_TITLE = 200
MAX_BODY = 5_000
MAX_KEYWORDS = 20
MAX_QUERY = 200
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_PAGE_SIZE = 100
MAX_ID = notifications.MAX_ID
#: Control characters: none in one-line fields, only tab and line breaks in long texts.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Code = Annotated[str, Field(max_length=100)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Model = TypeVar("Model", bound=BaseModel)


class PostInput(BaseModel):
    """A post as its author writes it; codes are checked against the catalogues on save."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: PostKind = Field(description="offer (we offer cooperation) or request (we look for it)")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(default="", max_length=MAX_BODY)
    keywords: list[ShortText] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    cluster_codes: list[Code] = Field(
        default_factory=list, max_length=51, description="Codes 1-51 or names of clusters."
    )
    target_countries: list[Code] = Field(
        default_factory=list, max_length=250, description="ISO 3166 alpha-2 (EL, UK as Eurostat)."
    )
    expires_on: date | None = Field(
        default=None,
        description=f"Last day the post is listed (UTC); default {DEFAULT_DAYS} days from today, "
        f"at most {MAX_DAYS} days ahead.",
    )


class PostCreate(PostInput):
    """A new post for the API: the post and the profile that publishes it."""

    organisation_id: Id


class PostPublic(BaseModel):
    """A post in lists and on its page."""

    id: int
    organisation_id: int
    organisation_name: str
    organisation_acronym: str | None
    organisation_country: str | None
    kind: PostKind
    title: str
    body: str
    keywords: list[str]
    cluster_codes: list[str]
    target_countries: list[str]
    created_at: UtcDatetime
    expires_on: date = Field(description="Last day the post is listed (UTC).")
    closed_at: UtcDatetime | None
    status: PostStatus


class InterestPublic(BaseModel):
    """An expression of interest, as the post's admins and its sender see it."""

    id: int
    post_id: int
    user_name: str
    user_email: str
    organisation_id: int | None
    organisation_name: str | None
    message: str
    created_at: UtcDatetime


class PostDetail(PostPublic):
    """A post with what the viewer may do with it."""

    can_edit: bool = Field(description="The viewer administers the publishing profile.")
    following: bool
    interested: bool = Field(description="The viewer has expressed interest already.")
    can_express_interest: bool
    interests: list[InterestPublic] | None = Field(
        default=None, description="Everyone's interest: for the profile's admins only."
    )


@dataclass(frozen=True)
class PostFilter:
    """What a list of posts is narrowed to; every field is optional."""

    kind: str | None = None
    cluster: str | None = None
    country: str | None = None
    target_country: str | None = None
    q: str | None = None
    organisation_id: int | None = None
    include_expired: bool = False
    followed: bool = False


# --- validation -------------------------------------------------------------------------------


def validate_post(
    data: Mapping[str, Any] | PostInput, catalogues: Catalogues, *, today: date | None = None
) -> PostInput:
    """The post with codes normalised and its expiry date set, or every problem at once."""
    problems: list[Problem] = []
    if not isinstance(data, PostInput):
        raw = data
        try:
            data = PostInput.model_validate(raw)
        except ValidationError as error:
            problems = validation_problems(error.errors())
            data = _well_formed_part(raw, problems)
    today = today or datetime.now(UTC).date()
    for name in ("title", "body", "keywords"):
        values = getattr(data, name)
        pattern = CONTROL_TEXT if name == "body" else _CONTROL_LINE
        for value in values if isinstance(values, list) else [values]:
            if pattern.search(value):
                problems.append(_problem(name, "control characters are not allowed", value))
    clusters = []
    for value in data.cluster_codes:
        code = catalogues.cluster_code(value)
        if code is None:
            problems.append(_problem("cluster_codes", "unknown cluster category", value))
        clusters.append(code or "")
    countries = []
    for value in data.target_countries:
        try:
            countries.append(normalise_country(value, field="target_countries"))
        except InvalidInput as error:
            problems.extend(error.problems)
    expires_on = data.expires_on or today + timedelta(days=DEFAULT_DAYS)
    if expires_on < today:
        problems.append(_problem("expires_on", "the expiry date has passed", expires_on))
    elif expires_on > today + timedelta(days=MAX_DAYS):
        last = today + timedelta(days=MAX_DAYS)
        problems.append(_problem("expires_on", f"at most one year ahead ({last})", expires_on))
    if problems:
        raise _invalid(problems)
    return data.model_copy(
        update={
            "keywords": list(dict.fromkeys(data.keywords)),
            "cluster_codes": list(dict.fromkeys(clusters)),
            "target_countries": list(dict.fromkeys(countries)),
            "expires_on": expires_on,
        }
    )


def _well_formed_part(data: Mapping[str, Any], shape: list[Problem]) -> PostInput:
    """``data`` without its wrongly shaped fields, so the other checks still run and a form
    shows every problem at once; stand-ins for the required fields among the wrong ones."""
    wrong = {(p.field or "").split(".")[0] for p in shape}
    rest = {k: v for k, v in data.items() if k not in wrong}
    try:
        return PostInput.model_validate({"kind": "request", "title": "-", **rest})
    except ValidationError:  # not expected: every wrong field was dropped
        return PostInput(kind="request", title="-")


def parse_input(model: type[Model], data: Mapping[str, Any]) -> Model:
    """``data`` as ``model``, or ``InvalidInput`` naming every bad field (pydantic's own
    error would surface as a 500 outside a route's body validation)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _invalid(validation_problems(error.errors())) from None


def _problem(field: str | None, message: str, value: object) -> Problem:
    shown = None if value is None or isinstance(value, dict) else str(value)[:80]
    return Problem(message, field=field, value=shown)


def _invalid(problems: list[Problem]) -> InvalidInput:
    summary = str(problems[0]) if len(problems) == 1 else f"{len(problems)} problems in the post"
    return InvalidInput(problems, summary=summary)


# --- reading ----------------------------------------------------------------------------------


def _end_of(day: date) -> datetime:
    """The moment a post listed until the end of ``day`` (UTC) expires."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def status(post: PartnerPost, now: datetime | None = None) -> PostStatus:
    """``closed`` by its admins, ``expired`` after its last day, else ``open``."""
    if post.closed_at is not None:
        return "closed"
    return "expired" if as_utc(post.expires_at) <= (now or utcnow()) else "open"


def _public(post: PartnerPost, org: Organisation) -> PostPublic:
    return PostPublic(
        id=post.id,
        organisation_id=org.id,
        organisation_name=org.name,
        organisation_acronym=org.acronym,
        organisation_country=org.country,
        kind=post.kind,
        title=post.title,
        body=post.body,
        keywords=post.keywords,
        cluster_codes=post.cluster_codes,
        target_countries=post.target_countries,
        created_at=post.created_at,
        expires_on=(as_utc(post.expires_at) - timedelta(days=1)).date(),
        closed_at=post.closed_at,
        status=status(post),
    )


def find_post(session: Session, post_id: int) -> tuple[PartnerPost, Organisation]:
    """The post and its profile, or ``NotFound`` (also for ids no column could hold)."""
    post = session.get(PartnerPost, post_id) if 1 <= post_id <= MAX_ID else None
    if post is None:
        raise NotFound(f"no post with id {post_id}")
    org = session.get(Organisation, post.organisation_id)
    assert org is not None  # the foreign key cascades deletes
    return post, org


def is_behind(session: Session, user_id: int, post: PartnerPost) -> bool:
    """Whether the user administers the publishing profile or wrote the post."""
    admin = session.get(
        OrganisationAdmin, {"organisation_id": post.organisation_id, "user_id": user_id}
    )
    return admin is not None or post.created_by == user_id


def get_post(session: Session, *, post_id: int, viewer: UserPublic | None) -> PostDetail:
    """A post (also closed or expired ones) with what ``viewer`` may do with it."""
    post, org = find_post(session, post_id)
    public = _public(post, org)
    editor = can_edit(session, actor=viewer, organisation_id=org.id)
    if viewer is None:
        return PostDetail(
            **public.model_dump(), can_edit=False, following=False, interested=False,
            can_express_interest=False,
        )  # fmt: skip
    following = session.get(PostFollow, {"post_id": post.id, "user_id": viewer.id}) is not None
    interested = interest_of(session, post.id, viewer.id) is not None
    sees_all = editor or post.created_by == viewer.id
    return PostDetail(
        **public.model_dump(),
        can_edit=editor,
        following=following,
        interested=interested,
        can_express_interest=public.status == "open"
        and not interested
        and not is_behind(session, viewer.id, post),
        interests=_interests(session, post.id) if sees_all else None,
    )


def interest_of(session: Session, post_id: int, user_id: int) -> PostInterest | None:
    """The user's interest in the post, if any (one per person and post)."""
    return session.scalar(
        select(PostInterest).where(PostInterest.post_id == post_id, PostInterest.user_id == user_id)
    )


def _interests(session: Session, post_id: int) -> list[InterestPublic]:
    rows = session.execute(
        select(PostInterest, User, Organisation)
        .join(User, User.id == PostInterest.user_id)
        .outerjoin(Organisation, Organisation.id == PostInterest.organisation_id)
        .where(PostInterest.post_id == post_id)
        .order_by(PostInterest.created_at.desc(), PostInterest.id.desc())
    )
    return [interest_public(i, u, o) for i, u, o in rows]


def interest_public(interest: PostInterest, user: User, org: Organisation | None) -> InterestPublic:
    """An interest with its sender's name and e-mail address: for the post's publishers."""
    return InterestPublic(
        id=interest.id,
        post_id=interest.post_id,
        user_name=user.display_name,
        user_email=user.email,
        organisation_id=org.id if org else None,
        organisation_name=org.name if org else None,
        message=interest.message,
        created_at=interest.created_at,
    )


def list_posts(
    session: Session,
    *,
    filters: PostFilter,
    viewer: UserPublic | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[PostPublic]:
    """Posts matching ``filters``, newest first, one page at a time."""
    page, page_size = max(1, page), max(1, min(page_size, MAX_PAGE_SIZE))
    query = _filtered(select(PartnerPost, Organisation), filters, viewer)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(PartnerPost.created_at.desc(), PartnerPost.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return Page(items=[_public(p, o) for p, o in rows], total=total, page=page, page_size=page_size)


def _filtered(
    query: Select[PartnerPost, Organisation],
    filters: PostFilter,
    viewer: UserPublic | None,
) -> Select[PartnerPost, Organisation]:
    query = query.join(Organisation, Organisation.id == PartnerPost.organisation_id)
    if not filters.include_expired:
        query = query.where(PartnerPost.closed_at.is_(None), PartnerPost.expires_at > utcnow())
    if filters.kind is not None:
        if filters.kind not in KIND_LABELS:
            raise InvalidInput.single("expected offer or request", field="kind", value=filters.kind)
        query = query.where(PartnerPost.kind == filters.kind)
    if filters.cluster:
        query = query.where(_json_has(PartnerPost.cluster_codes, filters.cluster.strip()))
    if filters.country:
        query = query.where(Organisation.country == normalise_country(filters.country))
    if filters.target_country:
        code = normalise_country(filters.target_country, field="target_country")
        query = query.where(_json_has(PartnerPost.target_countries, code))
    if filters.q:
        query = query.where(_text_matches(filters.q))
    if filters.organisation_id is not None:
        query = query.where(PartnerPost.organisation_id == filters.organisation_id)
    if filters.followed:
        if viewer is None:
            raise NotAuthenticated("Log in to see the posts you follow.")
        query = query.join(PostFollow, PostFollow.post_id == PartnerPost.id).where(
            PostFollow.user_id == viewer.id
        )
    return query


def _json_has(column: Any, code: str) -> Any:
    """A JSON list of codes holds ``code``: its text contains the quoted code (codes hold no
    quotes), which both SQLite and PostgreSQL answer alike."""
    return cast(column, String).contains(f'"{code}"', autoescape=True)


def _text_matches(q: str) -> Any:
    text = q.strip()
    if len(text) > MAX_QUERY or _CONTROL_LINE.search(text):
        raise InvalidInput.single(
            f"at most {MAX_QUERY} characters, no control characters", field="q", value=text[:80]
        )
    return or_(
        PartnerPost.title.icontains(text, autoescape=True),
        PartnerPost.body.icontains(text, autoescape=True),
    )


# --- writing posts ----------------------------------------------------------------------------


def require_editor(session: Session, *, actor: UserPublic | None, organisation_id: int) -> User:
    """The acting user if they may publish for the profile (an admin of it, with a verified
    address), else ``PermissionDenied``."""
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    if not can_edit(session, actor=actor, organisation_id=organisation_id):
        raise PermissionDenied("Only this profile's admins may publish and change its posts.")
    return user


def create_post(
    session: Session,
    *,
    organisation_id: int,
    data: Mapping[str, Any] | PostInput,
    actor: UserPublic | None,
    catalogues: Catalogues,
) -> PostPublic:
    """Publish a post for a profile (its admins only)."""
    org = session.get(Organisation, organisation_id) if 1 <= organisation_id <= MAX_ID else None
    if org is None:
        raise NotFound(f"no profile with id {organisation_id}")
    user = require_editor(session, actor=actor, organisation_id=org.id)
    clean = validate_post(data, catalogues)
    assert clean.expires_on is not None  # validate_post sets it
    post = PartnerPost(
        organisation_id=org.id, kind=clean.kind, title=clean.title, body=clean.body,
        keywords=clean.keywords, cluster_codes=clean.cluster_codes,
        target_countries=clean.target_countries, created_by=user.id,
        expires_at=_end_of(clean.expires_on),
    )  # fmt: skip
    session.add(post)
    session.flush()
    audit.record(
        session, actor_id=user.id, action="posts.create", entity_type="post", entity_id=post.id
    )
    return _public(post, org)


def post_input(session: Session, *, post_id: int) -> PostInput:
    """A post as its edit form starts: what its author wrote."""
    post, org = find_post(session, post_id)
    return PostInput(
        kind=post.kind,
        title=post.title, body=post.body, keywords=post.keywords,
        cluster_codes=post.cluster_codes, target_countries=post.target_countries,
        expires_on=_public(post, org).expires_on,
    )  # fmt: skip


def update_post(
    session: Session,
    *,
    post_id: int,
    data: Mapping[str, Any] | PostInput,
    actor: UserPublic | None,
    catalogues: Catalogues,
) -> PostPublic:
    """Replace a post's text, codes and expiry (its admins only); followers are notified."""
    post, org = find_post(session, post_id)
    user = require_editor(session, actor=actor, organisation_id=org.id)
    if post.closed_at is not None:
        raise Conflict("This post is closed and can no longer be edited; publish a new one.")
    clean = validate_post(data, catalogues)
    assert clean.expires_on is not None  # validate_post sets it
    values = {
        **clean.model_dump(exclude={"expires_on"}),
        "expires_at": _end_of(clean.expires_on),
    }
    changed = [
        name
        for name, value in values.items()
        if (as_utc(post.expires_at) if name == "expires_at" else getattr(post, name)) != value
    ]
    if changed:
        for name in changed:
            setattr(post, name, values[name])
        audit.record(
            session, actor_id=user.id, action="posts.update", entity_type="post",
            entity_id=post.id, details={"fields": changed},
        )  # fmt: skip
        tell_followers(
            session, post, skip={user.id}, kind="post_changed",
            message=f"The {post.kind} “{post.title}” you follow was updated.",
        )  # fmt: skip
    return _public(post, org)


def close_post(session: Session, *, post_id: int, actor: UserPublic | None) -> PostPublic:
    """Stop listing a post and taking interest (its admins only); followers are notified."""
    post, org = find_post(session, post_id)
    user = require_editor(session, actor=actor, organisation_id=org.id)
    if post.closed_at is None:
        post.closed_at = utcnow()
        audit.record(
            session, actor_id=user.id, action="posts.close", entity_type="post", entity_id=post.id
        )
        tell_followers(
            session, post, skip={user.id}, kind="post_closed",
            message=f"The {post.kind} “{post.title}” you follow was closed by its publisher.",
        )  # fmt: skip
    return _public(post, org)


def tell_followers(
    session: Session, post: PartnerPost, *, skip: set[int], kind: str, message: str
) -> list[int]:
    """Notify the post's followers except ``skip`` (who acted, or was told already)."""
    followers = session.scalars(select(PostFollow.user_id).where(PostFollow.post_id == post.id))
    return notifications.notify(
        session, user_ids=[u for u in followers if u not in skip], kind=kind, message=message,
        link=f"/posts/{post.id}",
    )  # fmt: skip
