"""Meetings: made from accepted requests (``requests``) or by the organiser, who may also
give them priority, a session, a fixed slot and table, lock them where they are published,
and cancel them; their order (precedences) is in ``precedences``.

A meeting holds the pair in order (lower participant id first); each pair has at most one
active meeting. Every change bumps the event's version (see ``access.bump``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound, PermissionDenied
from clusterhub.services import audit
from clusterhub.services.accounts.notifications import MAX_ID
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events.access import (
    EventStatus,
    bump,
    find_event,
    find_participant,
    is_manager,
    moment_of,
    registration_of,
    require_manager,
    require_status,
)
from clusterhub.services.events.slots import event_slots
from clusterhub.services.posts.board import parse_input
from clusterhub.store.events import (
    Event,
    EventParticipant,
    EventTable,
    Meeting,
)
from clusterhub.store.models import Organisation

#: While the organiser may change meetings (not once the event is held).
ORGANISING: tuple[EventStatus, ...] = ("published", "booking_closed", "scheduled")


class MeetingRules(BaseModel):
    """What the organiser may set on a meeting."""

    model_config = ConfigDict(extra="forbid")

    priority: bool = True
    session_kind: Literal["any", "morning", "afternoon"] = "any"
    locked: bool = False
    fixed_slot: int | None = Field(default=None, ge=1)
    fixed_table: int | None = Field(default=None, ge=1, description="Table number in the plan.")


class MeetingPublic(BaseModel):
    """A meeting with both sides' names and where it is published (slot, table number)."""

    id: int
    event_id: int
    first_id: int
    first_name: str
    second_id: int
    second_name: str
    origin: str
    priority: bool
    session_kind: str
    locked: bool
    fixed_slot: int | None
    fixed_table: int | None
    slot: int | None
    table: int | None
    status: str
    held: bool | None = Field(description="True: held; False: a no-show; None: not recorded.")
    no_show_id: int | None = Field(default=None, description="Who did not come (a no-show).")


def participant_name(session: Session, participant_id: int) -> str:
    """The organisation a participant takes part for, by name."""
    p = session.get(EventParticipant, participant_id)
    org = session.get(Organisation, p.organisation_id) if p else None
    return org.name if org else f"participant {participant_id}"


def _position(session: Session, table_id: int | None) -> int | None:
    table = session.get(EventTable, table_id) if table_id is not None else None
    return table.position if table else None


def meeting_public(session: Session, m: Meeting) -> MeetingPublic:
    """A meeting as its two participants and the managers see it."""
    return MeetingPublic(
        id=m.id, event_id=m.event_id, first_id=m.first_id,
        first_name=participant_name(session, m.first_id), second_id=m.second_id,
        second_name=participant_name(session, m.second_id), origin=m.origin,
        priority=m.priority, session_kind=m.session_kind, locked=m.locked,
        fixed_slot=m.fixed_slot, fixed_table=_position(session, m.fixed_table_id), slot=m.slot,
        table=_position(session, m.table_id), status=m.status, held=m.held,
        no_show_id=m.no_show_id,
    )  # fmt: skip


def active_meeting(session: Session, a: int, b: int) -> Meeting | None:
    """The pair's active meeting, if any."""
    first, second = sorted((a, b))
    return session.scalar(
        select(Meeting).where(Meeting.first_id == first, Meeting.second_id == second,
                              Meeting.active.is_(True))
    )  # fmt: skip


def check_room(session: Session, event: Event, participant_ids: tuple[int, ...]) -> None:
    """``InvalidInput`` when one of the participants has reached the meetings cap."""
    if event.max_meetings is None:
        return
    for pid in participant_ids:
        taken = session.scalar(
            select(func.count()).select_from(Meeting).where(
                or_(Meeting.first_id == pid, Meeting.second_id == pid), Meeting.active.is_(True))
        ) or 0  # fmt: skip
        if taken >= event.max_meetings:
            raise InvalidInput.single(
                f"{participant_name(session, pid)} has {taken} meetings already, the most this "
                "event allows", field="max_meetings", value=str(event.max_meetings),
            )  # fmt: skip


def create_meeting(
    session: Session,
    event: Event,
    pair: tuple[int, int],
    *,
    origin: str,
    priority: bool,
    request_id: int | None = None,
) -> Meeting:
    """A new active meeting of the pair (the caller checked rights, caps and duplicates)."""
    first, second = sorted(pair)
    meeting = Meeting(event_id=event.id, first_id=first, second_id=second, origin=origin,
                      priority=priority, request_id=request_id, status="active", active=True,
                      session_kind="any", locked=False)  # fmt: skip
    session.add(meeting)
    session.flush()
    bump(session, event.id)
    return meeting


def find_meeting(session: Session, meeting_id: int) -> Meeting:
    """A meeting, or ``NotFound``."""
    found = session.get(Meeting, meeting_id) if 1 <= meeting_id <= MAX_ID else None
    if found is None:
        raise NotFound(f"no meeting with id {meeting_id}")
    return found


def _set_rules(session: Session, event: Event, meeting: Meeting, rules: MeetingRules) -> None:
    slots = len(event_slots(session, event.id))
    if rules.fixed_slot is not None and rules.fixed_slot > slots:
        raise InvalidInput.single(f"slots are numbered 1 to {slots}", field="fixed_slot",
                                  value=str(rules.fixed_slot))  # fmt: skip
    for pid in (meeting.first_id, meeting.second_id):
        p = session.get(EventParticipant, pid)
        if p is not None and rules.fixed_slot in p.unavailable_slots:
            who = participant_name(session, pid)
            raise InvalidInput.single(f"{who} is not available in this slot",
                                      field="fixed_slot", value=str(rules.fixed_slot))  # fmt: skip
    table_id = None
    if rules.fixed_table is not None:
        table_id = session.scalar(
            select(EventTable.id).where(EventTable.event_id == event.id,
                                        EventTable.position == rules.fixed_table)
        )  # fmt: skip
        if table_id is None:
            raise InvalidInput.single("no table with this number", field="fixed_table",
                                      value=str(rules.fixed_table))  # fmt: skip
    if rules.locked and meeting.slot is None and rules.fixed_slot is None:
        raise InvalidInput.single("only a scheduled meeting or one with a fixed slot can be "
                                  "locked", field="locked")  # fmt: skip
    meeting.priority, meeting.session_kind, meeting.locked = (
        rules.priority, rules.session_kind, rules.locked)  # fmt: skip
    meeting.fixed_slot, meeting.fixed_table_id = rules.fixed_slot, table_id
    bump(session, event.id)


def add_meeting(
    session: Session,
    *,
    actor: UserPublic | None,
    event_id: int,
    first_id: int,
    second_id: int,
    rules: Mapping[str, Any] | MeetingRules | None = None,
) -> MeetingPublic:
    """The organiser's meeting between two participants (priority by default)."""
    event = find_event(session, event_id)
    user = require_manager(session, actor, event)
    require_status(event, ORGANISING, "add meetings")
    clean = _rules(rules)
    for field, pid in (("first_id", first_id), ("second_id", second_id)):
        p = find_participant(session, pid)
        if p.event_id != event.id or not p.active:
            raise InvalidInput.single("not a participant of this event", field=field,
                                      value=str(pid))  # fmt: skip
    if first_id == second_id:
        raise InvalidInput.single("a meeting needs two participants", field="second_id")
    if active_meeting(session, first_id, second_id) is not None:
        raise InvalidInput.single("these two have a meeting already", field="second_id")
    check_room(session, event, (first_id, second_id))
    meeting = create_meeting(session, event, (first_id, second_id), origin="organiser",
                             priority=clean.priority)  # fmt: skip
    _set_rules(session, event, meeting, clean)
    audit.record(session, actor_id=user.id, action="events.add_meeting", entity_type="meeting",
                 entity_id=meeting.id, details={"event_id": event.id})  # fmt: skip
    return meeting_public(session, meeting)


def _rules(rules: Mapping[str, Any] | MeetingRules | None) -> MeetingRules:
    if isinstance(rules, MeetingRules):
        return rules
    return parse_input(MeetingRules, rules or {})


def set_meeting_rules(
    session: Session,
    *,
    actor: UserPublic | None,
    meeting_id: int,
    rules: Mapping[str, Any] | MeetingRules,
) -> MeetingPublic:
    """Set a meeting's priority, session, fixed slot and table, or lock it (managers)."""
    meeting = find_meeting(session, meeting_id)
    event = find_event(session, meeting.event_id)
    user = require_manager(session, actor, event)
    require_status(event, ORGANISING, "change meetings")
    if not meeting.active:
        raise InvalidInput.single("the meeting is cancelled", field="status")
    _set_rules(session, event, meeting, _rules(rules))
    audit.record(session, actor_id=user.id, action="events.meeting_rules",
                 entity_type="meeting", entity_id=meeting.id)  # fmt: skip
    return meeting_public(session, meeting)


def cancel_meeting(
    session: Session, *, actor: UserPublic | None, meeting_id: int, now: datetime | None = None
) -> MeetingPublic:
    """Cancel a meeting (managers; also a scheduled one: re-scheduling frees its slot)."""
    meeting = find_meeting(session, meeting_id)
    event = find_event(session, meeting.event_id)
    user = require_manager(session, actor, event)
    require_status(event, ORGANISING, "cancel meetings")
    if not meeting.active:
        raise InvalidInput.single("the meeting is cancelled already", field="status")
    meeting.status, meeting.active, meeting.cancelled_at = "cancelled", None, moment_of(now)
    bump(session, event.id)
    audit.record(session, actor_id=user.id, action="events.cancel_meeting",
                 entity_type="meeting", entity_id=meeting.id)  # fmt: skip
    return meeting_public(session, meeting)


def list_meetings(
    session: Session, *, viewer: UserPublic | None, event_id: int
) -> list[MeetingPublic]:
    """Every active meeting for managers; a participant's own meetings for a participant."""
    event = find_event(session, event_id)
    query = select(Meeting).where(Meeting.event_id == event.id, Meeting.active.is_(True))
    if not is_manager(session, viewer, event):
        mine = registration_of(session, viewer.id, event.id) if viewer else None
        if mine is None:
            raise PermissionDenied("meetings are shown to their participants and the managers")
        query = query.where(or_(Meeting.first_id == mine.id, Meeting.second_id == mine.id))
    return [meeting_public(session, m) for m in session.scalars(query.order_by(Meeting.id))]
