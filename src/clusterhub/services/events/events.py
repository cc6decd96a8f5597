"""Creating and editing events, their admins, and the status machine.

``draft → published → booking_closed → scheduled → held → closed``; each step is one call of
``change_status`` that checks what the step needs. Booking may be reopened from
``booking_closed`` or ``scheduled`` (late requests; the next run keeps published meetings
where they are). ``scheduled`` is reached only by a schedule run (``agenda.run_schedule``).

Sessions are given as local dates and times in the event's zone and stored in UTC; they and
the tables may change only while the event is a draft, because participants' unavailable
slots and the published schedule refer to slot and table numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from itertools import pairwise
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound, PermissionDenied, Problem
from clusterhub.services import audit
from clusterhub.services.accounts.notifications import MAX_ID
from clusterhub.services.accounts.users import Role, UserPublic, normalise_email, require
from clusterhub.services.events.access import (
    STATUSES,
    EventStatus,
    find_event,
    is_manager,
    is_organiser_admin,
    registration_of,
    require_manager,
)
from clusterhub.services.events.slots import derive_slots, slot_count
from clusterhub.services.posts.board import parse_input
from clusterhub.services.schemas import UtcDatetime
from clusterhub.store.events import Event, EventAdmin, EventSession, EventTable
from clusterhub.store.models import Organisation, OrganisationAdmin, User, utcnow

EventMode = Literal["venue", "virtual", "hybrid"]
RequestMode = Literal["opt_in", "auto_accept"]
SessionKind = Literal["morning", "afternoon"]
ParticipantType = Literal[
    "cluster_organisation", "sme", "large_company", "research", "university", "investor",
    "public_body", "other",
]  # fmt: skip
#: Where each status may go by ``change_status`` (``scheduled`` only by a schedule run).
NEXT: dict[str, tuple[EventStatus, ...]] = {
    "draft": ("published",),
    "published": ("booking_closed",),
    "booking_closed": ("published",),
    "scheduled": ("published", "held"),
    "held": ("closed",),
    "closed": (),
}
Text2000 = Annotated[str, Field(max_length=2000)]


class SessionInput(BaseModel):
    """A block of slots on one day, in the event's local time."""

    model_config = ConfigDict(extra="forbid")

    date: date
    start: time
    end: time
    slot_minutes: int = Field(ge=5, le=240)
    kind: SessionKind | None = Field(
        default=None, description="morning or afternoon; default: by the start (before noon)."
    )


class TableInput(BaseModel):
    """A meeting table or room."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    capacity: int = Field(default=2, ge=2, le=100)


class EventInput(BaseModel):
    """An event as its organiser writes it; naive times are read in the event's zone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    organiser_id: int = Field(ge=1, le=MAX_ID)
    mode: EventMode = "venue"
    venue: str | None = Field(default=None, max_length=300)
    time_zone: str = Field(default="Europe/Brussels", max_length=64)
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    booking_opens_at: datetime | None = None
    booking_closes_at: datetime | None = None
    request_mode: RequestMode = "opt_in"
    request_expiry_hours: int = Field(default=72, ge=1, le=24 * 60)
    max_meetings: int | None = Field(default=None, ge=1, le=200)
    max_opportunities: int = Field(default=3, ge=0, le=20)
    type_caps: dict[ParticipantType, Annotated[int, Field(ge=1, le=100_000)]] = Field(
        default_factory=dict
    )
    sessions: list[SessionInput] = Field(default_factory=list, max_length=60)
    tables: list[TableInput] = Field(default_factory=list, max_length=2000)
    table_count: int | None = Field(
        default=None, ge=1, le=2000, description="Numbered tables, when none are named."
    )


class SessionPublic(BaseModel):
    """A session with the slots derived from it."""

    id: int
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    slot_minutes: int
    kind: str
    first_slot: int
    slots: int


class TablePublic(BaseModel):
    """A table by its number in the plan."""

    id: int
    position: int
    name: str
    capacity: int


class EventPublic(BaseModel):
    """An event as managers and participants see it."""

    id: int
    title: str
    description: str
    organiser_id: int
    organiser_name: str
    mode: str
    venue: str | None
    time_zone: str
    registration_opens_at: UtcDatetime | None
    registration_closes_at: UtcDatetime | None
    booking_opens_at: UtcDatetime | None
    booking_closes_at: UtcDatetime | None
    request_mode: str
    request_expiry_hours: int
    max_meetings: int | None
    max_opportunities: int
    type_caps: dict[str, int]
    status: str
    synthetic: bool
    version: int
    sessions: list[SessionPublic]
    tables: list[TablePublic]
    slots: int
    can_manage: bool = False
    # The viewer's own pages (agenda, suggestions, follow-up) need an active registration.
    is_participant: bool = False


# --- validation -------------------------------------------------------------------------------


def validate_event(data: Mapping[str, Any] | EventInput) -> EventInput:
    """The event with its times in UTC, or every problem at once (each naming its field)."""
    if not isinstance(data, EventInput):
        data = parse_input(EventInput, data)
    problems: list[Problem] = []
    try:
        zone = ZoneInfo(data.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.single(
            "unknown time zone: expected an IANA name such as Europe/Brussels",
            field="time_zone",
            value=data.time_zone,
        ) from None
    windows = {}
    for name in ("registration", "booking"):
        opens, closes = (getattr(data, f"{name}_{end}_at") for end in ("opens", "closes"))
        opens, closes = (_in_zone(t, zone) for t in (opens, closes))
        if opens and closes and closes <= opens:
            problems.append(Problem("must be after the opening", field=f"{name}_closes_at"))
        windows[f"{name}_opens_at"], windows[f"{name}_closes_at"] = opens, closes
    spans = []
    for k, block in enumerate(data.sessions):
        start = datetime.combine(block.date, block.start, zone)
        end = datetime.combine(block.date, block.end, zone)
        if end <= start or slot_count(start, end, block.slot_minutes) < 1:
            problems.append(Problem("ends before a whole slot fits", field=f"sessions.{k}.end"))
        spans.append((start, end, k))
    spans.sort()
    for (_, end, _k), (start, _e, later) in pairwise(spans):
        if start < end:
            problems.append(Problem("overlaps another session", field=f"sessions.{later}.start"))
    if data.tables and data.table_count is not None:
        problems.append(Problem("give named tables or a number of tables, not both",
                                field="table_count"))  # fmt: skip
    if problems:
        raise InvalidInput(problems, summary=str(problems[0]))
    return data.model_copy(update=windows)


def _in_zone(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    if moment is None:
        return None
    local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    return local.astimezone(UTC)  # SQLite would keep the digits and drop the offset


def _kind(block: SessionInput) -> str:
    return block.kind or ("morning" if block.start < time(12) else "afternoon")


# --- reading ----------------------------------------------------------------------------------


def event_public(session: Session, event: Event, viewer: UserPublic | None = None) -> EventPublic:
    """The event with its sessions, tables and slot count."""
    blocks = session.scalars(
        select(EventSession).where(EventSession.event_id == event.id).order_by(
            EventSession.starts_at)
    ).all()  # fmt: skip
    slots = derive_slots(blocks)
    first = {}
    for slot in reversed(slots):
        first[slot.session_id] = slot.number
    tables = session.scalars(
        select(EventTable).where(EventTable.event_id == event.id).order_by(EventTable.position)
    ).all()
    organiser = session.get(Organisation, event.organiser_id)
    return EventPublic(
        **{k: getattr(event, k) for k in EventPublic.model_fields if hasattr(Event, k)},
        organiser_name=organiser.name if organiser else "",
        sessions=[
            SessionPublic(
                id=b.id,
                starts_at=b.starts_at,
                ends_at=b.ends_at,
                slot_minutes=b.slot_minutes,
                kind=b.kind,
                first_slot=first.get(b.id, 0),
                slots=sum(1 for s in slots if s.session_id == b.id),
            )
            for b in blocks
        ],
        tables=[
            TablePublic(id=t.id, position=t.position, name=t.name, capacity=t.capacity)
            for t in tables
        ],
        slots=len(slots),
        can_manage=is_manager(session, viewer, event),
        is_participant=viewer is not None
        and registration_of(session, viewer.id, event.id) is not None,
    )


def get_event(session: Session, *, event_id: int, viewer: UserPublic | None) -> EventPublic:
    """An event; a draft only for its managers (to others it does not exist)."""
    event = find_event(session, event_id)
    if event.status == "draft" and not is_manager(session, viewer, event):
        raise NotFound(f"no event with id {event_id}")
    return event_public(session, event, viewer)


def list_events(session: Session, *, viewer: UserPublic | None) -> list[EventPublic]:
    """Every event that is not a draft, and the drafts ``viewer`` manages; soonest first."""
    found = []
    for event in session.scalars(select(Event).order_by(Event.id)):
        if event.status != "draft" or is_manager(session, viewer, event):
            found.append(event_public(session, event, viewer))
    return sorted(found, key=_first_start)


def _first_start(event: EventPublic) -> tuple[bool, datetime, int]:
    """Events by their first session; those without sessions last."""
    start = event.sessions[0].starts_at if event.sessions else datetime.max.replace(tzinfo=UTC)
    return (not event.sessions, start, event.id)


# --- writing ----------------------------------------------------------------------------------


def create_event(
    session: Session, *, actor: UserPublic | None, data: Mapping[str, Any] | EventInput
) -> EventPublic:
    """A new draft event of the organiser profile, which the actor must administer."""
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    clean = validate_event(data)
    _require_organiser(session, actor, clean.organiser_id)
    event = Event(created_by=user.id, status="draft", version=1)
    _apply(event, clean)
    session.add(event)
    session.flush()
    _replace_layout(session, event, clean)
    audit.record(session, actor_id=user.id, action="events.create", entity_type="event",
                 entity_id=event.id, details={"title": event.title})  # fmt: skip
    return event_public(session, event, actor)


def create_event_as_operator(
    session: Session, *, by: audit.Actor, data: Mapping[str, Any] | EventInput
) -> EventPublic:
    """A new draft event created by the server's operator (``clusterhub events create``), for
    any directory profile: the command line acts on the server itself, like a schedule run."""
    clean = validate_event(data)
    if session.get(Organisation, clean.organiser_id) is None:
        raise InvalidInput.single("no such directory profile", field="organiser_id",
                                  value=str(clean.organiser_id))  # fmt: skip
    event = Event(created_by=None, status="draft", version=1)
    _apply(event, clean)
    session.add(event)
    session.flush()
    _replace_layout(session, event, clean)
    audit.record(session, actor=by, action="events.create", entity_type="event",
                 entity_id=event.id, details={"title": event.title})  # fmt: skip
    return event_public(session, event)


def update_event(
    session: Session,
    *,
    actor: UserPublic | None,
    event_id: int,
    data: Mapping[str, Any] | EventInput,
) -> EventPublic:
    """Change an event (its managers). Sessions and tables change only in a draft."""
    event = find_event(session, event_id)
    user = require_manager(session, actor, event)
    clean = validate_event(data)
    if clean.organiser_id != event.organiser_id:
        _require_organiser(session, actor, clean.organiser_id)
    if event.status == "draft":
        _replace_layout(session, event, clean)
    elif changed := _layout_changed(session, event, clean):
        raise InvalidInput.single(
            "sessions and tables can change only while the event is a draft (participants' "
            "availability and the schedule refer to their numbers)",
            field=changed,
        )
    _apply(event, clean)
    event.updated_at = utcnow()
    audit.record(session, actor_id=user.id, action="events.update", entity_type="event",
                 entity_id=event.id)  # fmt: skip
    return event_public(session, event, actor)


def _require_organiser(session: Session, actor: UserPublic | None, organisation_id: int) -> None:
    if session.get(Organisation, organisation_id) is None:
        raise InvalidInput.single("no such directory profile", field="organiser_id",
                                  value=str(organisation_id))  # fmt: skip
    if actor is not None and Role(actor.role) is Role.SITE_ADMIN:
        return
    key = {"organisation_id": organisation_id, "user_id": actor.id if actor else 0}
    if session.get(OrganisationAdmin, key) is None:
        raise PermissionDenied("only the organiser profile's admins may organise its events")


def _apply(event: Event, data: EventInput) -> None:
    for name in ("title", "description", "organiser_id", "mode", "venue", "time_zone",
                 "registration_opens_at", "registration_closes_at", "booking_opens_at",
                 "booking_closes_at", "request_mode", "request_expiry_hours", "max_meetings",
                 "max_opportunities", "type_caps"):  # fmt: skip
        setattr(event, name, getattr(data, name))


def _layout(data: EventInput) -> tuple[list[tuple[datetime, datetime, int, str]], list[TableInput]]:
    zone = ZoneInfo(data.time_zone)
    blocks = sorted(
        (datetime.combine(b.date, b.start, zone).astimezone(UTC),
         datetime.combine(b.date, b.end, zone).astimezone(UTC), b.slot_minutes,
         _kind(b))
        for b in data.sessions
    )  # fmt: skip
    tables = data.tables or [TableInput(name=f"Table {n}") for n in
                             range(1, (data.table_count or 0) + 1)]  # fmt: skip
    return blocks, tables


def _layout_changed(session: Session, event: Event, data: EventInput) -> str | None:
    """``sessions`` or ``tables`` when ``data`` changes them, else None."""
    current = event_public(session, event)
    blocks, tables = _layout(data)
    stored = [(s.starts_at, s.ends_at, s.slot_minutes, s.kind) for s in current.sessions]
    if stored != blocks:
        return "sessions"
    named = [(t.name, t.capacity) for t in current.tables]
    return "tables" if named != [(t.name, t.capacity) for t in tables] else None


def _replace_layout(session: Session, event: Event, data: EventInput) -> None:
    session.execute(delete(EventSession).where(EventSession.event_id == event.id))
    session.execute(delete(EventTable).where(EventTable.event_id == event.id))
    blocks, tables = _layout(data)
    session.add_all(
        EventSession(event_id=event.id, starts_at=start, ends_at=end, slot_minutes=minutes,
                     kind=kind)
        for start, end, minutes, kind in blocks
    )  # fmt: skip
    session.add_all(
        EventTable(event_id=event.id, position=n, name=t.name, capacity=t.capacity)
        for n, t in enumerate(tables, start=1)
    )
    session.flush()


def change_status(
    session: Session, *, actor: UserPublic | None, event_id: int, status: str
) -> EventPublic:
    """Move the event one step (see ``NEXT``), checking what the step needs."""
    event = find_event(session, event_id)
    user = require_manager(session, actor, event)
    if status not in STATUSES:
        raise InvalidInput.single(f"expected one of: {', '.join(STATUSES)}", field="status",
                                  value=status)  # fmt: skip
    if status == "scheduled":
        raise InvalidInput.single(
            "an event becomes scheduled by running the scheduler", field="status", value=status
        )
    if status not in NEXT[event.status]:
        allowed = ", ".join(NEXT[event.status]) or "nothing (it is closed)"
        raise InvalidInput.single(
            f"a {event.status.replace('_', ' ')} event can move to {allowed}, not {status}",
            field="status",
            value=status,
        )
    if status == "published":
        current = event_public(session, event)
        if current.slots == 0 or not current.tables:
            raise InvalidInput.single(
                "an event needs at least one session with slots and one table to be published",
                field="sessions" if current.slots == 0 else "tables",
            )
    before, event.status = event.status, status
    event.updated_at = utcnow()
    audit.record(session, actor_id=user.id, action="events.status", entity_type="event",
                 entity_id=event.id, details={"from": before, "to": status})  # fmt: skip
    return event_public(session, event, actor)


def add_event_admin(
    session: Session, *, actor: UserPublic | None, event_id: int, email: str
) -> list[str]:
    """Make the account with ``email`` an admin of the event (the organiser's admins only);
    returns the admins' e-mail addresses."""
    event = find_event(session, event_id)
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    if not is_organiser_admin(session, actor, event):
        raise PermissionDenied("only the organiser profile's admins choose the event admins")
    chosen = session.scalar(select(User).where(User.email == normalise_email(email)))
    if chosen is None:
        raise InvalidInput.single("no account with this e-mail", field="email", value=email)
    if session.get(EventAdmin, {"event_id": event.id, "user_id": chosen.id}) is None:
        session.add(EventAdmin(event_id=event.id, user_id=chosen.id))
        audit.record(session, actor_id=user.id, action="events.add_admin", entity_type="event",
                     entity_id=event.id, details={"user_id": chosen.id})  # fmt: skip
    return event_admins(session, event.id)


def remove_event_admin(
    session: Session, *, actor: UserPublic | None, event_id: int, user_id: int
) -> list[str]:
    """Withdraw an event admin (the organiser's admins only)."""
    event = find_event(session, event_id)
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    if not is_organiser_admin(session, actor, event):
        raise PermissionDenied("only the organiser profile's admins choose the event admins")
    row = session.get(EventAdmin, {"event_id": event.id, "user_id": user_id})
    if row is None:
        raise NotFound(f"user {user_id} is not an admin of event {event.id}")
    session.delete(row)
    audit.record(session, actor_id=user.id, action="events.remove_admin", entity_type="event",
                 entity_id=event.id, details={"user_id": user_id})  # fmt: skip
    session.flush()
    return event_admins(session, event.id)


def event_admins(session: Session, event_id: int) -> list[str]:
    """The e-mail addresses of the event's chosen admins, sorted."""
    return sorted(
        session.scalars(
            select(User.email).join(EventAdmin, EventAdmin.user_id == User.id).where(
                EventAdmin.event_id == event_id)
        )
    )  # fmt: skip
