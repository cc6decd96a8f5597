"""A B2B meeting scheduling problem: participants, requested meetings, slots and tables.

Slots are numbered 1..``slots`` through the whole event, morning first (1..``morning_slots``)
then afternoon; the pause between the two sessions is not a slot, so a participant busy in the
last morning slot and the first afternoon slot has no break. Participants are numbered from 1,
meetings by their position (0-based here; files and answers number them from 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Session = Literal["morning", "afternoon", "any"]


@dataclass(frozen=True)
class Meeting:
    """A meeting two participants asked for, in a session, perhaps at a fixed slot and table.

    ``priority`` meetings (mutual requests, the organiser's choice) are placed before any other;
    ``required`` ones must be placed (published meetings when re-scheduling, the research
    instances where every meeting must be scheduled); a fixed meeting is always required.
    """

    first: int
    second: int
    session: Session = "any"
    fixed_slot: int | None = None
    fixed_table: int | None = None
    priority: bool = False
    required: bool = False

    @property
    def must_place(self) -> bool:
        return self.required or self.fixed_slot is not None


@dataclass(frozen=True)
class Instance:
    """The whole problem; ``forbidden[p - 1]`` are the slots participant ``p`` cannot meet in,
    ``precedences`` the ``(before, after)`` meeting pairs (0-based): when both are placed,
    ``before`` takes an earlier slot than ``after``."""

    participants: int
    tables: int
    slots: int
    morning_slots: int
    meetings: tuple[Meeting, ...]
    forbidden: tuple[frozenset[int], ...] = ()
    precedences: tuple[tuple[int, int], ...] = ()

    def session_slots(self, session: Session) -> range:
        """The slots of a session (``any``: all)."""
        if session == "morning":
            return range(1, self.morning_slots + 1)
        if session == "afternoon":
            return range(self.morning_slots + 1, self.slots + 1)
        return range(1, self.slots + 1)

    def unavailable(self, participant: int) -> frozenset[int]:
        """The slots ``participant`` cannot meet in."""
        if participant <= len(self.forbidden):
            return self.forbidden[participant - 1]
        return frozenset()

    def allowed_slots(self, meeting: int) -> list[int]:
        """The slots meeting ``meeting`` may take: its session, both participants available,
        its fixed slot if it has one."""
        m = self.meetings[meeting]
        blocked = self.unavailable(m.first) | self.unavailable(m.second)
        slots = [s for s in self.session_slots(m.session) if s not in blocked]
        if m.fixed_slot is not None:
            return [s for s in slots if s == m.fixed_slot]
        return slots

    def meetings_of(self, participant: int) -> list[int]:
        """The meetings ``participant`` takes part in."""
        return list(self.by_participant.get(participant, []))

    @cached_property
    def by_participant(self) -> dict[int, list[int]]:
        """Every participant's meetings, in one pass, kept (the models ask per participant)."""
        found: dict[int, list[int]] = {p: [] for p in range(1, self.participants + 1)}
        for i, m in enumerate(self.meetings):
            found[m.first].append(i)
            found[m.second].append(i)
        return found
