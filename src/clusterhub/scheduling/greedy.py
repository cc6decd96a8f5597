"""Greedy first-fit: what self-booking gives, kept as the baseline the exact solver must beat.

Fixed meetings are placed first, then priority meetings, then the rest in the order they were
requested; each takes the earliest slot where both participants are free, a table is free,
its session and availability allow it and its precedences hold. Nothing is ever moved, so a
meeting requested late finds the early slots gone and participants end up with idle gaps.
"""

from __future__ import annotations

import time
from collections import defaultdict

from clusterhub.scheduling.instance import Instance
from clusterhub.scheduling.schedule import Schedule, check_input, finish


def first_fit(instance: Instance) -> Schedule:
    """The first-fit schedule of ``instance`` (status ``feasible``, or ``infeasible`` when a
    required meeting found no slot; the bound is the trivial 0)."""
    check_input(instance)
    started = time.perf_counter()
    slots: list[int | None] = [None] * len(instance.meetings)
    busy: set[tuple[int, int]] = set()
    used: dict[int, int] = defaultdict(int)
    before, after = _precedences(instance)
    order = sorted(
        range(len(instance.meetings)),
        key=lambda m: (
            instance.meetings[m].fixed_slot is None,
            not instance.meetings[m].priority,
            m,
        ),
    )
    for m in order:
        meeting = instance.meetings[m]
        low = max((s for p in before[m] if (s := slots[p]) is not None), default=0)
        high = min((s for n in after[m] if (s := slots[n]) is not None), default=instance.slots + 1)
        for slot in instance.allowed_slots(m):
            if (
                low < slot < high
                and (meeting.first, slot) not in busy
                and (meeting.second, slot) not in busy
                and used[slot] < instance.tables
            ):
                slots[m] = slot
                busy |= {(meeting.first, slot), (meeting.second, slot)}
                used[slot] += 1
                break
    missing = any(s is None and instance.meetings[m].must_place for m, s in enumerate(slots))
    return finish(
        instance,
        slots,
        status="infeasible" if missing else "feasible",
        bound=0,
        most=len(instance.meetings),
        seconds=time.perf_counter() - started,
        solver="greedy first-fit",
    )


def _precedences(instance: Instance) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    before: dict[int, list[int]] = defaultdict(list)
    after: dict[int, list[int]] = defaultdict(list)
    for first, then in instance.precedences:
        before[then].append(first)
        after[first].append(then)
    return before, after
