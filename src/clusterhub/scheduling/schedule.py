"""What a scheduler answers: where each meeting goes, how good that is and how sure we are.

Every solver (greedy first-fit, the exact solver, re-scheduling) returns a ``Schedule``; the
tables are assigned after the slots (any meeting of a slot can sit at any free table, so
choosing tables inside the search would only multiply symmetric solutions), and every meeting
left out carries the reason it could not be placed, read from the final schedule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from clusterhub.errors import InvalidInput, Problem
from clusterhub.scheduling.instance import Instance
from clusterhub.scheduling.validate import check

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


@dataclass(frozen=True)
class Placement:
    """A meeting's slot and table (both from 1)."""

    slot: int
    table: int


@dataclass(frozen=True)
class Schedule:
    """A solver's answer.

    ``status``: ``optimal`` when no schedule places more (priority first) meetings and none of
    those has fewer breaks (within the fairness bound); ``feasible`` when the time ran out
    first; ``infeasible`` when the required meetings cannot all be placed; ``unknown`` when
    the time ran out before any schedule was found. ``bound`` is a proven lower bound on the
    breaks of any schedule placing as many meetings, ``most`` a proven upper bound on the
    meetings any schedule can place. ``moved`` counts published meetings given a new slot
    (re-scheduling only).
    """

    status: Status
    placements: tuple[Placement | None, ...]
    breaks: int
    bound: int
    most: int
    seconds: float
    solver: str
    reasons: Mapping[int, str] = field(default_factory=dict)
    moved: int = 0

    @property
    def scheduled(self) -> int:
        return sum(p is not None for p in self.placements)

    @property
    def gap(self) -> float:
        """Relative distance between the breaks found and the proven bound (0: proven)."""
        return 0.0 if self.breaks == 0 else (self.breaks - self.bound) / self.breaks

    @property
    def slots(self) -> list[int | None]:
        return [p.slot if p else None for p in self.placements]

    @property
    def tables(self) -> list[int | None]:
        return [p.table if p else None for p in self.placements]


def check_input(instance: Instance) -> None:
    """Refuse an instance no schedule could honour for a reason the organiser can fix
    (``InvalidInput`` naming each meeting): a required meeting with no slot, two fixed meetings
    at one table and slot, a precedence cycle of two."""
    problems: list[Problem] = []
    for m, meeting in enumerate(instance.meetings):
        if meeting.fixed_table is not None and not 1 <= meeting.fixed_table <= instance.tables:
            problems.append(
                _problem(m, f"table {meeting.fixed_table} is not 1 to {instance.tables}")
            )
        if meeting.must_place and not instance.allowed_slots(m):
            problems.append(_problem(m, "must be scheduled but " + no_slot_reason(instance, m)))
    seats: dict[tuple[int, int], int] = {}
    for m, meeting in enumerate(instance.meetings):
        if meeting.fixed_slot is None or meeting.fixed_table is None:
            continue
        key = (meeting.fixed_slot, meeting.fixed_table)
        if key in seats:
            problems.append(
                _problem(m, f"fixed at the same slot and table as meeting {seats[key] + 1}")
            )
        seats[key] = m
    if problems:
        raise InvalidInput(problems, summary="the meetings cannot be scheduled as they stand")


def _problem(m: int, message: str) -> Problem:
    return Problem(f"meeting {m + 1} {message}", None, None, "meetings", None)


def no_slot_reason(instance: Instance, m: int) -> str:
    """Why meeting ``m`` has no slot at all (empty ``allowed_slots``)."""
    meeting = instance.meetings[m]
    if meeting.fixed_slot is not None:
        return f"its fixed slot {meeting.fixed_slot} is outside its session or availability"
    return (
        f"participants {meeting.first} and {meeting.second} share no free slot "
        f"in its session ({meeting.session})"
    )


def assign_tables(
    instance: Instance,
    slots: Sequence[int | None],
    previous: Mapping[int, Placement] | None = None,
) -> tuple[Placement | None, ...]:
    """Seat the meetings of each slot: fixed tables first, then the table a meeting had
    (re-scheduling keeps tables where it can), then the lowest free table."""
    previous = previous or {}
    by_slot: dict[int, list[int]] = defaultdict(list)
    for m, slot in enumerate(slots):
        if slot is not None:
            by_slot[slot].append(m)
    tables: dict[int, int] = {}
    for slot, meetings in by_slot.items():
        taken: set[int] = set()
        order = sorted(meetings, key=lambda m: _seat_rank(instance, m, slot, previous))
        for m in order:
            wanted = instance.meetings[m].fixed_table
            if wanted is None and (old := previous.get(m)) is not None and old.slot == slot:
                wanted = old.table
            if wanted is None or wanted in taken:
                wanted = next(t for t in range(1, instance.tables + 1) if t not in taken)
            taken.add(wanted)
            tables[m] = wanted
    return tuple(
        Placement(slot, tables[m]) if slot is not None else None for m, slot in enumerate(slots)
    )


def _seat_rank(
    instance: Instance, m: int, slot: int, previous: Mapping[int, Placement]
) -> tuple[int, int]:
    if instance.meetings[m].fixed_table is not None:
        return (0, m)
    old = previous.get(m)
    return (1 if old is not None and old.slot == slot else 2, m)


def reasons(instance: Instance, slots: Sequence[int | None]) -> dict[int, str]:
    """Why each unplaced meeting is unplaced, read from the schedule: no common free slot, or
    in each slot it could take, who was already meeting and which slots were full."""
    busy: dict[tuple[int, int], int] = {}
    per_slot: dict[int, int] = defaultdict(int)
    for m, slot in enumerate(slots):
        if slot is not None:
            meeting = instance.meetings[m]
            busy[meeting.first, slot] = busy[meeting.second, slot] = m
            per_slot[slot] += 1
    found = {}
    for m, slot in enumerate(slots):
        if slot is None:
            found[m] = _reason(instance, m, busy, per_slot)
    return found


def _reason(
    instance: Instance, m: int, busy: Mapping[tuple[int, int], int], per_slot: Mapping[int, int]
) -> str:
    allowed = instance.allowed_slots(m)
    if not allowed:
        return no_slot_reason(instance, m)
    meeting = instance.meetings[m]
    full = [s for s in allowed if per_slot.get(s, 0) >= instance.tables]
    first = [s for s in allowed if (meeting.first, s) in busy]
    second = [s for s in allowed if (meeting.second, s) in busy]
    parts = [f"{len(allowed)} possible slot(s)"]
    if first:
        parts.append(f"participant {meeting.first} already meets someone in {_slots(first)}")
    if second:
        parts.append(f"participant {meeting.second} already meets someone in {_slots(second)}")
    if full:
        parts.append(f"every table is taken in {_slots(full)}")
    open_slots = [s for s in allowed if s not in first and s not in second and s not in full]
    if open_slots:
        parts.append(
            f"slot(s) {_slots(open_slots)} stay free only because using them would break a "
            "precedence or push out a meeting with priority"
        )
    return "; ".join(parts)


def _slots(slots: Sequence[int]) -> str:
    return ", ".join(str(s) for s in slots[:8]) + (
        f" and {len(slots) - 8} more" if len(slots) > 8 else ""
    )


def finish(
    instance: Instance,
    slots: Sequence[int | None],
    *,
    status: Status,
    bound: int,
    most: int,
    seconds: float,
    solver: str,
    previous: Mapping[int, Placement] | None = None,
) -> Schedule:
    """A ``Schedule`` from the slots a solver chose: tables seated, breaks counted and the
    whole re-checked by the independent validator (a solver bug fails loudly, never publishes)."""
    placements = assign_tables(instance, slots, previous)
    result = check(instance, slots, [p.table if p else None for p in placements])
    if not result.valid and status in ("optimal", "feasible"):
        raise AssertionError(f"{solver} produced an invalid schedule: {result.violations[:3]}")
    moved = sum(1 for m, old in (previous or {}).items() if slots[m] != old.slot)
    return Schedule(
        status=status,
        placements=placements,
        breaks=result.total_breaks,
        bound=min(bound, result.total_breaks),
        most=most,
        seconds=seconds,
        solver=solver,
        reasons=reasons(instance, slots),
        moved=moved,
    )
