"""The organiser's dashboard: counts over one event's registrations, requests, meetings and
tables, so that the pages and the API show the same numbers without computing anything.

Breaks are counted as the scheduler counts them (``scheduling.validate.breaks_of``: a gap
between two busy slots), per participant over their scheduled meetings.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clusterhub.errors import PermissionDenied
from clusterhub.scheduling.validate import breaks_of
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events.access import find_event, is_manager
from clusterhub.services.events.agenda import latest_run
from clusterhub.services.events.day import DaySummary, day_summary
from clusterhub.services.events.followup import counts_by_round
from clusterhub.services.events.slots import event_slots
from clusterhub.store.events import EventParticipant, EventTable, Meeting, MeetingRequest
from clusterhub.store.models import Organisation

#: Every request status, so that a status nobody reached shows as 0 instead of missing.
REQUEST_STATUSES = ("sent", "accepted", "declined", "expired", "withdrawn")


class ParticipantBreaks(BaseModel):
    """One participant's scheduled meetings and breaks between them."""

    participant_id: int
    name: str
    meetings: int
    breaks: int


class SlotUse(BaseModel):
    """How many of the event's tables one slot uses."""

    slot: int
    local_start: str
    used: int
    tables: int


class Unscheduled(BaseModel):
    """A meeting the last run could not place, with its reason."""

    meeting_id: int
    reason: str


class Dashboard(BaseModel):
    """The organiser's view of an event in numbers."""

    event_id: int
    registrations: dict[str, int]
    requests: dict[str, int]
    meetings: int
    scheduled: int
    unscheduled: list[Unscheduled]
    breaks: list[ParticipantBreaks]
    table_use: list[SlotUse]
    day: DaySummary = Field(description="Check-in and meetings held / no-show / not recorded.")
    outcomes: dict[str, dict[str, int]] = Field(
        description="Follow-up answers per round (end, six_months) on each step of the scale."
    )


def dashboard(session: Session, *, viewer: UserPublic | None, event_id: int) -> Dashboard:
    """The counts of the event (its managers only)."""
    event = find_event(session, event_id)
    if not is_manager(session, viewer, event):
        raise PermissionDenied("the dashboard is for the event's managers")
    types = session.execute(
        select(EventParticipant.participant_type, func.count())
        .where(EventParticipant.event_id == event.id, EventParticipant.active.is_(True))
        .group_by(EventParticipant.participant_type)
    ).all()
    statuses = dict.fromkeys(REQUEST_STATUSES, 0)
    for status, count in session.execute(
        select(MeetingRequest.status, func.count())
        .where(MeetingRequest.event_id == event.id)
        .group_by(MeetingRequest.status)
    ):
        statuses[status] = count
    meetings = session.scalars(
        select(Meeting).where(Meeting.event_id == event.id, Meeting.active.is_(True))
    ).all()
    busy: dict[int, list[int]] = {}
    for m in meetings:
        for pid in (m.first_id, m.second_id):
            busy.setdefault(pid, [])
            if m.slot is not None:
                busy[pid].append(m.slot)
    run = latest_run(session, viewer=viewer, event_id=event.id)
    placed = {m.id for m in meetings if m.slot is not None}
    unscheduled = [
        Unscheduled(meeting_id=mid, reason=reason)
        for mid, reason in sorted((run.reasons if run else {}).items())
        if mid not in placed
    ]
    use = Counter(m.slot for m in meetings if m.slot is not None)
    tables = (
        session.scalar(
            select(func.count()).select_from(EventTable).where(EventTable.event_id == event.id)
        )
        or 0
    )
    return Dashboard(
        event_id=event.id,
        registrations=dict(sorted(types)),
        requests=statuses,
        meetings=len(meetings),
        scheduled=len(placed),
        unscheduled=unscheduled,
        breaks=sorted(
            (
                ParticipantBreaks(
                    participant_id=pid,
                    name=_name(session, pid),
                    meetings=len(slots),
                    breaks=breaks_of(slots),
                )
                for pid, slots in busy.items()
            ),
            key=lambda b: (-b.breaks, b.name),
        ),
        table_use=[
            SlotUse(
                slot=s.number,
                local_start=s.local(event.time_zone)[0].isoformat(),
                used=use.get(s.number, 0),
                tables=tables,
            )
            for s in event_slots(session, event.id)
        ],
        day=day_summary(session, viewer=viewer, event_id=event.id),
        outcomes=counts_by_round(session, viewer=viewer, event_id=event.id),
    )


def _name(session: Session, participant_id: int) -> str:
    p = session.get(EventParticipant, participant_id)
    org = session.get(Organisation, p.organisation_id) if p else None
    return org.name if org else f"participant {participant_id}"
