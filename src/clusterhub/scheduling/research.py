"""The research interface: solve a MiniZinc instance file and answer in the benchmark's terms.

``clusterhub events solve INSTANCE.dzn`` and ``benchmarks/bench_scheduling.py`` both go
through here, so the answer a researcher reads is the one the benchmark measures. The answer
numbers meetings, slots and tables from 1, as the files do (the package numbers meetings from
0), and it is re-checked by the independent validator *from the answer itself* after the
renumbering, so neither a solver bug nor an off-by-one in the writing can publish a schedule
that breaks a constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from clusterhub.errors import InvalidInput, Problem
from clusterhub.scheduling.dzn import read_dzn
from clusterhub.scheduling.explain import why_infeasible
from clusterhub.scheduling.greedy import first_fit
from clusterhub.scheduling.instance import Instance
from clusterhub.scheduling.schedule import Schedule
from clusterhub.scheduling.validate import Check, check

#: The keys the research interface promises, in order; the others are extras.
REQUIRED_KEYS = ("status", "breaks", "bound", "seconds", "meetings")


@dataclass(frozen=True)
class Solved:
    """An instance, the schedule found for it and the answer written for people and tools."""

    instance: Instance
    schedule: Schedule
    answer: dict[str, Any]


def read_instance(path: Path) -> Instance:
    """The instance in ``path``; a file that is not UTF-8 text is bad input, not a crash."""
    try:
        return read_dzn(path)
    except UnicodeDecodeError as exc:
        raise InvalidInput.single(
            f"not UTF-8 text (byte {exc.start})", file=str(path), field="file"
        ) from None


def solve_file(
    path: Path, *, time_limit: float, fairness: int | None = None, greedy: bool = False
) -> Solved:
    """Read ``path``, schedule it (CP-SAT, or greedy first-fit when ``greedy``), and build the
    answer, re-checked (``AssertionError`` when the answer breaks a constraint). A proven
    ``infeasible`` answer says why in ``why_infeasible`` (empty when no short certificate is
    found)."""
    instance = read_instance(path)
    if greedy:
        schedule = first_fit(instance)
    else:
        from clusterhub.scheduling.exact import Options, solve  # noqa: PLC0415 (OR-Tools)

        schedule = solve(instance, Options(time_limit=time_limit, fairness=fairness))
    answer = to_answer(schedule)
    if schedule.status == "infeasible" and not greedy:  # proven: say why where a person can check
        answer["why_infeasible"] = why_infeasible(instance)
    result = recheck(instance, answer)
    if not result.valid:
        raise AssertionError(f"{schedule.solver} answer is invalid: {result.violations[:3]}")
    return Solved(instance, schedule, answer)


def to_answer(schedule: Schedule) -> dict[str, Any]:
    """The JSON answer: the required keys first, then ``scheduled``, ``gap``, ``solver`` and
    ``unscheduled`` (each left-out meeting with the reason it could not be placed)."""
    return {
        "status": schedule.status,
        "breaks": schedule.breaks,
        "bound": schedule.bound,
        "seconds": round(schedule.seconds, 3),
        "meetings": [
            {"meeting": m + 1, "slot": p.slot, "table": p.table}
            for m, p in enumerate(schedule.placements)
            if p is not None
        ],
        "scheduled": schedule.scheduled,
        "gap": round(schedule.gap, 4),
        "solver": schedule.solver,
        "unscheduled": [
            {"meeting": m + 1, "reason": schedule.reasons.get(m, "")}
            for m, p in enumerate(schedule.placements)
            if p is None
        ],
    }


def recheck(instance: Instance, answer: dict[str, Any]) -> Check:
    """Validate an answer (1-based, as written) against ``instance``.

    An ``optimal`` or ``feasible`` answer must honour every constraint, placing every
    required meeting. An ``infeasible`` or ``unknown`` one (greedy leaving a required meeting
    out, a solver out of time) is checked as far as it goes: the meetings it places must
    honour every constraint among themselves.
    """
    slots: list[int | None] = [None] * len(instance.meetings)
    tables: list[int | None] = [None] * len(instance.meetings)
    for row in answer["meetings"]:
        m = row["meeting"] - 1
        if not 0 <= m < len(instance.meetings) or slots[m] is not None:
            problem = Problem(f"meeting {row['meeting']} unknown or listed twice", field="meetings")
            raise InvalidInput([problem], summary="the answer does not fit the instance")
        slots[m], tables[m] = row["slot"], row["table"]
    if answer["status"] in ("optimal", "feasible"):
        return check(instance, slots, tables)
    placed = [m for m, s in enumerate(slots) if s is not None]
    index = {m: i for i, m in enumerate(placed)}
    part = replace(
        instance,
        meetings=tuple(instance.meetings[m] for m in placed),
        precedences=tuple(
            (index[a], index[b]) for a, b in instance.precedences if a in index and b in index
        ),
    )
    return check(part, [slots[m] for m in placed], [tables[m] for m in placed])
