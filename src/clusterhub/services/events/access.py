"""Who may do what with an event, and the lookups every events module shares.

Managers are site admins, the admins of the organiser's directory profile and the event
admins the organiser chose; a participant acts only through its own registration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound, PermissionDenied
from clusterhub.services.accounts.notifications import MAX_ID
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.store.events import Event, EventAdmin, EventParticipant
from clusterhub.store.models import OrganisationAdmin, User, as_utc, utcnow

EventStatus = Literal["draft", "published", "booking_closed", "scheduled", "held", "closed"]
STATUSES: tuple[EventStatus, ...] = (
    "draft",
    "published",
    "booking_closed",
    "scheduled",
    "held",
    "closed",
)


def find_event(session: Session, event_id: int) -> Event:
    """The event, or ``NotFound`` (also for ids no column could hold)."""
    event = session.get(Event, event_id) if 1 <= event_id <= MAX_ID else None
    if event is None:
        raise NotFound(f"no event with id {event_id}")
    return event


def is_organiser_admin(session: Session, user: UserPublic | None, event: Event) -> bool:
    """A site admin or an admin of the organiser's profile (who chooses the event admins)."""
    if user is None:
        return False
    if Role(user.role) is Role.SITE_ADMIN:
        return True
    key = {"organisation_id": event.organiser_id, "user_id": user.id}
    return session.get(OrganisationAdmin, key) is not None


def is_manager(session: Session, user: UserPublic | None, event: Event) -> bool:
    """Whether ``user`` manages the event: organiser admins and the event's admins."""
    if user is None:
        return False
    if is_organiser_admin(session, user, event):
        return True
    return session.get(EventAdmin, {"event_id": event.id, "user_id": user.id}) is not None


def require_manager(session: Session, actor: UserPublic | None, event: Event) -> User:
    """The acting manager as stored now (verified address), or ``PermissionDenied``."""
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    if not is_manager(session, actor, event):
        raise PermissionDenied("only the organiser's admins and the event's admins manage it")
    return user


def find_participant(session: Session, participant_id: int) -> EventParticipant:
    """A registration, or ``NotFound``."""
    found = session.get(EventParticipant, participant_id) if 1 <= participant_id <= MAX_ID else None
    if found is None:
        raise NotFound(f"no participant with id {participant_id}")
    return found


def own_registration(
    session: Session, actor: UserPublic | None, event: Event
) -> tuple[User, EventParticipant]:
    """The actor and their active registration for ``event``, or ``PermissionDenied``."""
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    mine = registration_of(session, user.id, event.id)
    if mine is None:
        raise PermissionDenied("register for the event first")
    return user, mine


def registration_of(session: Session, user_id: int, event_id: int) -> EventParticipant | None:
    """The account's active registration for the event, if any."""
    return session.scalar(
        select(EventParticipant).where(
            EventParticipant.event_id == event_id,
            EventParticipant.user_id == user_id,
            EventParticipant.active.is_(True),
        )
    )


def bump(session: Session, event_id: int) -> None:
    """Count one more change of the event's requests or meetings.

    Incremented in SQL, not read-modify-write, so two concurrent changes both count (PostgreSQL
    makes the second wait for the first's row lock and re-read it).
    """
    session.execute(update(Event).where(Event.id == event_id).values(version=Event.version + 1))


def require_status(event: Event, allowed: tuple[EventStatus, ...], doing: str) -> None:
    """``InvalidInput`` on ``status`` unless the event is in one of ``allowed``."""
    if event.status not in allowed:
        wanted = " or ".join(a.replace("_", " ") for a in allowed)
        raise InvalidInput.single(
            f"cannot {doing} while the event is {event.status.replace('_', ' ')}; "
            f"it must be {wanted}",
            field="status",
            value=event.status,
        )


def moment_of(now: datetime | None) -> datetime:
    """``now`` (default: the current time) in UTC: SQLite stores a timestamp's digits without
    its offset, so every stored time must be UTC already."""
    return (now or utcnow()).astimezone(UTC)


def require_window(
    opens: datetime | None, closes: datetime | None, now: datetime | None, what: str
) -> None:
    """``InvalidInput`` unless ``now`` lies in the window (an unset end is open)."""
    moment = moment_of(now)
    if opens is not None and moment < as_utc(opens):
        raise InvalidInput.single(
            f"{what} opens at {as_utc(opens).isoformat()} (UTC)", field=f"{what}_opens_at"
        )
    if closes is not None and moment >= as_utc(closes):
        raise InvalidInput.single(
            f"{what} closed at {as_utc(closes).isoformat()} (UTC)", field=f"{what}_closes_at"
        )
