"""The exact scheduler: a CP-SAT model solved in lexicographic phases (decision 0007).

Variables: ``x[m, s]`` — meeting ``m`` in slot ``s`` — only for the slots its session, its
participants' availability and its fixed slot allow. Hard constraints: at most one slot per
meeting (exactly one when it must be placed); one meeting per participant and slot; at most
``tables`` meetings per slot; precedences on the slot numbers. Breaks: ``start[p, s]`` is 1
when participant ``p`` is busy in ``s`` and not in ``s - 1``; a participant's breaks are its
starts minus one (the pause between sessions is not a slot, so slots are consecutive through
the event). Tables are seated after the slots (``schedule.assign_tables``), which removes the
table symmetry from the search.

Phases, each keeping the optimum of the one before as a constraint: (1) place as many priority
meetings as possible, (2) then as many meetings, (3) when re-scheduling, move as few published
meetings as possible, (4) then as few breaks as possible, optionally with the fairness bound
(largest minus smallest number of breaks over the participants who meet ≤ d). The bound of
the last phase is CP-SAT's proven lower bound, so ``optimal`` is a proof, not a hope.

OR-Tools is heavy (about 0.3 s to import): import this module only where a schedule is solved.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from clusterhub.scheduling.greedy import first_fit
from clusterhub.scheduling.instance import Instance
from clusterhub.scheduling.schedule import Placement, Schedule, Status, check_input, finish

Expr = cp_model.LinearExpr | cp_model.IntVar | int


@dataclass(frozen=True)
class Options:
    """How long and how hard to search: ``time_limit`` in seconds for all phases together,
    ``workers`` CP-SAT search threads, ``fairness`` the largest allowed difference between
    participants' breaks (None: no bound), ``seed`` for reproducible runs."""

    time_limit: float = 60.0
    workers: int = 2
    fairness: int | None = None
    seed: int = 0


@dataclass
class _Model:
    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]
    placed: list[Expr]
    breaks: Expr


def solve(
    instance: Instance,
    options: Options | None = None,
    previous: Mapping[int, Placement] | None = None,
) -> Schedule:
    """The best schedule of ``instance`` found within the time limit, with its proof status.

    ``previous`` (re-scheduling) maps published meetings to their placement: they must all be
    placed again, and as few as possible move (only when that lets more meetings in)."""
    options = options or Options()
    check_input(instance)
    started = time.perf_counter()
    deadline = started + options.time_limit
    previous = previous or {}
    if previous:
        instance = _with_required(instance, previous)
    built = _build(instance, options.fairness)
    hint = _hint(instance, previous)
    if hint is not None:
        for (m, s), var in built.x.items():
            built.model.add_hint(var, hint[m] == s)
    phases = _phases(instance, built, previous)
    status: Status = "optimal"
    bound = 0
    most = len(instance.meetings)
    for name, objective, maximise in phases:
        if maximise:
            built.model.maximize(objective)
        else:
            built.model.minimize(objective)
        solver = _solver(options, deadline - time.perf_counter())
        code = solver.solve(built.model)
        if code == cp_model.INFEASIBLE:
            return _infeasible(instance, time.perf_counter() - started)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _unknown(instance, time.perf_counter() - started)
        value = round(solver.objective_value)
        proven = code == cp_model.OPTIMAL
        if not proven:
            status = "feasible"
        if name == "placed":
            most = min(most, int(solver.best_objective_bound + 1e-6))
        if name == "breaks":
            bound = int(solver.best_objective_bound + 1 - 1e-6) if not proven else value
        _keep(built, solver, objective, value, maximise)
    slots = [_slot_of(solver, built, m, instance) for m in range(len(instance.meetings))]
    return finish(
        instance,
        slots,
        status=status,
        bound=bound,
        most=most,
        seconds=time.perf_counter() - started,
        solver="CP-SAT",
        previous=previous,
    )


def _phases(
    instance: Instance, built: _Model, previous: Mapping[int, Placement]
) -> list[tuple[str, Expr, bool]]:
    optional = [m for m, meeting in enumerate(instance.meetings) if not meeting.must_place]
    phases: list[tuple[str, Expr, bool]] = []
    priority = [m for m in optional if instance.meetings[m].priority]
    if priority:
        phases.append(
            ("priority", cp_model.LinearExpr.sum([built.placed[m] for m in priority]), True)
        )
    if optional:
        phases.append(("placed", cp_model.LinearExpr.sum(built.placed), True))
    if previous:
        stays = [built.x[m, p.slot] for m, p in previous.items() if (m, p.slot) in built.x]
        phases.append(("moved", len(previous) - cp_model.LinearExpr.sum(stays), False))
    phases.append(("breaks", built.breaks, False))
    return phases


def _build(instance: Instance, fairness: int | None) -> _Model:
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    placed: list[Expr] = []
    for m, meeting in enumerate(instance.meetings):
        row = [
            x.setdefault((m, s), model.new_bool_var(f"x{m}_{s}")) for s in instance.allowed_slots(m)
        ]
        if meeting.must_place:
            model.add_exactly_one(row)
            placed.append(1)
        else:
            model.add_at_most_one(row)
            placed.append(cp_model.LinearExpr.sum(row))
    for slot in range(1, instance.slots + 1):
        here = [var for (m, s), var in x.items() if s == slot]
        if len(here) > instance.tables:
            model.add(cp_model.LinearExpr.sum(here) <= instance.tables)
    for before, after in instance.precedences:
        _precede(model, x, instance, before, after)
    per_participant = [
        _participant(model, instance, x, meetings)
        for meetings in instance.by_participant().values()
        if meetings
    ]
    breaks = cp_model.LinearExpr.sum([b for b, _ in per_participant])
    if fairness is not None:
        _fair(model, instance, per_participant, fairness)
    return _Model(model, x, placed, breaks)


def _participant(
    model: cp_model.CpModel,
    instance: Instance,
    x: Mapping[tuple[int, int], cp_model.IntVar],
    meetings: Sequence[int],
) -> tuple[Expr, Expr]:
    """A participant's breaks (starts of busy runs minus one) and whether it meets at all."""
    busy: dict[int, Expr] = {}
    for slot in range(1, instance.slots + 1):
        here = [x[m, slot] for m in meetings if (m, slot) in x]
        if len(here) == 1:
            busy[slot] = here[0]
        elif here:
            var = model.new_bool_var("")
            model.add(cp_model.LinearExpr.sum(here) == var)
            busy[slot] = var
    starts = []
    for slot, now in busy.items():
        if slot - 1 not in busy:
            starts.append(now)
            continue
        start = model.new_bool_var("")
        model.add(start >= now - busy[slot - 1])
        starts.append(start)
    if all(instance.meetings[m].must_place for m in meetings):
        meets: Expr = 1
    else:
        any_var = model.new_bool_var("")
        model.add_max_equality(any_var, list(busy.values()))
        meets = any_var
    breaks = model.new_int_var(0, max(len(starts) - 1, 0), "")
    model.add(breaks == cp_model.LinearExpr.sum(starts) - meets)
    return breaks, meets


def _precede(
    model: cp_model.CpModel,
    x: Mapping[tuple[int, int], cp_model.IntVar],
    instance: Instance,
    before: int,
    after: int,
) -> None:
    """``before`` in an earlier slot than ``after`` whenever both are placed."""
    for (m, s), var in x.items():
        if m != before:
            continue
        clash = [x[after, t] for t in range(1, s + 1) if (after, t) in x]
        for other in clash:
            model.add_bool_or([var.Not(), other.Not()])


def _fair(
    model: cp_model.CpModel,
    instance: Instance,
    per_participant: Sequence[tuple[Expr, Expr]],
    fairness: int,
) -> None:
    """Largest minus smallest breaks over the participants who meet ≤ ``fairness``."""
    top = instance.slots
    most = model.new_int_var(0, top, "most_breaks")
    least = model.new_int_var(0, top, "least_breaks")
    for breaks, meets in per_participant:
        if isinstance(meets, int):
            model.add(breaks <= most)
            model.add(breaks >= least)
        else:
            model.add(breaks <= most).only_enforce_if(meets)
            model.add(breaks >= least).only_enforce_if(meets)
    model.add(most - least <= fairness)


def _solver(options: Options, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.1)
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    return solver


def _keep(
    built: _Model,
    solver: cp_model.CpSolver,
    objective: Expr,
    value: int,
    maximise: bool,
) -> None:
    """Hold a finished phase at its value and hint the next phase with its solution."""
    if maximise:
        built.model.add(objective >= value)
    else:
        built.model.add(objective <= value)
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    for var in built.x.values():
        built.model.add_hint(var, solver.boolean_value(var))


def _slot_of(solver: cp_model.CpSolver, built: _Model, m: int, instance: Instance) -> int | None:
    for s in instance.allowed_slots(m):
        if solver.boolean_value(built.x[m, s]):
            return s
    return None


def _hint(instance: Instance, previous: Mapping[int, Placement]) -> list[int | None] | None:
    """A first solution to start from: the published slots when re-scheduling, else greedy."""
    if previous:
        return [p.slot if (p := previous.get(m)) else None for m in range(len(instance.meetings))]
    baseline = first_fit(instance)
    return baseline.slots


def _with_required(instance: Instance, previous: Mapping[int, Placement]) -> Instance:
    meetings = tuple(
        replace(meeting, required=True) if m in previous else meeting
        for m, meeting in enumerate(instance.meetings)
    )
    return replace(instance, meetings=meetings)


def _infeasible(instance: Instance, seconds: float) -> Schedule:
    return finish(
        instance,
        [None] * len(instance.meetings),
        status="infeasible",
        bound=0,
        most=0,
        seconds=seconds,
        solver="CP-SAT",
    )


def _unknown(instance: Instance, seconds: float) -> Schedule:
    return finish(
        instance,
        [None] * len(instance.meetings),
        status="unknown",
        bound=0,
        most=len(instance.meetings),
        seconds=seconds,
        solver="CP-SAT",
    )
