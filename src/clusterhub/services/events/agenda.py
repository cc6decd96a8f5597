"""Schedule runs: the stored event as a ``scheduling.Instance``, solved outside any
transaction, written back in one.

``run_schedule`` = ``prepare_run`` (read the event's version, meetings, slots, tables,
availability and rules) → ``solve_run`` (the exact solver, no database) → ``store_run`` (one
write transaction that takes the event row ``FOR UPDATE`` on PostgreSQL, the single writer
lock on SQLite, and refuses with ``Conflict`` if the event's version moved since the read).
A run that fails, is refused or is interrupted writes nothing; two runs cannot mix.

When meetings are published already (a previous run placed them), the run re-schedules:
they keep their slot unless moving lets strictly more meetings in, and none is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.errors import Conflict, InvalidInput, PermissionDenied, Problem
from clusterhub.scheduling.instance import Instance
from clusterhub.scheduling.instance import Meeting as Wanted
from clusterhub.scheduling.schedule import Placement, Schedule
from clusterhub.services import audit
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.audit import Actor
from clusterhub.services.events import notify
from clusterhub.services.events.access import (
    EventStatus,
    bump,
    find_event,
    is_manager,
    registration_of,
    require_manager,
    require_status,
)
from clusterhub.services.events.slots import Slot, event_slots
from clusterhub.services.schemas import UtcDatetime
from clusterhub.store.db import transaction
from clusterhub.store.events import (
    Event,
    EventParticipant,
    EventTable,
    Meeting,
    MeetingPrecedence,
    ScheduleRun,
    UnscheduledMeeting,
)
from clusterhub.store.models import Organisation

#: The statuses a run may start from (``scheduled``: re-scheduling).
SCHEDULABLE: tuple[EventStatus, ...] = ("booking_closed", "scheduled")
#: How the solver names participants in its reasons ("participant 3", "participants 3 and 5").
_PARTICIPANT = re.compile(r"participants? (\d+)(?: and (\d+))?")


@dataclass(frozen=True)
class EventInstance:
    """An event as the scheduler sees it, with the way back to stored ids.

    ``meeting_ids[m]`` is the meeting of instance meeting ``m``; ``participant_ids[p - 1]``
    and ``table_ids[t - 1]`` those of participant ``p`` and table ``t``; ``previous`` the
    published placements; ``version`` the event's version when read.
    """

    event_id: int
    version: int
    instance: Instance
    meeting_ids: tuple[int, ...]
    participant_ids: tuple[int, ...]
    table_ids: tuple[int, ...]
    slots: tuple[Slot, ...]
    previous: dict[int, Placement] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


class RunPublic(BaseModel):
    """A stored schedule run."""

    id: int
    event_id: int
    actor: str
    at: UtcDatetime
    solver: str
    status: str
    meetings: int
    scheduled: int
    breaks: int
    bound: int
    gap: float
    seconds: float
    moved: int
    time_limit: float
    fairness: int | None
    reasons: dict[int, str]


def instance_for(session: Session, *, event_id: int) -> EventInstance:
    """The event's active meetings as a scheduling problem (see ``EventInstance``)."""
    event = find_event(session, event_id)
    slots = event_slots(session, event.id)
    tables = session.scalars(
        select(EventTable).where(EventTable.event_id == event.id).order_by(EventTable.position)
    ).all()
    people = session.scalars(
        select(EventParticipant).where(EventParticipant.event_id == event.id,
                                       EventParticipant.active.is_(True)).order_by(
            EventParticipant.id)
    ).all()  # fmt: skip
    number = {p.id: n for n, p in enumerate(people, start=1)}
    table_number = {t.id: n for n, t in enumerate(tables, start=1)}
    meetings = session.scalars(
        select(Meeting).where(Meeting.event_id == event.id, Meeting.active.is_(True)).order_by(
            Meeting.id)
    ).all()  # fmt: skip
    index = {m.id: i for i, m in enumerate(meetings)}
    morning = _morning_slots(slots, meetings)
    wanted, previous = [], {}
    for i, m in enumerate(meetings):
        fixed_slot, fixed_table = m.fixed_slot, table_number.get(m.fixed_table_id or 0)
        if m.locked and m.slot is not None:
            fixed_slot, fixed_table = m.slot, table_number.get(m.table_id or 0)
        wanted.append(Wanted(number[m.first_id], number[m.second_id],
                             session=m.session_kind,  # type: ignore[arg-type]
                             fixed_slot=fixed_slot, fixed_table=fixed_table,
                             priority=m.priority, required=m.locked))  # fmt: skip
        if m.slot is not None and m.table_id in table_number:
            previous[i] = Placement(m.slot, table_number[m.table_id])
    precedences = session.execute(
        select(MeetingPrecedence.before_id, MeetingPrecedence.after_id).where(
            MeetingPrecedence.before_id.in_(index))
    ).all()  # fmt: skip
    instance = Instance(
        participants=len(people), tables=len(tables), slots=len(slots), morning_slots=morning,
        meetings=tuple(wanted),
        forbidden=tuple(frozenset(s for s in p.unavailable_slots if s <= len(slots))
                        for p in people),
        precedences=tuple((index[b], index[a]) for b, a in precedences if a in index),
    )  # fmt: skip
    return EventInstance(
        event_id=event.id, version=event.version, instance=instance,
        meeting_ids=tuple(m.id for m in meetings), participant_ids=tuple(p.id for p in people),
        table_ids=tuple(t.id for t in tables), slots=tuple(slots), previous=previous,
        names={number[p.id]: _org_name(session, p) for p in people},
    )  # fmt: skip


def _org_name(session: Session, p: EventParticipant) -> str:
    org = session.get(Organisation, p.organisation_id)
    return org.name if org else f"participant {p.id}"


def _morning_slots(slots: list[Slot], meetings: Sequence[Meeting]) -> int:
    """How many slots open the event in the morning; the scheduler knows a morning and an
    afternoon block, so a meeting bound to a session needs the mornings first."""
    kinds = [s.kind for s in slots]
    morning = next((i for i, k in enumerate(kinds) if k != "morning"), len(kinds))
    bound = any(m.session_kind != "any" for m in meetings)
    if bound and "morning" in kinds[morning:]:
        raise InvalidInput.single(
            "meetings bound to a morning or afternoon need an event whose morning sessions all "
            "come before its afternoon ones (one day); set those meetings to any session",
            field="session_kind",
        )
    return morning


def prepare_run(session: Session, *, actor: UserPublic | Actor, event_id: int) -> EventInstance:
    """Check the run may start and read what it solves (a read-only step)."""
    event = find_event(session, event_id)
    _require_runner(session, actor, event)
    require_status(event, SCHEDULABLE, "schedule")
    prepared = instance_for(session, event_id=event.id)
    if not prepared.meeting_ids:
        raise InvalidInput.single("there are no accepted meetings to schedule", field="meetings")
    return prepared


def _require_runner(session: Session, actor: UserPublic | Actor, event: Event) -> None:
    if isinstance(actor, Actor):
        if actor.user_id is not None:
            raise PermissionDenied("a user runs the scheduler as themselves")
        return  # the command line and the system act on the server itself
    require_manager(session, actor, event)


def solve_run(
    prepared: EventInstance, *, time_limit: float = 60.0, fairness: int | None = None
) -> Schedule:
    """The best schedule within ``time_limit`` seconds; ``InvalidInput`` when there is none
    (required meetings that cannot all be placed, or no schedule found in time)."""
    from clusterhub.scheduling.exact import Options, solve  # noqa: PLC0415 (OR-Tools: heavy)

    if time_limit <= 0 or time_limit > 3600:
        raise InvalidInput.single("expected 0 to 3600 seconds", field="time_limit",
                                  value=str(time_limit))  # fmt: skip
    if fairness is not None and fairness < 0:
        raise InvalidInput.single("expected 0 or more", field="fairness", value=str(fairness))
    result = solve(prepared.instance, Options(time_limit=time_limit, fairness=fairness),
                   previous=prepared.previous)  # fmt: skip
    if result.status == "infeasible":
        raise InvalidInput(
            [Problem(f"meeting {prepared.meeting_ids[m]}: {_named(prepared, text)}",
                     field="meetings") for m, text in sorted(result.reasons.items())
             if prepared.instance.meetings[m].must_place],
            summary="the fixed, locked and published meetings cannot all be placed; "
                    "nothing was changed",
        )  # fmt: skip
    if result.status == "unknown":
        raise InvalidInput.single(f"no schedule was found within {time_limit:g} s; nothing was "
                                  "changed: allow more time", field="time_limit")  # fmt: skip
    return result


def _named(prepared: EventInstance, text: str) -> str:
    """A solver's reason with participant numbers replaced by their profiles' names."""

    def name(number: str) -> str:
        return prepared.names.get(int(number), f"participant {number}")

    return _PARTICIPANT.sub(
        lambda match: " and ".join(name(n) for n in match.groups() if n is not None), text
    )


def store_run(
    session: Session,
    *,
    actor: UserPublic | Actor,
    prepared: EventInstance,
    result: Schedule,
    time_limit: float,
    fairness: int | None,
) -> RunPublic:
    """Write a solved run in the caller's (write) transaction, or refuse with ``Conflict``
    if the event changed since ``prepare_run`` read it."""
    event = session.scalars(
        select(Event)
        .where(Event.id == prepared.event_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row as it is now
    ).one()
    _require_runner(session, actor, event)
    if event.version != prepared.version or event.status not in SCHEDULABLE:
        raise Conflict(
            "the event's requests or meetings changed while the scheduler ran; nothing was "
            "saved: run it again",
            details={"read_version": prepared.version, "current_version": event.version},
        )
    who = actor if isinstance(actor, Actor) else Actor.of_user(actor.id)
    run = ScheduleRun(
        event_id=event.id, user_id=who.user_id, actor=who.name, solver=result.solver,
        status=result.status, meetings=len(prepared.meeting_ids), scheduled=result.scheduled,
        breaks=result.breaks, bound=result.bound, gap=result.gap, seconds=result.seconds,
        moved=result.moved, time_limit=time_limit, fairness=fairness,
        event_version=prepared.version,
    )  # fmt: skip
    session.add(run)
    session.flush()
    stored = {
        m.id: m
        for m in session.scalars(
            select(Meeting).where(Meeting.event_id == event.id, Meeting.active.is_(True))
        )
    }  # one query, not one per meeting; the version check says they are the ones solved
    for m, placement in enumerate(result.placements):
        meeting = stored[prepared.meeting_ids[m]]
        meeting.slot = placement.slot if placement else None
        meeting.table_id = prepared.table_ids[placement.table - 1] if placement else None
    session.add_all(
        UnscheduledMeeting(run_id=run.id, meeting_id=prepared.meeting_ids[m],
                           reason=_named(prepared, text))
        for m, text in result.reasons.items()
    )  # fmt: skip
    event.status = "scheduled"
    bump(session, event.id)
    audit.record(session, actor=who, action="events.schedule", entity_type="event",
                 entity_id=event.id, details={"run_id": run.id, "status": result.status,
                                              "scheduled": result.scheduled})  # fmt: skip
    session.flush()
    notify.agenda_ready(session, event.id)
    return run_public(session, run)


def run_schedule(
    factory: sessionmaker[Session],
    *,
    actor: UserPublic | Actor,
    event_id: int,
    time_limit: float = 60.0,
    fairness: int | None = None,
) -> RunPublic:
    """Schedule the event's accepted meetings: read, solve outside any transaction, then
    write the run and every meeting's slot and table in one transaction (see the module)."""
    with factory() as session:
        prepared = prepare_run(session, actor=actor, event_id=event_id)
    result = solve_run(prepared, time_limit=time_limit, fairness=fairness)
    with transaction(factory) as session:
        return store_run(session, actor=actor, prepared=prepared, result=result,
                         time_limit=time_limit, fairness=fairness)  # fmt: skip


def run_public(session: Session, run: ScheduleRun) -> RunPublic:
    """A run with the reason each meeting it left out was not placed."""
    reasons = session.execute(
        select(UnscheduledMeeting.meeting_id, UnscheduledMeeting.reason).where(
            UnscheduledMeeting.run_id == run.id)
    ).all()  # fmt: skip
    return RunPublic(
        id=run.id, event_id=run.event_id, actor=run.actor, at=run.at, solver=run.solver,
        status=run.status, meetings=run.meetings, scheduled=run.scheduled, breaks=run.breaks,
        bound=run.bound, gap=run.gap, seconds=run.seconds, moved=run.moved,
        time_limit=run.time_limit, fairness=run.fairness, reasons=dict(reasons),
    )  # fmt: skip


def latest_run(session: Session, *, viewer: UserPublic | None, event_id: int) -> RunPublic | None:
    """The event's last stored run (managers only), or None."""
    event = find_event(session, event_id)
    if not is_manager(session, viewer, event):
        raise PermissionDenied("schedule runs are for the event's managers")
    run = session.scalar(
        select(ScheduleRun).where(ScheduleRun.event_id == event.id).order_by(
            ScheduleRun.id.desc()).limit(1)
    )  # fmt: skip
    return run_public(session, run) if run else None


class AgendaItem(BaseModel):
    """One scheduled meeting of a participant's agenda, times in UTC and in the event's zone."""

    meeting_id: int
    slot: int
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    local_start: str
    local_end: str
    table: str
    partner_id: int
    partner_name: str
    partner_organisation_id: int
    held: bool | None = None


def agenda_of(session: Session, *, viewer: UserPublic | None, event_id: int) -> list[AgendaItem]:
    """The viewer's scheduled meetings in time order (their own agenda only)."""
    event = find_event(session, event_id)
    mine = registration_of(session, viewer.id, event.id) if viewer else None
    if mine is None:
        raise PermissionDenied("an agenda is for the event's participants")
    slots = {s.number: s for s in event_slots(session, event.id)}
    items = []
    for m in session.scalars(
        select(Meeting).where(or_(Meeting.first_id == mine.id, Meeting.second_id == mine.id),
                              Meeting.active.is_(True), Meeting.slot.is_not(None))
    ):  # fmt: skip
        slot = slots[m.slot or 0]
        start, end = slot.local(event.time_zone)
        table = session.get(EventTable, m.table_id) if m.table_id else None
        partner = session.get(EventParticipant, m.second_id if m.first_id == mine.id
                              else m.first_id)  # fmt: skip
        assert partner is not None
        items.append(AgendaItem(
            meeting_id=m.id, slot=slot.number, starts_at=slot.starts_at, ends_at=slot.ends_at,
            local_start=start.isoformat(), local_end=end.isoformat(),
            table=table.name if table else "", partner_id=partner.id,
            partner_name=_org_name(session, partner),
            partner_organisation_id=partner.organisation_id, held=m.held,
        ))  # fmt: skip
    return sorted(items, key=lambda item: item.slot)


class PlanRow(BaseModel):
    """One table in one slot of the table plan: who meets there, or None when it is free."""

    slot: int
    starts_at: UtcDatetime
    local_start: str
    table: int
    table_name: str
    meeting_id: int | None
    first_name: str | None
    second_name: str | None


def table_plan(session: Session, *, viewer: UserPublic | None, event_id: int) -> list[PlanRow]:
    """Every table of every slot with its scheduled meeting (managers only), slot by slot."""
    event = find_event(session, event_id)
    if not is_manager(session, viewer, event):
        raise PermissionDenied("the table plan is for the event's managers")
    tables = session.scalars(
        select(EventTable).where(EventTable.event_id == event.id).order_by(EventTable.position)
    ).all()
    placed = {
        (m.slot, m.table_id): m
        for m in session.scalars(
            select(Meeting).where(Meeting.event_id == event.id, Meeting.active.is_(True),
                                  Meeting.slot.is_not(None))
        )
    }  # fmt: skip
    rows = []
    for slot in event_slots(session, event.id):
        for table in tables:
            m = placed.get((slot.number, table.id))
            names = [_org_name(session, p) for p in _pair(session, m)] if m else [None, None]
            rows.append(PlanRow(
                slot=slot.number, starts_at=slot.starts_at,
                local_start=slot.local(event.time_zone)[0].isoformat(), table=table.position,
                table_name=table.name, meeting_id=m.id if m else None, first_name=names[0],
                second_name=names[1],
            ))  # fmt: skip
    return rows


def _pair(session: Session, m: Meeting) -> list[EventParticipant]:
    found = [session.get(EventParticipant, pid) for pid in (m.first_id, m.second_id)]
    return [p for p in found if p is not None]
