"""Partner search: expressing interest in a post, and following posts.

The rules (see ``services.posts.board`` for the posts themselves):

* any logged-in member who is not behind the post may "express interest" once, with a short
  message and optionally on behalf of a profile they administer. The post's admins and its
  author get a notification and an e-mail (sent after the transaction commits, see
  ``services.outbox``); the message and the sender's e-mail address go to them only;
* people may follow a post: they are notified when it is edited or closed and when someone
  expresses interest — without who or what, which stays between the sender and the poster.
  The posts a user follows are listed by ``posts.list_posts`` with ``PostFilter(followed=True)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from clusterhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clusterhub.services import audit, outbox
from clusterhub.services.accounts import notifications
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.mail import Mailer, OutgoingMail
from clusterhub.services.posts.board import (
    CONTROL_TEXT,
    Id,
    InterestPublic,
    find_post,
    interest_of,
    interest_public,
    is_behind,
    parse_input,
    status,
    tell_followers,
)
from clusterhub.store.models import (
    Organisation,
    OrganisationAdmin,
    PartnerPost,
    PostFollow,
    PostInterest,
    User,
    as_utc,
)

MAX_MESSAGE = 2_000


class InterestInput(BaseModel):
    """An expression of interest as its sender writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=MAX_MESSAGE)
    organisation_id: Id | None = Field(
        default=None, description="A profile you administer, to speak on its behalf."
    )


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
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    clean = data if isinstance(data, InterestInput) else parse_input(InterestInput, data)
    if CONTROL_TEXT.search(clean.message):
        raise InvalidInput.single("control characters are not allowed", field="message")
    post, _org = find_post(session, post_id)
    if is_behind(session, user.id, post):
        raise PermissionDenied("This is your own profile's post: you cannot express interest.")
    if status(post) != "open":
        raise Conflict(f"This post is {status(post)} and no longer takes interest.")
    sender_org = _sender_organisation(session, user, clean.organisation_id)
    earlier = interest_of(session, post.id, user.id)
    if earlier is not None:
        raise Conflict(
            "You have already expressed interest in this post (on "
            f"{as_utc(earlier.created_at):%d %B %Y}); its publishers have your message."
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
    return interest_public(interest, user, sender_org)


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
    tell_followers(
        session, post, skip={sender.id, *(u.id for u in publishers)}, kind="post_interest",
        message=f"Someone expressed interest in the {post.kind} “{post.title}” you follow.",
    )  # fmt: skip
    if mailer is not None:
        url = site_url.rstrip("/") + link
        mails = [
            _interest_mail(u, post=post, who=who, reply_to=sender.email, message=message, url=url)
            for u in publishers
        ]
        outbox.send_after_commit(session, mailer=mailer, mails=mails)


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
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    post, _org = find_post(session, post_id)
    if session.get(PostFollow, {"post_id": post.id, "user_id": user.id}) is None:
        session.add(PostFollow(post_id=post.id, user_id=user.id))
        try:
            session.flush()
        except IntegrityError:  # followed at the same moment from another request
            raise Conflict("You already follow this post.") from None
        audit.record(
            session, actor_id=user.id, action="posts.follow", entity_type="post",
            entity_id=post.id,
        )  # fmt: skip
    return True


def unfollow(session: Session, *, post_id: int, actor: UserPublic | None) -> bool:
    """Stop following a post (also when not following); False."""
    user = require(session, actor=actor, minimum=Role.MEMBER)
    post, _org = find_post(session, post_id)
    row = session.get(PostFollow, {"post_id": post.id, "user_id": user.id})
    if row is not None:
        session.delete(row)
        audit.record(
            session, actor_id=user.id, action="posts.unfollow", entity_type="post",
            entity_id=post.id,
        )  # fmt: skip
    return False
