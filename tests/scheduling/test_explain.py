"""The reasons given for a proven infeasible instance are certificates: they fire only where no
schedule exists (brute force), name the tight meetings and slots, and explain the real
research instances CP-SAT proves infeasible."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from clusterhub.scheduling.explain import why_infeasible
from clusterhub.scheduling.instance import Instance, Meeting
from clusterhub.scheduling.research import solve_file
from tests.scheduling.test_exact import brute_force, random_instance


def _all_required(instance: Instance) -> Instance:
    """Every meeting that has a slot at all made required (one without is refused earlier)."""
    meetings = tuple(
        replace(meeting, required=bool(instance.allowed_slots(m)))
        for m, meeting in enumerate(instance.meetings)
    )
    return replace(instance, meetings=meetings)


def test_a_reason_is_given_only_where_brute_force_finds_no_schedule() -> None:
    explained = 0
    for seed in range(200):
        instance = _all_required(random_instance(seed))
        reason = why_infeasible(instance)
        if reason:
            explained += 1
            assert brute_force(instance, None) is None, (seed, reason)
    assert explained >= 10  # the check is exercised, not vacuous


def test_the_tight_meetings_are_named_with_the_only_slots_they_can_use() -> None:
    # Participant 1 meets 2, 3 and 4 in three slots. Participant 2 is held in slot 3 and
    # participant 3 in slot 2 by fixed meetings with 5; participant 4 is away in slots 2 and 3.
    meetings = (
        Meeting(1, 2, required=True),
        Meeting(1, 3, required=True),
        Meeting(1, 4, required=True),
        Meeting(2, 5, fixed_slot=3),
        Meeting(3, 5, fixed_slot=2),
    )
    forbidden = (frozenset(), frozenset(), frozenset(), frozenset({2, 3}), frozenset())
    instance = Instance(5, 5, 3, 3, meetings, forbidden)
    # Usable: 1-2 in {1, 2}, 1-3 in {1, 3}, 1-4 in {1}: one slot each is still possible.
    assert why_infeasible(instance) == ""
    assert brute_force(instance, None) is not None
    # Participant 1 away in slot 3: 1-3 and 1-4 both need slot 1.
    squeezed = replace(instance, forbidden=(frozenset({3}), *forbidden[1:]))
    assert why_infeasible(squeezed) == (
        "participant 1 must hold meetings 2, 3 (2) but they can only use 1 slot: 1"
    )
    assert brute_force(squeezed, None) is None


def test_a_real_overbooked_participant_is_explained(shared_data: Path) -> None:
    solved = solve_file(shared_data / "b2b" / "tic-12.forb0003.dzn", time_limit=20)
    assert solved.schedule.status == "infeasible"
    assert solved.answer["why_infeasible"].startswith(
        "participant 1 must hold meetings"
    ) and solved.answer["why_infeasible"].endswith("(8) but they can only use 7 slots: "
                                                   "1, 2, 3, 5, 6, 7, 8")  # fmt: skip
