"""The event's day(s): checking participants in at the desk, recording which scheduled meetings
were held and who did not come, and the desk's summary.

Check-in is a manager's act on the day itself (a date of one of the event's sessions, in the
event's time zone), so a mistaken click can be undone the same day. Whether a meeting was held
is what the follow-up questionnaire and the programme KPIs count: either participant may say
it was held, but only a manager may record a no-show, naming who did not come.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.events.access import (
    EventStatus,
    find_event,
    find_participant,
    is_manager,
    moment_of,
    registration_of,
    require_manager,
    require_status,
)
from clusterhub.services.events.meetings import MeetingPublic, find_meeting, meeting_public
from clusterhub.store.events import Event, EventParticipant, EventSession, Meeting
from clusterhub.store.models import as_utc

#: The event runs (meetings are placed) in these states.
ON_THE_DAY: tuple[EventStatus, ...] = ("scheduled", "held")


class CheckInPublic(BaseModel):
    """A participant's registration state at the desk."""

    participant_id: int
    event_id: int
    status: str
    checked_in_at: datetime | None


class DaySummary(BaseModel):
    """The desk's view: who came, and how the scheduled meetings went so far."""

    event_id: int
    participants: int
    checked_in: int
    meetings: int
    held: int
    no_show: int
    pending: int


def event_days(session: Session, event: Event) -> set[date]:
    """The local dates of the event's sessions."""
    zone = ZoneInfo(event.time_zone)
    query = select(EventSession.starts_at).where(EventSession.event_id == event.id)
    starts = session.scalars(query)
    return {as_utc(s).astimezone(zone).date() for s in starts}


def desk_open(session: Session, *, event_id: int, now: datetime | None = None) -> bool:
    """Whether check-in is open now: today, in the event's zone, is one of its days."""
    event = find_event(session, event_id)
    return _today(event, now) in event_days(session, event)


def _today(event: Event, now: datetime | None) -> date:
    return moment_of(now).astimezone(ZoneInfo(event.time_zone)).date()


def _require_day(session: Session, event: Event, now: datetime | None) -> None:
    today = _today(event, now)
    days = event_days(session, event)
    if today not in days:
        listed = ", ".join(d.isoformat() for d in sorted(days)) or "none"
        raise InvalidInput.single(f"check-in is open only on the event's days ({listed})",
                                  field="now", value=today.isoformat())  # fmt: skip


def _desk(p: EventParticipant) -> CheckInPublic:
    return CheckInPublic(participant_id=p.id, event_id=p.event_id, status=p.status,
                         checked_in_at=p.checked_in_at)  # fmt: skip


def check_in(
    session: Session,
    *,
    actor: UserPublic | None,
    participant_id: int,
    undo: bool = False,
    now: datetime | None = None,
) -> CheckInPublic:
    """Check a participant in at the desk, or (``undo``) take a check-in back (managers, on the
    event's day)."""
    p = find_participant(session, participant_id)
    event = find_event(session, p.event_id)
    user = require_manager(session, actor, event)
    require_status(event, ON_THE_DAY, "check participants in")
    _require_day(session, event, now)
    if not p.active:
        raise InvalidInput.single("the registration is cancelled", field="status")
    if undo != (p.status == "checked_in"):
        state = "not checked in" if undo else "checked in already"
        raise InvalidInput.single(f"the participant is {state}", field="status", value=p.status)
    p.status, p.checked_in_at = ("registered", None) if undo else ("checked_in", moment_of(now))
    audit.record(session, actor_id=user.id, action="events.check_in", entity_type="participant",
                 entity_id=p.id, details={"event_id": event.id, "undo": undo})  # fmt: skip
    return _desk(p)


def mark_meeting(
    session: Session,
    *,
    actor: UserPublic | None,
    meeting_id: int,
    held: bool,
    no_show_id: int | None = None,
) -> MeetingPublic:
    """Record that a scheduled meeting was held, or (managers) that ``no_show_id`` did not come.

    A manager may correct either record; a participant may only say the meeting was held.
    """
    meeting = find_meeting(session, meeting_id)
    event = find_event(session, meeting.event_id)
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    if not is_manager(session, actor, event):
        mine = registration_of(session, user.id, event.id)
        if mine is None or mine.id not in (meeting.first_id, meeting.second_id):
            raise PermissionDenied("only the meeting's participants and the managers record it")
        if not held:
            raise PermissionDenied("only the managers record a no-show")
    require_status(event, ON_THE_DAY, "record meetings")
    if not meeting.active or meeting.slot is None:
        raise InvalidInput.single("only a scheduled meeting can be held", field="meeting_id",
                                  value=str(meeting_id))  # fmt: skip
    if held and no_show_id is not None:
        raise InvalidInput.single("a held meeting has no one missing", field="no_show_id",
                                  value=str(no_show_id))  # fmt: skip
    if not held and no_show_id not in (meeting.first_id, meeting.second_id):
        raise InvalidInput.single("name the participant of this meeting who did not come",
                                  field="no_show_id", value=str(no_show_id))  # fmt: skip
    meeting.held, meeting.no_show_id = held, no_show_id
    audit.record(session, actor_id=user.id, action="events.meeting_held", entity_type="meeting",
                 entity_id=meeting.id,
                 details={"held": held, "no_show_id": no_show_id})  # fmt: skip
    return meeting_public(session, meeting)


def day_summary(session: Session, *, viewer: UserPublic | None, event_id: int) -> DaySummary:
    """Checked-in participants and held / no-show / pending scheduled meetings (managers)."""
    event = find_event(session, event_id)
    if not is_manager(session, viewer, event):
        raise PermissionDenied("the day's summary is for the event's managers")
    people = list(session.scalars(select(EventParticipant.status).where(
        EventParticipant.event_id == event.id, EventParticipant.active.is_(True))))  # fmt: skip
    placed = list(session.scalars(select(Meeting.held).where(
        Meeting.event_id == event.id, Meeting.active.is_(True),
        Meeting.slot.is_not(None))))  # fmt: skip
    return DaySummary(
        event_id=event.id, participants=len(people),
        checked_in=sum(s == "checked_in" for s in people), meetings=len(placed),
        held=sum(h is True for h in placed), no_show=sum(h is False for h in placed),
        pending=sum(h is None for h in placed),
    )  # fmt: skip
