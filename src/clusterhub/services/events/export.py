"""The schedule as a file for the server's operator (``clusterhub events export``): every
scheduled meeting with its slot, table and times, in time and table order.

No viewer is checked: the command line acts on the server itself, as the audit log's
``cli:<OS user>`` does; pages show schedules through ``agenda`` with their rights instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.services.events.access import find_event
from clusterhub.services.events.slots import event_slots
from clusterhub.store.events import EventParticipant, EventTable, Meeting
from clusterhub.store.models import Organisation

#: Columns of the CSV export, in order.
COLUMNS = ("meeting_id", "slot", "starts_at", "ends_at", "local_start", "local_end", "table",
           "table_name", "first_id", "first_name", "second_id", "second_name", "held")  # fmt: skip


@dataclass(frozen=True)
class ScheduledMeeting:
    """One row of the export (times in UTC and in the event's zone, ISO 8601)."""

    meeting_id: int
    slot: int
    starts_at: str
    ends_at: str
    local_start: str
    local_end: str
    table: int
    table_name: str
    first_id: int
    first_name: str
    second_id: int
    second_name: str
    held: bool | None

    def row(self) -> dict[str, Any]:
        """The row as a mapping of ``COLUMNS``."""
        return asdict(self)


def _name(session: Session, participant_id: int) -> str:
    p = session.get(EventParticipant, participant_id)
    org = session.get(Organisation, p.organisation_id) if p else None
    return org.name if org else f"participant {participant_id}"


def scheduled_meetings(session: Session, *, event_id: int) -> list[ScheduledMeeting]:
    """The event's scheduled meetings by slot and table number."""
    event = find_event(session, event_id)
    slots = {s.number: s for s in event_slots(session, event.id)}
    tables = {t.id: t for t in session.scalars(
        select(EventTable).where(EventTable.event_id == event.id))}  # fmt: skip
    rows = []
    placed = select(Meeting).where(Meeting.event_id == event.id, Meeting.active.is_(True),
                                   Meeting.slot.is_not(None))  # fmt: skip
    for m in session.scalars(placed):
        slot, table = slots[m.slot or 0], tables[m.table_id or 0]
        start, end = slot.local(event.time_zone)
        rows.append(ScheduledMeeting(
            meeting_id=m.id, slot=slot.number, starts_at=slot.starts_at.isoformat(),
            ends_at=slot.ends_at.isoformat(), local_start=start.isoformat(),
            local_end=end.isoformat(), table=table.position, table_name=table.name,
            first_id=m.first_id, first_name=_name(session, m.first_id), second_id=m.second_id,
            second_name=_name(session, m.second_id), held=m.held,
        ))  # fmt: skip
    return sorted(rows, key=lambda r: (r.slot, r.table))
