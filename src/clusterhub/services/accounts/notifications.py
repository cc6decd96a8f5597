"""In-platform notifications.

Use cases (posts, later events and matching) write ``Notification`` rows in their own
transaction with ``notify``; people read them at ``/notifications`` and a header badge shows the
unread count (``unread_count``). Only the owner of a notification can list or mark it. Their
e-mail copies go through ``services.outbox``, which sends only after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from clusterhub.errors import NotFound
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.schemas import Page, UtcDatetime
from clusterhub.store.models import Notification, utcnow

MAX_PAGE_SIZE = 100
#: Ids beyond a 32-bit integer cannot exist; PostgreSQL would refuse to compare with them.
MAX_ID = 2**31 - 1


class NotificationPublic(BaseModel):
    """One notification as its owner sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(description="What happened: post_interest, post_changed, post_closed, ...")
    message: str
    link: str | None = Field(description="Path of the page the notification is about.")
    created_at: UtcDatetime
    read_at: UtcDatetime | None


class NotificationPage(Page[NotificationPublic]):
    """A page of notifications, unread first, with the unread count for the badge."""

    unread: int = Field(description="Unread notifications in all (not only on this page).")


def notify(
    session: Session, *, user_ids: Iterable[int], kind: str, message: str, link: str | None
) -> list[int]:
    """Add the same notification for each user once; the ids of the users notified."""
    recipients = list(dict.fromkeys(user_ids))
    session.add_all(
        Notification(user_id=uid, kind=kind, message=message, link=link) for uid in recipients
    )
    return recipients


def list_notifications(
    session: Session,
    *,
    actor: UserPublic | None,
    unread_only: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> NotificationPage:
    """The actor's notifications: unread before read, newest first within each."""
    user = require(session, actor=actor, minimum=Role.VISITOR)
    page, page_size = max(1, page), max(1, min(page_size, MAX_PAGE_SIZE))
    mine = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        mine = mine.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
    rows = session.scalars(
        mine.order_by(
            case((Notification.read_at.is_(None), 0), else_=1),
            Notification.created_at.desc(),
            Notification.id.desc(),
        )
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return NotificationPage(
        items=[NotificationPublic.model_validate(n) for n in rows],
        total=total,
        page=page,
        page_size=page_size,
        unread=unread_count(session, user_id=user.id),
    )


def unread_count(session: Session, *, user_id: int) -> int:
    """How many notifications ``user_id`` has not read (the header badge)."""
    query = select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return session.scalar(query) or 0


def mark_read(
    session: Session, *, actor: UserPublic | None, notification_ids: Iterable[int] | None = None
) -> int:
    """Mark the actor's notifications read: the ones listed, or all when ``None``.

    Someone else's notification is reported as not found, so ids reveal nothing.
    """
    user = require(session, actor=actor, minimum=Role.VISITOR)
    condition = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if notification_ids is not None:
        ids = list(dict.fromkeys(notification_ids))
        owned = set(
            session.scalars(
                select(Notification.id).where(
                    Notification.user_id == user.id,
                    Notification.id.in_([i for i in ids if 1 <= i <= MAX_ID]),
                )
            )
        )
        missing = [i for i in ids if i not in owned]
        if missing:
            raise NotFound(f"you have no notification with id {missing[0]}")
        condition.append(Notification.id.in_(ids))
    result = session.execute(
        update(Notification)
        .where(*condition)
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    marked = int(result.rowcount)  # type: ignore[attr-defined]
    if marked:
        audit.record(
            session, actor_id=user.id, action="notifications.read", entity_type="user",
            entity_id=user.id, details={"marked": marked, "all": notification_ids is None},
        )  # fmt: skip
    return marked
