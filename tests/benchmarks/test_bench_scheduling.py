"""The scheduling benchmark's pieces on small inputs: rows, honesty about infeasible
instances, and the loud failure on an invalid schedule."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from benchmarks.bench_scheduling import measure_instance, render_original, render_variants, verified

from clusterhub.scheduling.greedy import first_fit
from clusterhub.scheduling.instance import Instance, Meeting
from clusterhub.scheduling.schedule import Placement

# meeting 1 (afternoon only) must come before meeting 2 (morning only): no schedule exists
INFEASIBLE = """nBusiness = 4;
nMeetings = 2;
nTables = 2;
nTotalSlots = 4;
nMorningSlots = 2;
requested = [| 1, 2, 2
             | 3, 4, 1 |];
forbidden = [{}, {}, {}, {}];
fixed = [0, 0];
precedences = [{2}, {}];
"""


def test_a_real_instance_gives_a_checked_row_with_the_greedy_baseline(shared_data: Path) -> None:
    row = measure_instance(shared_data / "b2b" / "tic-12.original.dzn", 5, greedy=True)
    assert (row.name, row.meetings, row.scheduled) == ("tic-12.original", 125, 125)
    assert row.complete and row.greedy_unscheduled and row.greedy_unscheduled > 0
    text = render_original([row], None, 60)
    assert "| tic-12.original | 42 | 125 |" in text and "Met on" in text


def test_an_infeasible_instance_is_reported_not_crashed(tmp_path: Path) -> None:
    path = tmp_path / "tiny.prec15.dzn"
    path.write_text(INFEASIBLE, encoding="utf-8")
    row = measure_instance(path, 5, greedy=False)
    assert row.status == "infeasible" and not row.complete
    text = render_variants([row], 20)
    assert "| tiny.prec15 | 2 | infeasible | NO | 0 | – | – | – |" in text
    assert "meeting 1 (afternoon, slots 3-4) must precede meeting 2 (morning, slots 1-2)" in text
    assert "Proven infeasible by CP-SAT (tiny.prec15)" in text


def test_an_invalid_schedule_stops_the_benchmark() -> None:
    instance = Instance(3, 1, 2, 2, (Meeting(1, 2), Meeting(1, 3)))
    schedule = first_fit(instance)
    clash = replace(schedule, placements=(Placement(1, 1), Placement(1, 1)))
    with pytest.raises(AssertionError, match="INVALID"):
        verified(instance, clash, "a clash")
