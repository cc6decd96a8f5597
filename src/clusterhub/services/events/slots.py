"""The numbered meeting slots of an event, derived from its sessions.

Slots are numbered from 1 through the whole event in time order; the pause between two
sessions is not a slot (the scheduler counts a break only inside the numbering), and a
session's last part shorter than a slot is left unused. Times are UTC; ``local`` shows them
in the event's zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.store.events import EventSession
from clusterhub.store.models import as_utc


@dataclass(frozen=True)
class Slot:
    """A meeting slot: its number, session and kind, and when it starts and ends (UTC)."""

    number: int
    session_id: int
    kind: str
    starts_at: datetime
    ends_at: datetime

    def local(self, time_zone: str) -> tuple[datetime, datetime]:
        """Start and end in the event's zone (for agendas, ICS files and table plans)."""
        zone = ZoneInfo(time_zone)
        return self.starts_at.astimezone(zone), self.ends_at.astimezone(zone)


def slot_count(starts_at: datetime, ends_at: datetime, slot_minutes: int) -> int:
    """How many whole slots of ``slot_minutes`` fit into a session."""
    return int((ends_at - starts_at) // timedelta(minutes=slot_minutes))


def derive_slots(sessions: Sequence[EventSession]) -> list[Slot]:
    """Every slot of the sessions, numbered consecutively in time order."""
    slots: list[Slot] = []
    for block in sorted(sessions, key=lambda s: (as_utc(s.starts_at), s.id)):
        start, end = as_utc(block.starts_at), as_utc(block.ends_at)
        length = timedelta(minutes=block.slot_minutes)
        for k in range(slot_count(start, end, block.slot_minutes)):
            slots.append(
                Slot(len(slots) + 1, block.id, block.kind, start + k * length,
                     start + (k + 1) * length)
            )  # fmt: skip
    return slots


def event_slots(session: Session, event_id: int) -> list[Slot]:
    """The slots of a stored event."""
    return derive_slots(
        session.scalars(select(EventSession).where(EventSession.event_id == event_id)).all()
    )
