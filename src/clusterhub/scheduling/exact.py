"""The exact scheduler: CP-SAT models solved in lexicographic phases (decision 0007).

Variables: ``x[m, s]`` — meeting ``m`` in slot ``s`` — only for the slots its session, its
participants' availability and its fixed slot allow. Hard constraints: at most one slot per
meeting (exactly one when it must be placed); one meeting per participant and slot; at most
``tables`` meetings per slot; precedences on the slot numbers. Tables are seated after the
slots (``schedule.assign_tables``), which removes the table symmetry from the search.

Breaks are counted where they happen: ``gap[p, s]`` is 1 when participant ``p`` meets in
``s``, not in ``s + 1``, and again later (slots run consecutively through the event; the pause
between sessions is not a slot). This finds good schedules far faster than counting busy runs.

Phases, each keeping the optimum of the one before as a constraint: (1) place as many priority
meetings as possible, (2) then as many meetings, (3) when re-scheduling, move as few published
meetings as possible, (4) then as few breaks as possible, optionally with the fairness bound
(largest minus smallest number of breaks over the participants who meet ≤ d). Before phase 4
searches, ``bounds`` gives each participant its own best and checks whether everyone can have
it at once: if so the schedule is optimal by that bound; if not the bound rises by one, the
fewest participants who must give way raise it further, and a search for a schedule *at* the
bound either finds one (optimal) or proves none exists (the bound rises again). The bound
reported is the best of these, MaxSAT's and CP-SAT's own, so ``optimal`` is a proof, not a
hope.

OR-Tools is heavy (about 0.3 s to import): import this module only where a schedule is solved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from ortools.sat.python import cp_model

from clusterhub.scheduling import bounds, maxsat
from clusterhub.scheduling.greedy import first_fit
from clusterhub.scheduling.instance import Instance
from clusterhub.scheduling.model import Busy, Expr, Model, Options, build, solver_for
from clusterhub.scheduling.schedule import Placement, Schedule, Status, check_input, finish
from clusterhub.scheduling.validate import check

__all__ = ["Options", "solve"]

# Shares of the time left: each maximising phase (priority, placed, moved), the check of
# everyone at their own best and the fewest who give way; the breaks phase takes the rest.
_PHASE_SHARE = 0.3
_TARGET_SHARE = 0.25
# MaxSAT runs beside them for 15 % of the time left but at least 8 s (at most 40 %), then
# leaves the cores to CP-SAT: where it wins it finishes within seconds alone but needs 4–6 s
# beside CP-SAT (forum-13crafc and its variants), and a longer run slows the search at the
# bound (ticf-13crafb: not settled in 60 s with 40 % of the time, 13–30 s with 15 %).
_MAXSAT_SHARES = (0.15, 0.4)
_MAXSAT_SECONDS = 8.0
# The search for a schedule at the proven bound (``_at_bound``) takes this share of what is
# left; the breaks phase keeps the rest to improve the schedule when no proof came (with
# 75 % a 20 s run left forum-13crafb.forb0003 at 32 breaks, against 13 before the search).
_AT_BOUND_SHARE = 0.5


@dataclass
class _Run:
    """What the phases have established so far."""

    options: Options
    deadline: float
    status: Status = "optimal"
    found: bool = False
    stopped: bool = False
    bound: int = 0
    most: int = 0
    slots: list[int | None] = field(default_factory=list)
    prover: maxsat.Prover | None = None
    bests: _Bests | None = None


@dataclass(frozen=True)
class _Bests:
    """What ``_own_bests`` proved, for ``_at_bound``: each participant's own best, the
    literals of those held at it (own best 0 or 1) and the fewest of them who must give way."""

    best: Mapping[int, int]
    held: Mapping[int, cp_model.IntVar]
    away_least: int

    @property
    def own(self) -> int:
        return sum(self.best.values())

    @property
    def away(self) -> Expr:
        return cp_model.LinearExpr.sum([1 - lit for lit in self.held.values()])


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
    hint = _hint(instance, previous)
    run = _Run(options, deadline, most=len(instance.meetings), slots=hint)
    run.found = check(instance, hint).valid
    built = build(instance)
    gaps = {p: _gaps(built, p, options.fairness is not None) for p in built.busy}
    total = cp_model.LinearExpr.sum([g for gs in gaps.values() for g in gs])
    if options.fairness is not None:
        _fair(built.model, instance, built.busy, gaps, options.fairness)
    outcome = _place(instance, built, run, previous)
    if outcome is not None:
        return _give_up(instance, run, outcome, time.perf_counter() - started)
    run.bound = 0
    placing = run.status
    try:
        if not run.stopped and not previous and all(m.must_place for m in instance.meetings):
            if _own_bests(instance, built, gaps, run) == "infeasible":
                return _give_up(instance, run, "infeasible", time.perf_counter() - started)
            _take_proof(instance, run, placing)
            if not run.stopped and not _proven(instance, run):
                _at_bound(instance, built, run, gaps, total)
                _take_proof(instance, run, placing)
        if not run.stopped and not _proven(instance, run):
            outcome = _optimise(built, run, total, False, floor=run.bound, race=True)
            if outcome is not None:
                return _give_up(instance, run, outcome, time.perf_counter() - started)
        _take_proof(instance, run, placing)
    finally:
        if run.prover is not None:
            run.prover.stop()
    return finish(
        instance,
        run.slots,
        status=run.status,
        bound=run.bound,
        most=run.most,
        seconds=time.perf_counter() - started,
        solver="CP-SAT",
        previous=previous,
    )


def _place(
    instance: Instance, built: Model, run: _Run, previous: Mapping[int, Placement]
) -> Status | None:
    """The placing phases (priority, placed, moved), each skipped when the schedule in hand is
    already at its ceiling; the status when the run must stop with no schedule."""
    for name, objective, maximise in _phases(instance, built, previous):
        fair = _fair_enough(instance, run.slots, run.options.fairness)
        if run.found and fair and _at_ceiling(instance, run.slots, name):
            run.bound = _placed_in(instance, run.slots, name)
            built.model.add(objective >= run.bound)
        else:
            outcome = _optimise(built, run, objective, maximise, share=_PHASE_SHARE)
            if outcome is not None:
                return outcome
            if run.stopped:
                return None
        if name == "placed":
            run.most = run.bound
    return None


def _optimise(
    built: Model,
    run: _Run,
    objective: Expr,
    maximise: bool,
    *,
    floor: int = 0,
    share: float = 1.0,
    keep: bool = True,
    race: bool = False,
    full: bool = False,
) -> Status | None:
    """Solve one phase from the best schedule so far, within ``share`` of the time left; keep
    its value as a constraint for the phases after it. Returns the status when the run must
    stop with no schedule (infeasible, or nothing found in time); when the time runs out with
    a schedule in hand, that schedule stands (``feasible``) and the later phases are skipped.
    With ``race`` (the breaks phase), the search stops as soon as MaxSAT has finished or has
    proven a bound its best schedule meets. ``full``: every worker searches the whole problem
    (``model.solver_for``)."""
    built.hint(run.slots)
    if maximise:
        built.model.maximize(objective)
    else:
        built.model.add(objective >= floor)
        built.model.minimize(objective)
    solver = solver_for(run.options, (run.deadline - time.perf_counter()) * share, full=full)
    code = _watched(solver, built.model, run.prover, race)
    if code == cp_model.INFEASIBLE:
        return "infeasible"
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if not run.found:
            return "unknown"
        run.status, run.stopped = "feasible", True
        return None
    run.found = True
    value = round(solver.objective_value)
    run.slots = built.slots(solver, len(run.slots))
    if code != cp_model.OPTIMAL:
        run.status = "feasible"
    proven = value if code == cp_model.OPTIMAL else solver.best_objective_bound
    run.bound = int(proven + 1e-6) if maximise else max(floor, int(proven + 1 - 1e-6))
    if keep:
        built.model.add(objective >= value if maximise else objective <= value)
    return None


class _Best(cp_model.CpSolverSolutionCallback):
    """Remembers the objective of the best schedule the search has found so far."""

    def __init__(self) -> None:
        super().__init__()
        self.best: float | None = None

    def on_solution_callback(self) -> None:
        self.best = self.objective_value


def _watched(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    prover: maxsat.Prover | None,
    race: bool,
) -> cp_model.CpSolverStatus:
    """``solver.solve(model)``, stopped early when the prover beside it has finished, or (in a
    race on breaks) has proven a bound the best schedule so far already meets."""
    if prover is None:
        return solver.solve(model)
    best = _Best()
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(0.2):
            prover.wait(0)
            proven = race and best.best is not None and prover.bound >= best.best
            if prover.slots is not None or proven:
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return solver.solve(model, best)
    finally:
        finished.set()
        watcher.join()


def _take_proof(instance: Instance, run: _Run, placing: Status) -> None:
    """Take what MaxSAT has proven: its bound, and its schedule when finished and better.
    When the schedule in hand meets the bound, it is optimal if the placing phases were."""
    prover = run.prover
    if prover is None:
        return
    prover.wait(0)
    run.bound = max(run.bound, prover.bound)
    if prover.slots is not None and check(instance, prover.slots).valid:
        mine = check(instance, run.slots)
        if not mine.valid or check(instance, prover.slots).total_breaks < mine.total_breaks:
            run.slots, run.found = prover.slots, True
    if _meets_bound(instance, run):
        run.status = placing


def _own_bests(
    instance: Instance,
    built: Model,
    gaps: Mapping[int, list[cp_model.IntVar]],
    run: _Run,
) -> Status | None:
    """Bound each participant's breaks by its own best, then look for everyone at their best
    at once: found, the schedule is optimal; provably impossible, the bound rises by one. Then
    core-guided MaxSAT proves what it can (often the optimum itself), and a phase that keeps as
    many participants at their best as it can (the fewest who must give way, a lower bound of
    its own) gives the later searches a close start; what it proved is kept in ``run.bests``.
    That phase runs two full searches: they prove the fewest far sooner than one search with
    local-search helpers (tic-13crafc: at least 3 give way, against 1). Returns
    ``infeasible`` when that phase proves no schedule places every meeting."""
    best = bounds.own_bests(instance)
    run.bound = max(run.bound, sum(best.values()))
    seconds = (run.deadline - time.perf_counter()) * _TARGET_SHARE
    found = bounds.everyone_at_best(instance, best, replace(run.options, time_limit=seconds))
    if found:
        run.slots = found
        return None
    if found is False:
        run.bound += 1
    # From here RC2 proves beside CP-SAT (which keeps its workers: with one, it has no
    # large-neighbourhood search and finds far worse schedules).
    left = run.deadline - time.perf_counter()
    least, most = _MAXSAT_SHARES
    run.prover = maxsat.Prover(instance, min(left * most, max(left * least, _MAXSAT_SECONDS)))
    held = bounds.add_patterns(built, instance, best, soft=True)
    for participant, least in best.items():
        away = 1 - held[participant] if participant in held else 0
        if least or participant in held:
            built.model.add(sum(gaps[participant]) >= least + away)
    if not held:
        return None
    base, status, own = run.bound, run.status, sum(best.values())
    run.bound = 0
    floor = 1 if found is False else 0
    away_count = _Bests(best, held, 0).away
    outcome = _optimise(
        built, run, away_count, False, floor=floor, share=_TARGET_SHARE, keep=False, full=True
    )
    # The fewest who give way is a means, not an answer: its status does not carry over, and
    # its proven bound (at least one, as everyone at their best is impossible) adds to the sum
    # of own bests; the best of that and the bounds before stands.
    if outcome == "infeasible":
        return outcome
    away = run.bound if outcome is None and not run.stopped else floor
    run.status, run.stopped = status, False
    run.bound = max(base, own + away)
    run.bests = _Bests(best, held, away)
    return None


def _at_bound(
    instance: Instance,
    built: Model,
    run: _Run,
    gaps: Mapping[int, list[cp_model.IntVar]],
    total: Expr,
) -> None:
    """Look for a schedule with no more breaks than the proven bound: found, it is optimal;
    proven impossible, the bound rises by one and the next bound is tried. A satisfiability
    question with the participants' patterns propagates strongly and is searched by two full
    CP-SAT workers, where the minimising search's local moves stall above the optimum
    (ticf-13crafb: 3 breaks, the bound, found 7–13 s after the question was asked; the breaks
    phase stopped at 5–8 in 55 s)."""
    if not run.found:
        return  # with no schedule in hand, "none at the bound" could mean "none at all"
    until = time.perf_counter() + (run.deadline - time.perf_counter()) * _AT_BOUND_SHARE
    while not _proven(instance, run) and until - time.perf_counter() > 0.1:
        built.hint(run.slots)
        trial = built.model.clone()
        trial.clear_objective()  # type: ignore[no-untyped-call]
        trial.add(total <= run.bound)
        if run.bests is not None:
            _within(trial, run.bests, gaps, run.bound)
        solver = solver_for(run.options, until - time.perf_counter(), full=True)
        code = _watched(solver, trial, run.prover, False)
        if code == cp_model.INFEASIBLE:
            run.bound += 1
        elif code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            run.slots = built.slots(solver, len(run.slots))
        else:
            return


def _within(
    model: cp_model.CpModel,
    bests: _Bests,
    gaps: Mapping[int, list[cp_model.IntVar]],
    bound: int,
) -> None:
    """What a schedule with at most ``bound`` breaks implies, stated for the search: each
    participant away from its best has a break more, so at most ``bound − own`` are away; and
    as at least ``away_least`` of them are, one participant's breaks exceed its best by at most
    the slack ``bound − own − away_least`` (plus the one it gives way, when it is held). Stated,
    ticf-13crafb's schedule at the bound is found in 11–12 s (three seeds) against 26–47 s."""
    slack = bound - bests.own - bests.away_least
    model.add(bests.away <= bound - bests.own)
    for participant, least in bests.best.items():
        if gaps[participant]:
            extra = slack + (1 if participant in bests.held else 0)
            model.add(cp_model.LinearExpr.sum(gaps[participant]) <= least + extra)


def _gaps(built: Model, participant: int, exact: bool) -> list[cp_model.IntVar]:
    """The gap literals of one participant: busy in ``s``, free in ``s + 1``, busy again
    later. Minimising their sum sets each to its true value; ``exact`` also forbids a gap
    that is not there (needed when the fairness bound could profit from a phantom break)."""
    model, busy = built.model, built.busy[participant]
    slots = sorted(busy)
    later: dict[int, cp_model.IntVar] = {}
    for index in range(len(slots) - 1, -1, -1):
        slot = slots[index]
        if index == len(slots) - 1:
            later[slot] = busy[slot]
        else:
            var = built.derive(model.new_bool_var(""), participant, partial(_later, slot))
            model.add_max_equality(var, [busy[slot], later[slots[index + 1]]])
            later[slot] = var
    gaps = []
    for slot in slots:
        after = next((later[s] for s in slots if s >= slot + 2), None)
        if after is None:
            continue
        gap = built.derive(model.new_bool_var(""), participant, partial(_gap, slot))
        free_next = [busy[slot + 1]] if slot + 1 in busy else []
        model.add_bool_or([busy[slot].Not(), after.Not(), gap, *free_next])
        if exact:
            model.add_implication(gap, busy[slot])
            model.add_implication(gap, after)
            for var in free_next:
                model.add_implication(gap, var.Not())
        gaps.append(gap)
    return gaps


def _later(slot: int, busy: set[int]) -> bool:
    return any(s >= slot for s in busy)


def _gap(slot: int, busy: set[int]) -> bool:
    return slot in busy and slot + 1 not in busy and _later(slot + 2, busy)


def _placed_in(instance: Instance, slots: Sequence[int | None], phase: str) -> int:
    """How many meetings ``slots`` places: for the priority phase, optional priority ones
    (the phase's objective; required ones are placed anyway)."""
    return sum(
        1 for m, slot in enumerate(slots) if slot is not None and _counts(instance, m, phase)
    )


def _counts(instance: Instance, m: int, phase: str) -> bool:
    meeting = instance.meetings[m]
    return phase != "priority" or (meeting.priority and not meeting.must_place)


def _at_ceiling(instance: Instance, slots: Sequence[int | None], phase: str) -> bool:
    """Whether the schedule in hand already places as many meetings as any could — every
    priority meeting, or every meeting or as many as tables × slots — so the placing phase
    is proven without a search (a large event's greedy start often is; the model is then
    spared a search it cannot finish)."""
    if phase == "priority":
        wanted = sum(_counts(instance, m, phase) for m in range(len(instance.meetings)))
        return _placed_in(instance, slots, phase) == wanted
    if phase == "placed":
        ceiling = min(len(instance.meetings), instance.tables * instance.slots)
        return _placed_in(instance, slots, phase) >= ceiling
    return False


def _phases(
    instance: Instance, built: Model, previous: Mapping[int, Placement]
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
    return phases


def _fair(
    model: cp_model.CpModel,
    instance: Instance,
    busy: Mapping[int, Busy],
    gaps: Mapping[int, list[cp_model.IntVar]],
    fairness: int,
) -> None:
    """Largest minus smallest breaks over the participants who meet ≤ ``fairness``."""
    most = model.new_int_var(0, instance.slots, "most_breaks")
    least = model.new_int_var(0, instance.slots, "least_breaks")
    for participant, slots in busy.items():
        breaks = cp_model.LinearExpr.sum(gaps[participant])
        meetings = instance.by_participant[participant]
        model.add(breaks <= most)
        if all(instance.meetings[m].must_place for m in meetings):
            model.add(breaks >= least)
        else:
            meets = model.new_bool_var("")
            model.add_max_equality(meets, list(slots.values()))
            model.add(breaks >= least).only_enforce_if(meets)
    model.add(most - least <= fairness)


def _proven(instance: Instance, run: _Run) -> bool:
    """Whether the schedule in hand is already proven optimal: every phase before was, it is
    valid and within the fairness bound, and its breaks meet the lower bound."""
    return run.status == "optimal" and _meets_bound(instance, run)


def _meets_bound(instance: Instance, run: _Run) -> bool:
    """Whether the schedule in hand places every meeting, is valid and fair, and has no more
    breaks than the proven bound."""
    if any(s is None for s in run.slots):
        return False
    found = check(instance, run.slots)
    fair = _fair_enough(instance, run.slots, run.options.fairness)
    return found.valid and fair and found.total_breaks <= run.bound


def _fair_enough(instance: Instance, slots: Sequence[int | None], fairness: int | None) -> bool:
    """Whether ``slots`` keeps the fairness bound over the participants who meet."""
    if fairness is None:
        return True
    found = check(instance, slots)
    meeting = {p for m, s in enumerate(slots) if s is not None for p in _pair(instance, m)}
    breaks = [found.breaks[p - 1] for p in meeting]
    return not breaks or max(breaks) - min(breaks) <= fairness


def _pair(instance: Instance, m: int) -> tuple[int, int]:
    return instance.meetings[m].first, instance.meetings[m].second


def _hint(instance: Instance, previous: Mapping[int, Placement]) -> list[int | None]:
    """A first solution to start from: the published slots when re-scheduling, else greedy."""
    if previous:
        return [p.slot if (p := previous.get(m)) else None for m in range(len(instance.meetings))]
    return first_fit(instance).slots


def _with_required(instance: Instance, previous: Mapping[int, Placement]) -> Instance:
    meetings = tuple(
        replace(meeting, required=True) if m in previous else meeting
        for m, meeting in enumerate(instance.meetings)
    )
    return replace(instance, meetings=meetings)


def _give_up(instance: Instance, run: _Run, status: Status, seconds: float) -> Schedule:
    """No schedule: proven impossible (``infeasible``), or none found in time (``unknown``:
    the greedy start, which may leave required meetings out, is all there is)."""
    slots = run.slots if status == "unknown" else [None] * len(instance.meetings)
    return finish(
        instance,
        slots,
        status=status,
        bound=0,
        most=0 if status == "infeasible" else len(instance.meetings),
        seconds=seconds,
        solver="CP-SAT",
    )
