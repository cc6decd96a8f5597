"""The SYNTHETIC event generator and the proven upper bound on schedulable meetings."""

from __future__ import annotations

from collections import Counter
from statistics import median

import pytest

from clusterhub.scheduling.exact import Options, solve
from clusterhub.scheduling.generate import generate, upper_bound
from clusterhub.scheduling.greedy import first_fit
from clusterhub.scheduling.instance import Instance, Meeting
from clusterhub.scheduling.validate import check

SMALL = {"participants": 14, "requests": 40, "morning_slots": 3, "afternoon_slots": 3}


def test_the_same_seed_gives_the_same_event_and_another_seed_another() -> None:
    assert generate(seed=3, **SMALL, tables=4) == generate(seed=3, **SMALL, tables=4)
    assert generate(seed=3, **SMALL, tables=4) != generate(seed=4, **SMALL, tables=4)


def test_the_default_event_is_large_skewed_and_constrained() -> None:
    event = generate()
    assert (event.participants, len(event.meetings), event.tables) == (1000, 10_000, 100)
    assert (event.slots, event.morning_slots) == (16, 8)
    pairs = {frozenset((m.first, m.second)) for m in event.meetings}
    assert len(pairs) == 10_000 and all(len(p) == 2 for p in pairs)
    degree = Counter(p for m in event.meetings for p in (m.first, m.second))
    assert max(degree.values()) > 5 * median(degree.values())  # a few very popular people
    sessions = Counter(m.session for m in event.meetings)
    assert 0.05 < (sessions["morning"] + sessions["afternoon"]) / 10_000 < 0.3
    away = sum(1 for f in event.forbidden if f)
    assert 0 < away < 100
    assert 0 < sum(m.priority for m in event.meetings) < 2000
    # 100 tables x 16 slots is the ceiling here, far below the 10,000 requests
    assert upper_bound(event) == 1600


@pytest.mark.parametrize("seed", range(6))
def test_the_bound_is_never_below_what_the_exact_solver_places(seed: int) -> None:
    event = generate(seed=seed, **SMALL, tables=2 + seed % 3)
    bound = upper_bound(event)
    schedule = solve(event, Options(time_limit=5, workers=1))
    assert check(event, schedule.slots, schedule.tables).valid
    assert schedule.status in ("optimal", "feasible")
    assert schedule.scheduled <= bound <= min(len(event.meetings), event.tables * event.slots)
    assert first_fit(event).scheduled <= bound


def test_each_part_of_the_bound_binds_somewhere() -> None:
    # a star: participant 1 asked by five others, three slots, plenty of tables -> 3
    star = Instance(6, 10, 3, 3, tuple(Meeting(1, p) for p in range(2, 7)))
    assert upper_bound(star) == 3 == solve(star, Options(time_limit=5)).scheduled
    # disjoint pairs, two tables, two slots -> tables x slots = 4
    pairs = Instance(12, 2, 2, 1, tuple(Meeting(p, p + 1) for p in range(1, 12, 2)))
    assert upper_bound(pairs) == 4
    # a morning-only meeting in an event whose participant 1 is away all morning -> not placeable
    away = Instance(
        3, 2, 2, 1, (Meeting(1, 2, "morning"), Meeting(2, 3)), (frozenset({1}), *[frozenset()] * 2)
    )
    assert upper_bound(away) == 1
    # per slot: three participants can hold only one meeting at a time
    triangle = Instance(3, 5, 2, 2, (Meeting(1, 2), Meeting(2, 3), Meeting(1, 3)))
    assert upper_bound(triangle) == 2 == solve(triangle, Options(time_limit=5)).scheduled
