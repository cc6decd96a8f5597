"""Partner search: cooperation offers and requests that profiles publish, with interest and follows.

The European Cluster Collaboration Platform's partner search in a few rules:

* a post belongs to a profile; only that profile's admins (and site admins) publish, edit and
  close it. It is listed until its expiry date (90 days by default, at most a year ahead) or
  until it is closed; after that it is still readable by its address but no longer listed
  (unless asked for) and no longer takes interest;
* any logged-in member who is not behind the post may "express interest" once, with a short
  message and optionally on behalf of a profile they administer. The post's admins and its
  author get a notification and an e-mail (sent after the transaction commits, see
  ``services.notifications``); the message and the sender's e-mail address go to them only;
* people may follow a post: they are notified when it is edited or closed and when someone
  expresses interest — without who or what, which stays between the sender and the poster.

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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from clusterhub.classify.countries import normalise_country
from clusterhub.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Problem,
)
from clusterhub.services import audit, notifications
from clusterhub.services.accounts import Role, UserPublic, require
from clusterhub.services.directory import Catalogues, can_edit
from clusterhub.services.mail import Mailer, OutgoingMail
from clusterhub.services.schemas import Page, ShortText, UtcDatetime
from clusterhub.store.models import (
    Organisation,
    OrganisationAdmin,
    PartnerPost,
    PostFollow,
    PostInterest,
    User,
    utcnow,
)

PostKind = Literal["offer", "request"]
PostStatus = Literal["open", "expired", "closed"]
KIND_LABELS = {"offer": "Offer", "request": "Request"}
MAX_TITLE = 200
MAX_BODY = 5_000
MAX_MESSAGE = 2_000
MAX_KEYWORDS = 20
MAX_QUERY = 200
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_PAGE_SIZE = 100
MAX_ID = notifications.MAX_ID
#: Control characters: none in one-line fields, only tab and line breaks in long texts.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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


class InterestInput(BaseModel):
    """An expression of interest as its sender writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=MAX_MESSAGE)
    organisation_id: Id | None = Field(
        default=None, description="A profile you administer, to speak on its behalf."
    )


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
    if not isinstance(data, PostInput):
        data = _parse(PostInput, data)
    today = today or datetime.now(UTC).date()
    problems: list[Problem] = []
    for name in ("title", "body", "keywords"):
        values = getattr(data, name)
        pattern = _CONTROL_TEXT if name == "body" else _CONTROL_LINE
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


def _parse(model: type[Model], data: Mapping[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            _problem(".".join(str(p) for p in e["loc"]) or None, e["msg"], e.get("input"))
            for e in error.errors()
        ]
        raise _invalid(problems) from None


def _problem(field: str | None, message: str, value: object) -> Problem:
    shown = None if value is None or isinstance(value, dict) else str(value)[:80]
    return Problem(message, field=field, value=shown)


def _invalid(problems: list[Problem]) -> InvalidInput:
    summary = str(problems[0]) if len(problems) == 1 else f"{len(problems)} problems in the post"
    return InvalidInput(problems, summary=summary)


# --- reading ----------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _end_of(day: date) -> datetime:
    """The moment a post listed until the end of ``day`` (UTC) expires."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def status(post: PartnerPost, now: datetime | None = None) -> PostStatus:
    """``closed`` by its admins, ``expired`` after its last day, else ``open``."""
    if post.closed_at is not None:
        return "closed"
    return "expired" if _aware(post.expires_at) <= (now or utcnow()) else "open"


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
        expires_on=(_aware(post.expires_at) - timedelta(days=1)).date(),
        closed_at=post.closed_at,
        status=status(post),
    )


def _post(session: Session, post_id: int) -> tuple[PartnerPost, Organisation]:
    post = session.get(PartnerPost, post_id) if 1 <= post_id <= MAX_ID else None
    if post is None:
        raise NotFound(f"no post with id {post_id}")
    org = session.get(Organisation, post.organisation_id)
    assert org is not None  # the foreign key cascades deletes
    return post, org


def _is_behind(session: Session, user_id: int, post: PartnerPost) -> bool:
    """Whether the user administers the publishing profile or wrote the post."""
    admin = session.get(
        OrganisationAdmin, {"organisation_id": post.organisation_id, "user_id": user_id}
    )
    return admin is not None or post.created_by == user_id


def get_post(session: Session, *, post_id: int, viewer: UserPublic | None) -> PostDetail:
    """A post (also closed or expired ones) with what ``viewer`` may do with it."""
    post, org = _post(session, post_id)
    public = _public(post, org)
    editor = can_edit(session, actor=viewer, organisation_id=org.id)
    if viewer is None:
        return PostDetail(
            **public.model_dump(), can_edit=False, following=False, interested=False,
            can_express_interest=False,
        )  # fmt: skip
    following = session.get(PostFollow, {"post_id": post.id, "user_id": viewer.id}) is not None
    interested = _interest_of(session, post.id, viewer.id) is not None
    sees_all = editor or post.created_by == viewer.id
    return PostDetail(
        **public.model_dump(),
        can_edit=editor,
        following=following,
        interested=interested,
        can_express_interest=public.status == "open"
        and not interested
        and not _is_behind(session, viewer.id, post),
        interests=_interests(session, post.id) if sees_all else None,
    )


def _interest_of(session: Session, post_id: int, user_id: int) -> PostInterest | None:
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
    return [_interest_public(i, u, o) for i, u, o in rows]


def _interest_public(
    interest: PostInterest, user: User, org: Organisation | None
) -> InterestPublic:
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
    """The acting user if they may publish for the profile, else ``PermissionDenied``."""
    user = require(session, actor=actor, minimum=Role.MEMBER)
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
    post, org = _post(session, post_id)
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
    post, org = _post(session, post_id)
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
        if (_aware(post.expires_at) if name == "expires_at" else getattr(post, name)) != value
    ]
    if changed:
        for name in changed:
            setattr(post, name, values[name])
        audit.record(
            session, actor_id=user.id, action="posts.update", entity_type="post",
            entity_id=post.id, details={"fields": changed},
        )  # fmt: skip
        _tell_followers(
            session, post, skip={user.id}, kind="post_changed",
            message=f"The {post.kind} “{post.title}” you follow was updated.",
        )  # fmt: skip
    return _public(post, org)


def close_post(session: Session, *, post_id: int, actor: UserPublic | None) -> PostPublic:
    """Stop listing a post and taking interest (its admins only); followers are notified."""
    post, org = _post(session, post_id)
    user = require_editor(session, actor=actor, organisation_id=org.id)
    if post.closed_at is None:
        post.closed_at = utcnow()
        audit.record(
            session, actor_id=user.id, action="posts.close", entity_type="post", entity_id=post.id
        )
        _tell_followers(
            session, post, skip={user.id}, kind="post_closed",
            message=f"The {post.kind} “{post.title}” you follow was closed by its publisher.",
        )  # fmt: skip
    return _public(post, org)


def _tell_followers(
    session: Session, post: PartnerPost, *, skip: set[int], kind: str, message: str
) -> list[int]:
    followers = session.scalars(select(PostFollow.user_id).where(PostFollow.post_id == post.id))
    return notifications.notify(
        session, user_ids=[u for u in followers if u not in skip], kind=kind, message=message,
        link=f"/posts/{post.id}",
    )  # fmt: skip


# --- interest and follows ---------------------------------------------------------------------


def express_interest(
    session: Session,
    *,
    post_id: int,
    data: Mapping[str, Any] | InterestInput,
    actor: UserPublic | None,
    mailer: Mailer | None,
    site_url: str,
) -> InterestPublic:
    """Tell a post's publishers that ``actor`` is interested (once per person and post).

    The publishers (the profile's admins and the post's author) are notified and mailed with
    the message; followers learn only that someone is interested. ``site_url`` starts the link
    in the e-mail. Mail is sent after the transaction commits and a failure is only logged.
    """
    user = require(session, actor=actor, minimum=Role.MEMBER)
    clean = data if isinstance(data, InterestInput) else _parse(InterestInput, data)
    if _CONTROL_TEXT.search(clean.message):
        raise InvalidInput.single("control characters are not allowed", field="message")
    post, _org = _post(session, post_id)
    if _is_behind(session, user.id, post):
        raise PermissionDenied("This is your own profile's post: you cannot express interest.")
    if status(post) != "open":
        raise Conflict(f"This post is {status(post)} and no longer takes interest.")
    sender_org = _sender_organisation(session, user, clean.organisation_id)
    earlier = _interest_of(session, post.id, user.id)
    if earlier is not None:
        raise Conflict(
            "You have already expressed interest in this post (on "
            f"{_aware(earlier.created_at):%d %B %Y}); its publishers have your message."
        )
    interest = PostInterest(
        post_id=post.id, user_id=user.id, organisation_id=sender_org.id if sender_org else None,
        message=clean.message,
    )  # fmt: skip
    session.add(interest)
    try:
        session.flush()
    except IntegrityError:  # the same person at the same moment, from another request
        raise Conflict("You have already expressed interest in this post.") from None
    audit.record(
        session, actor_id=user.id, action="posts.interest", entity_type="post",
        entity_id=post.id, details={"interest_id": interest.id},
    )  # fmt: skip
    _announce_interest(
        session, post=post, sender=user, sender_org=sender_org, message=clean.message,
        mailer=mailer, site_url=site_url,
    )  # fmt: skip
    return _interest_public(interest, user, sender_org)


def _sender_organisation(
    session: Session, user: User, organisation_id: int | None
) -> Organisation | None:
    if organisation_id is None:
        return None
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"no profile with id {organisation_id}")
    if session.get(OrganisationAdmin, {"organisation_id": org.id, "user_id": user.id}) is None:
        raise PermissionDenied("You can speak only on behalf of a profile you administer.")
    return org


def _announce_interest(
    session: Session,
    *,
    post: PartnerPost,
    sender: User,
    sender_org: Organisation | None,
    message: str,
    mailer: Mailer | None,
    site_url: str,
) -> None:
    link = f"/posts/{post.id}"
    who = sender.display_name + (f" ({sender_org.name})" if sender_org else "")
    publishers = _publishers(session, post)
    notifications.notify(
        session, user_ids=[u.id for u in publishers], kind="interest",
        message=f"{who} is interested in your {post.kind} “{post.title}”: {message[:200]}",
        link=f"{link}#interests",
    )  # fmt: skip
    _tell_followers(
        session, post, skip={sender.id, *(u.id for u in publishers)}, kind="post_interest",
        message=f"Someone expressed interest in the {post.kind} “{post.title}” you follow.",
    )  # fmt: skip
    if mailer is not None:
        url = site_url.rstrip("/") + link
        mails = [
            _interest_mail(u, post=post, who=who, reply_to=sender.email, message=message, url=url)
            for u in publishers
        ]
        notifications.mail_after_commit(session, mailer=mailer, mails=mails)


def _publishers(session: Session, post: PartnerPost) -> list[User]:
    """The profile's admins and the post's author (once each, active accounts only)."""
    admins = select(OrganisationAdmin.user_id).where(
        OrganisationAdmin.organisation_id == post.organisation_id
    )
    condition: ColumnElement[bool] = User.id.in_(admins)
    if post.created_by is not None:
        condition = or_(condition, User.id == post.created_by)
    return list(session.scalars(select(User).where(condition, User.is_active.is_(True))))


def _interest_mail(
    to: User, *, post: PartnerPost, who: str, reply_to: str, message: str, url: str
) -> OutgoingMail:
    body = (
        f"Hello {to.display_name},\n\n"
        f"{who} is interested in your {post.kind} “{post.title}” and writes:\n\n"
        f"{message}\n\n"
        f"Reply to them at {reply_to}. Every expression of interest is listed at\n{url}\n"
    )
    subject = f"Interest in your {post.kind}: {post.title[:80]}"
    return OutgoingMail(to=to.email, subject=subject, body=body)


def follow(session: Session, *, post_id: int, actor: UserPublic | None) -> bool:
    """Follow a post (again is fine); True."""
    user = require(session, actor=actor, minimum=Role.MEMBER)
    post, _org = _post(session, post_id)
    if session.get(PostFollow, {"post_id": post.id, "user_id": user.id}) is None:
        session.add(PostFollow(post_id=post.id, user_id=user.id))
        try:
            session.flush()
        except IntegrityError:  # followed at the same moment from another request
            raise Conflict("You already follow this post.") from None
    return True


def unfollow(session: Session, *, post_id: int, actor: UserPublic | None) -> bool:
    """Stop following a post (also when not following); False."""
    user = require(session, actor=actor, minimum=Role.MEMBER)
    post, _org = _post(session, post_id)
    row = session.get(PostFollow, {"post_id": post.id, "user_id": user.id})
    if row is not None:
        session.delete(row)
    return False
