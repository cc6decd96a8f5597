"""The CP-SAT model every scheduling search shares: where each meeting may go and the hard
constraints (one slot per meeting, one meeting per participant and slot, tables per slot,
precedences), with each participant's busy literal per slot. The exact solver adds the breaks
and its objectives; the bounds check adds the patterns of participants at their own best.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from ortools.sat.python import cp_model

from clusterhub.scheduling.instance import Instance

Expr = cp_model.LinearExpr | cp_model.IntVar | int
Busy = dict[int, cp_model.IntVar]
Rule = Callable[[set[int]], bool]
Derived = tuple[cp_model.IntVar, int, Rule]


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
class Model:
    """A CP-SAT model of an instance: the placement variables and each participant's busy
    slots (a literal per slot it could meet in)."""

    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]
    placed: list[Expr]
    busy: dict[int, Busy] = field(default_factory=dict)
    derived: list[Derived] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)

    def hint(self, slots: Sequence[int | None]) -> None:
        """Start the next search from ``slots``, every variable hinted: CP-SAT completes a
        partial hint by a search of its own, which on a large event may not finish."""
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        for (m, s), var in self.x.items():
            self.model.add_hint(var, slots[m] == s)
        busy: dict[int, set[int]] = {}
        for m, slot in enumerate(slots):
            if slot is not None:
                for participant in self.pairs[m]:
                    busy.setdefault(participant, set()).add(slot)
        for var, participant, rule in self.derived:
            self.model.add_hint(var, rule(busy.get(participant, set())))

    def derive(self, var: cp_model.IntVar, participant: int, rule: Rule) -> cp_model.IntVar:
        """Register ``var`` as a function ``rule`` of ``participant``'s busy slots (hinted)."""
        self.derived.append((var, participant, rule))
        return var

    def slots(self, solver: cp_model.CpSolver, count: int) -> list[int | None]:
        found: list[int | None] = [None] * count
        for (m, s), var in self.x.items():
            if solver.boolean_value(var):
                found[m] = s
        return found


def build(instance: Instance) -> Model:
    """The placement variables and the hard constraints every phase shares."""
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
        precede(model, x, before, after)
    built = Model(model, x, placed, pairs=[(m.first, m.second) for m in instance.meetings])
    for participant, meetings in instance.by_participant.items():
        # A participant none of whose meetings can be placed has no busy slot and no breaks.
        if meetings and (busy := busy_literals(built, instance, participant, meetings)):
            built.busy[participant] = busy
    # Implied (Bofill et al.): at most two participants per table are busy in a slot. Redundant
    # with the tables constraint on x, but stated on the busy literals it gives the linear
    # relaxation of participants' slot patterns its strength (bounds.add_patterns): it proves
    # in a third of a second that tic-13crafc has no schedule without breaks.
    for slot in range(1, instance.slots + 1):
        here = [busy[slot] for busy in built.busy.values() if slot in busy]
        if len(here) > 2 * instance.tables:
            model.add(cp_model.LinearExpr.sum(here) <= 2 * instance.tables)
    return built


def busy_literals(
    built: Model, instance: Instance, participant: int, meetings: Sequence[int]
) -> Busy:
    """A participant's busy literal per slot it could meet in (its one meeting's own
    variable when only one meeting could be there)."""
    busy: Busy = {}
    for slot in range(1, instance.slots + 1):
        here = [built.x[m, slot] for m in meetings if (m, slot) in built.x]
        if len(here) == 1:
            busy[slot] = here[0]
        elif here:
            var = built.derive(built.model.new_bool_var(""), participant, partial(_has, slot))
            built.model.add(cp_model.LinearExpr.sum(here) == var)
            busy[slot] = var
    return busy


def _has(slot: int, busy: set[int]) -> bool:
    return slot in busy


def precede(
    model: cp_model.CpModel, x: Mapping[tuple[int, int], cp_model.IntVar], before: int, after: int
) -> None:
    """``before`` in an earlier slot than ``after`` whenever both are placed."""
    for (m, s), var in x.items():
        if m != before:
            continue
        for t in range(1, s + 1):
            if (after, t) in x:
                model.add_bool_or([var.Not(), x[after, t].Not()])


def solver_for(options: Options, seconds: float, *, full: bool = False) -> cp_model.CpSolver:
    """A CP-SAT solver for ``seconds``. ``full``: every worker searches the whole problem
    (with two, one with the linear relaxation and one without) instead of one full search and
    a worker shared by local-search helpers. For a satisfiability question with strong
    propagation (the pattern check) the search without the relaxation is what settles it:
    measured, forumt-14crafe proven impossible in 0.1 s against 28 s, forum-14 and
    ticf-14crafa solved in 1–1.5 s against nothing in 60 s."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.1)
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    if full:
        solver.parameters.num_full_subsolvers = options.workers
    return solver
