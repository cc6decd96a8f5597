"""Why no schedule can place every required meeting, in words an organiser can act on.

CP-SAT proves ``infeasible`` but gives no reason a person can read. Two small certificates
explain almost every infeasible research instance (measured on the 140 instances of
``shared/data/b2b``):

* a **precedence** whose ``before`` meeting can only take slots no earlier than the last slot
  its ``after`` meeting can take (a morning meeting that must follow an afternoon one);
* a **participant overbooked** (Hall's condition): some of their required meetings can only
  use fewer distinct slots than there are meetings. A meeting's usable slots are its allowed
  slots (session, availability, fixed slot) less the slots either participant is held by a
  fixed meeting elsewhere. A maximum matching of meetings to slots finds the tightest set: the
  meetings reachable from an unmatched one by alternating paths, and the slots they reach.

Each is a proof on its own (no schedule can honour it), so a sentence here is a fact, not a
guess; when neither applies the answer is empty and the infeasibility stays CP-SAT's proof.
"""

from __future__ import annotations

from clusterhub.scheduling.instance import Instance


def why_infeasible(instance: Instance) -> str:
    """One reason no schedule places every required meeting, or ``""`` when neither simple
    certificate applies."""
    return impossible_precedence(instance) or overbooked_participant(instance)


def impossible_precedence(instance: Instance) -> str:
    """A precedence no schedule can honour, read from the allowed slots alone."""
    for before, after in instance.precedences:
        if not (instance.meetings[before].must_place and instance.meetings[after].must_place):
            continue
        first, then = instance.allowed_slots(before), instance.allowed_slots(after)
        if first and then and min(first) >= max(then):
            return (
                f"meeting {before + 1} ({instance.meetings[before].session}, slots "
                f"{min(first)}-{max(first)}) must precede meeting {after + 1} "
                f"({instance.meetings[after].session}, slots {min(then)}-{max(then)})"
            )
    return ""


def overbooked_participant(instance: Instance) -> str:
    """The first participant whose required meetings cannot all get distinct usable slots."""
    held = _held_by_fixed(instance)
    for participant in range(1, instance.participants + 1):
        required = [m for m in instance.meetings_of(participant) if instance.meetings[m].must_place]
        usable = {m: _usable(instance, m, held) for m in required}
        tight = _hall_violator(usable)
        if tight:
            return _overbooked(instance, participant, tight, usable)
    return ""


def _overbooked(
    instance: Instance, participant: int, tight: set[int], usable: dict[int, set[int]]
) -> str:
    slots = sorted(set().union(*(usable[m] for m in tight)))
    if not slots:  # one meeting whose allowed slots all went to fixed meetings
        (m,) = tight
        meeting = instance.meetings[m]
        return (
            f"meeting {m + 1} (participants {meeting.first} and {meeting.second}) can use no "
            f"slot: its allowed slots {_listed(instance.allowed_slots(m))} are taken by their "
            "fixed meetings"
        )
    missing = [s for s in range(1, instance.slots + 1) if s not in slots]
    which = (
        _listed(slots)
        if len(slots) <= 8 or len(missing) > 4
        else f"every slot but {_listed(missing)}"
    )
    return (
        f"participant {participant} must hold meetings {_listed(sorted(m + 1 for m in tight))} "
        f"({len(tight)}) but they can only use {len(slots)} slot{'s' * (len(slots) != 1)}: "
        f"{which}"
    )


def _listed(numbers: list[int]) -> str:
    """Numbers for a sentence: all of a short list, the ends of a long one."""
    if len(numbers) <= 8:
        return ", ".join(map(str, numbers))
    return f"{', '.join(map(str, numbers[:4]))}, …, {', '.join(map(str, numbers[-2:]))}"


def _held_by_fixed(instance: Instance) -> dict[int, dict[int, int]]:
    """Per participant, the slots their fixed meetings hold (slot → meeting)."""
    held: dict[int, dict[int, int]] = {}
    for m, meeting in enumerate(instance.meetings):
        if meeting.fixed_slot is not None:
            for p in (meeting.first, meeting.second):
                held.setdefault(p, {})[meeting.fixed_slot] = m
    return held


def _usable(instance: Instance, m: int, held: dict[int, dict[int, int]]) -> set[int]:
    meeting = instance.meetings[m]
    taken = {
        slot
        for p in (meeting.first, meeting.second)
        for slot, other in held.get(p, {}).items()
        if other != m
    }
    return set(instance.allowed_slots(m)) - taken


def _hall_violator(usable: dict[int, set[int]]) -> set[int]:
    """Meetings that together have fewer usable slots than members (empty when every meeting
    can get a slot of its own), from a maximum matching by augmenting paths."""
    owner: dict[int, int] = {}  # slot → meeting

    def augment(m: int, seen: set[int]) -> bool:
        for slot in sorted(usable[m]):
            if slot in seen:
                continue
            seen.add(slot)
            if slot not in owner or augment(owner[slot], seen):
                owner[slot] = m
                return True
        return False

    for m in usable:
        if not augment(m, set()):
            return _reachable(m, usable, owner)
    return set()


def _reachable(start: int, usable: dict[int, set[int]], owner: dict[int, int]) -> set[int]:
    """The meetings reachable from unmatched ``start`` by alternating paths: their usable
    slots are all owned by others in the set, so the set has one slot too few."""
    found, todo = {start}, [start]
    while todo:
        for slot in usable[todo.pop()]:
            other = owner[slot]  # every reachable slot is owned, else ``start`` would match
            if other not in found:
                found.add(other)
                todo.append(other)
    return found
