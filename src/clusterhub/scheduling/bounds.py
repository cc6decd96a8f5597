"""Lower bounds on breaks, and the "everyone at their own best" check that often proves them.

A participant's own best is the fewest breaks its meetings allow when nobody else is in the
way: its sessions, both sides' availability and fixed slots alone. The sum over participants
bounds the breaks of any schedule that places every meeting. When a schedule exists in which
every participant has exactly its own best, it is optimal; when none exists, the bound rises
by one. Deciding that is a satisfiability problem with strong propagation: a participant with
no break occupies one interval of as many slots as meetings (one start among a few positions),
one with a single break two intervals, so the check is fast where the general search is slow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Literal

from ortools.sat.python import cp_model

from clusterhub.scheduling.instance import Instance
from clusterhub.scheduling.model import Busy, Model, Options, build, solver_for


def own_best(instance: Instance, meetings: Sequence[int]) -> int:
    """The fewest breaks ``meetings`` (all of one participant, all placed) allow on their own.

    Meetings with the same possible slots are interchangeable, so they are counted per class
    (how many of the class go in each slot) instead of placed one by one: no symmetric search.
    """
    classes: dict[tuple[int, ...], int] = defaultdict(int)
    for m in meetings:
        classes[tuple(instance.allowed_slots(m))] += 1
    model = cp_model.CpModel()
    busy: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for slots, count in classes.items():
        row = [model.new_bool_var("") for _ in slots]
        model.add(sum(row) == count)
        for slot, var in zip(slots, row, strict=True):
            busy[slot].append(var)
    used = {}
    for slot, vars_ in busy.items():
        used[slot] = model.new_bool_var("")
        model.add(sum(vars_) == used[slot])
    starts = [
        used[s] if s - 1 not in used else _start(model, used[s], used[s - 1]) for s in sorted(used)
    ]
    model.minimize(sum(starts))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10.0
    if solver.solve(model) != cp_model.OPTIMAL:
        return 0  # no proof within the time: claim nothing
    return max(round(solver.objective_value) - 1, 0)


def _start(
    model: cp_model.CpModel, now: cp_model.IntVar, before: cp_model.IntVar
) -> cp_model.IntVar:
    start = model.new_bool_var("")
    model.add(start >= now - before)
    return start


def own_bests(instance: Instance) -> dict[int, int]:
    """Each participant's own best, for the participants whose meetings must all be placed
    (for the others, which meetings are placed is part of the question)."""
    found = {}
    for participant, meetings in instance.by_participant.items():
        if len(meetings) > 1 and all(instance.meetings[m].must_place for m in meetings):
            found[participant] = own_best(instance, meetings)
    return found


def patterns(instance: Instance, busy: Busy, count: int, breaks: int) -> list[frozenset[int]]:
    """Every set of ``count`` slots among ``busy`` with exactly ``breaks`` gaps, for breaks 0
    or 1 (one interval, or two separated by at least one free slot)."""
    slots = range(1, instance.slots + 1)
    found: list[frozenset[int]] = []
    if breaks == 0:
        for start in slots:
            run = range(start, start + count)
            if all(s in busy for s in run):
                found.append(frozenset(run))
        return found
    for first in range(1, count):
        for a in slots:
            left = range(a, a + first)
            if not all(s in busy for s in left):
                continue
            for b in range(a + first + 1, instance.slots + 2 - (count - first)):
                right = range(b, b + count - first)
                if all(s in busy for s in right):
                    found.append(frozenset(left) | frozenset(right))
    return found


def add_patterns(
    built: Model, instance: Instance, best: Mapping[int, int], soft: bool
) -> dict[int, cp_model.IntVar]:
    """Make each participant with an own best of 0 or 1 take one of its ``patterns``: always
    (``soft`` False), or exactly when its literal in the returned map is true (``soft`` True;
    the literal is then "this participant is at its own best")."""
    held: dict[int, cp_model.IntVar] = {}
    for participant, busy in built.busy.items():
        if best.get(participant, 2) > 1:
            continue
        count = len(instance.by_participant[participant])
        choices = patterns(instance, busy, count, best[participant])
        picks = [
            built.derive(built.model.new_bool_var(""), participant, partial(_is, chosen))
            for chosen in choices
        ]
        if soft:
            at_best = partial(_one_of, frozenset(choices))
            held[participant] = built.derive(built.model.new_bool_var(""), participant, at_best)
        enforce = [held[participant]] if soft else []
        built.model.add(sum(picks) == 1).only_enforce_if(enforce)
        for slot, var in busy.items():
            covering = [pick for pick, chosen in zip(picks, choices, strict=True) if slot in chosen]
            built.model.add(var == sum(covering)).only_enforce_if(enforce)
    return held


def _is(pattern: frozenset[int], busy: set[int]) -> bool:
    return busy == pattern


def _one_of(choices: frozenset[frozenset[int]], busy: set[int]) -> bool:
    return frozenset(busy) in choices


def everyone_at_best(
    instance: Instance, best: Mapping[int, int], options: Options
) -> list[int | None] | Literal[False] | None:
    """A schedule where every participant has exactly its own best, ``False`` when provably
    none exists, ``None`` when the time ran out first. With every participant's busy slots
    one of a few patterns, propagation is strong: this often settles in a second what the
    general search cannot prove in minutes."""
    built = build(instance)
    add_patterns(built, instance, best, soft=False)
    solver = solver_for(options, options.time_limit, full=True)
    code = solver.solve(built.model)
    if code == cp_model.INFEASIBLE:
        return False
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return built.slots(solver, len(instance.meetings))
