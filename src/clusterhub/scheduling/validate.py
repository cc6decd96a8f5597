"""An independent check of a schedule: every hard constraint re-checked and the breaks
counted from the schedule alone, whatever produced it (tests and benchmarks run it on every
schedule a solver writes).

A *break* is an idle gap: two consecutive meetings of one participant with at least one free
slot between them; gaps are counted, not their length. Slots are numbered through the event
(the pause between sessions is not a slot), so a participant's breaks are its maximal runs of
busy slots minus one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from clusterhub.scheduling.instance import Instance


@dataclass(frozen=True)
class Check:
    """What the validator found: the violations (empty: the schedule is valid), the
    meetings left out, and the breaks of each participant (index ``p - 1``)."""

    violations: tuple[str, ...]
    unscheduled: tuple[int, ...]
    breaks: tuple[int, ...]

    @property
    def valid(self) -> bool:
        return not self.violations

    @property
    def total_breaks(self) -> int:
        return sum(self.breaks)


def breaks_of(busy: Sequence[int]) -> int:
    """The breaks of a participant busy in the slots ``busy``: runs of consecutive slots - 1."""
    slots = sorted(set(busy))
    return sum(1 for before, after in pairwise(slots) if after > before + 1)


def check(
    instance: Instance,
    slots: Sequence[int | None],
    tables: Sequence[int | None] | None = None,
) -> Check:
    """Re-check ``slots[m]`` (the slot of meeting ``m``, None when unscheduled) and, when
    given, ``tables[m]`` (1 to ``instance.tables``) against every constraint of ``instance``:
    sessions, availability, fixed slots and tables, required meetings placed, one meeting per
    participant and slot, tables per slot, distinct tables, precedences."""
    problems: list[str] = []
    if len(slots) != len(instance.meetings):
        problems.append(f"{len(slots)} slots given for {len(instance.meetings)} meetings")
        return Check(tuple(problems), (), ())
    busy: dict[int, list[int]] = defaultdict(list)
    for m, slot in enumerate(slots):
        if slot is None:
            continue
        meeting = instance.meetings[m]
        if slot not in instance.allowed_slots(m):
            problems.append(f"meeting {m + 1} in slot {slot}: {_why_not(instance, m, slot)}")
        busy[meeting.first].append(slot)
        busy[meeting.second].append(slot)
    for participant, taken in sorted(busy.items()):
        twice = sorted(s for s, n in Counter(taken).items() if n > 1)
        if twice:
            problems.append(f"participant {participant} has two meetings in slot(s) {twice}")
    per_slot = Counter(s for s in slots if s is not None)
    problems += [
        f"slot {s} holds {n} meetings for {instance.tables} tables"
        for s, n in sorted(per_slot.items())
        if n > instance.tables
    ]
    if tables is not None:
        problems += _table_problems(instance, slots, tables)
    problems += [
        f"meeting {m + 1} must be scheduled"
        for m, slot in enumerate(slots)
        if slot is None and instance.meetings[m].must_place
    ]
    problems += [
        f"meeting {before + 1} (slot {slots[before]}) must come before meeting {after + 1} "
        f"(slot {slots[after]})"
        for before, after in instance.precedences
        if (a := slots[before]) is not None and (b := slots[after]) is not None and a >= b
    ]
    breaks = tuple(breaks_of(busy.get(p, [])) for p in range(1, instance.participants + 1))
    left = tuple(m for m, slot in enumerate(slots) if slot is None)
    return Check(tuple(problems), left, breaks)


def _why_not(instance: Instance, m: int, slot: int) -> str:
    meeting = instance.meetings[m]
    if not 1 <= slot <= instance.slots:
        return f"not a slot (1 to {instance.slots})"
    if slot not in instance.session_slots(meeting.session):
        return f"outside its session ({meeting.session})"
    if meeting.fixed_slot is not None and slot != meeting.fixed_slot:
        return f"fixed at slot {meeting.fixed_slot}"
    away = [p for p in (meeting.first, meeting.second) if slot in instance.unavailable(p)]
    return f"participant {away[0]} is not available then"


def _table_problems(
    instance: Instance, slots: Sequence[int | None], tables: Sequence[int | None]
) -> list[str]:
    problems = []
    seen: dict[tuple[int, int], int] = {}
    for m, (slot, table) in enumerate(zip(slots, tables, strict=True)):
        if slot is None:
            continue
        fixed = instance.meetings[m].fixed_table
        if table is None or not 1 <= table <= instance.tables:
            problems.append(f"meeting {m + 1}: table {table} is not 1 to {instance.tables}")
        elif fixed is not None and table != fixed:
            problems.append(f"meeting {m + 1} is at table {table}, fixed at table {fixed}")
        elif (slot, table) in seen:
            other = seen[slot, table]
            problems.append(f"meetings {other + 1} and {m + 1} share table {table} in slot {slot}")
        else:
            seen[slot, table] = m
    return problems
