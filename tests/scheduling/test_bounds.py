"""The proofs behind "optimal": each participant's own best, everyone at their best at once,
and core-guided MaxSAT — on hand-made instances with known optima and on real ones."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from clusterhub.scheduling import bounds, maxsat
from clusterhub.scheduling.dzn import read_dzn
from clusterhub.scheduling.exact import Options, solve
from clusterhub.scheduling.instance import Instance, Meeting
from clusterhub.scheduling.validate import breaks_of, check
from tests.scheduling.test_exact import brute_force, random_instance


def _required(instance: Instance) -> Instance:
    meetings = tuple(replace(m, required=True) for m in instance.meetings)
    return replace(instance, meetings=meetings)


def test_own_best_sees_a_break_forced_by_sessions_and_availability() -> None:
    # Participant 1 meets 2 in the morning (slots 1-2) and 3 in the afternoon (3-4), but 3 is
    # away in slot 3: 1 must wait in slot 3 at best, whoever else is there.
    instance = Instance(
        3,
        2,
        4,
        2,
        (
            Meeting(1, 2, "morning", required=True),
            Meeting(1, 3, "afternoon", required=True),
        ),
        forbidden=(frozenset(), frozenset({1}), frozenset({3})),
    )
    assert bounds.own_bests(instance) == {1: 1}
    assert solve(instance, Options(time_limit=10, workers=1)).breaks == 1


def test_patterns_are_every_slot_set_with_that_many_gaps() -> None:
    instance = Instance(2, 1, 5, 5, ())
    busy = dict.fromkeys(range(1, 6), None)
    assert bounds.patterns(instance, busy, 3, 0) == [  # type: ignore[arg-type]
        frozenset({1, 2, 3}),
        frozenset({2, 3, 4}),
        frozenset({3, 4, 5}),
    ]
    two = bounds.patterns(instance, busy, 3, 1)  # type: ignore[arg-type]
    assert all(breaks_of(list(p)) == 1 for p in two) and len(two) == len(set(two)) == 6


def test_two_participants_who_cannot_both_be_compact_raise_the_bound() -> None:
    # A four-cycle of meetings on one table: every participant alone has no break, but with
    # 1 and 2 away in slot 4 and 3 and 4 away in slot 1, the cycle forces a gap on someone.
    instance = Instance(
        4,
        1,
        4,
        4,
        (
            Meeting(1, 2, required=True),
            Meeting(1, 3, required=True),
            Meeting(2, 4, required=True),
            Meeting(3, 4, required=True),
        ),
        forbidden=(frozenset({4}), frozenset({4}), frozenset({1}), frozenset({1})),
    )
    truth = brute_force(instance, None)
    assert truth is not None
    best = bounds.own_bests(instance)
    assert sum(best.values()) == 0
    at_best = bounds.everyone_at_best(instance, best, Options(time_limit=10, workers=1))
    schedule = solve(instance, Options(time_limit=10, workers=1))
    assert (schedule.status, schedule.breaks) == ("optimal", truth[2])
    assert (at_best is False) == (schedule.breaks > 0)


@pytest.mark.parametrize("seed", range(12))
def test_maxsat_proves_the_true_optimum_of_random_tiny_instances(seed: int) -> None:
    instance = _required(random_instance(seed))
    truth = brute_force(instance, None)
    proof = maxsat.prove(instance, 20)
    if truth is None:
        assert proof.slots is None
        return
    assert proof.slots is not None and check(instance, proof.slots).valid
    assert proof.bound == check(instance, proof.slots).total_breaks == truth[2]


def test_maxsat_proves_a_real_event_the_cp_sat_bounds_cannot(shared_data: Path) -> None:
    instance = read_dzn(shared_data / "b2b" / "forum-13crafc.original.dzn")
    proof = maxsat.prove(instance, 60)
    assert proof.slots is not None
    found = check(instance, proof.slots)
    assert found.valid and found.total_breaks == proof.bound == 1


def test_maxsat_stopped_at_the_deadline_keeps_the_bound_it_proved() -> None:
    rng = random.Random(7)
    meetings = tuple(
        Meeting(a, b, required=True)
        for a, b in {tuple(sorted(rng.sample(range(1, 31), 2))) for _ in range(120)}
    )
    instance = Instance(30, 6, 12, 6, meetings)
    proof = maxsat.prove(instance, 0.5)
    assert proof.bound >= 0 and (proof.slots is None or check(instance, proof.slots).valid)
