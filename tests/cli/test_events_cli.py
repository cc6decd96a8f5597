"""``clusterhub events solve INSTANCE.dzn``: the research interface, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.scheduling.dzn import read_dzn
from clusterhub.scheduling.validate import check

runner = CliRunner()
REQUIRED = ["status", "breaks", "bound", "seconds", "meetings"]


def _revalidate(path: Path, answer: dict[str, object]) -> tuple[list[int | None], bool]:
    """The answer's 1-based rows read back into 0-based slots and re-checked."""
    instance = read_dzn(path)
    slots: list[int | None] = [None] * len(instance.meetings)
    tables: list[int | None] = [None] * len(instance.meetings)
    for row in answer["meetings"]:  # type: ignore[attr-defined]
        slots[row["meeting"] - 1], tables[row["meeting"] - 1] = row["slot"], row["table"]
    return slots, check(instance, slots, tables).valid


def test_solve_writes_a_valid_one_based_schedule(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "b2b" / "tic-12.original.dzn"
    out = tmp_path / "schedule.json"
    result = runner.invoke(
        app, ["events", "solve", str(source), "--time-limit", "8", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(out.read_text())
    assert list(answer)[:5] == REQUIRED
    assert {"scheduled", "gap", "solver", "unscheduled"} <= set(answer)
    assert answer["status"] in ("optimal", "feasible") and answer["solver"] == "CP-SAT"
    assert answer["scheduled"] == 125 and answer["unscheduled"] == []
    assert sorted(row["meeting"] for row in answer["meetings"]) == list(range(1, 126))
    assert all(set(row) == {"meeting", "slot", "table"} for row in answer["meetings"])
    instance = read_dzn(source)
    assert {row["slot"] for row in answer["meetings"]} <= set(range(1, instance.slots + 1))
    assert {row["table"] for row in answer["meetings"]} <= set(range(1, instance.tables + 1))
    slots, valid = _revalidate(source, answer)
    assert valid
    assert answer["breaks"] == check(instance, slots).total_breaks >= answer["bound"] >= 0
    assert "125 of 125 meetings" in result.output


def test_greedy_reports_the_meetings_it_left_out_with_reasons(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "b2b" / "tic-12.original.dzn"
    out = tmp_path / "greedy.json"
    result = runner.invoke(app, ["events", "solve", str(source), "--greedy", "--out", str(out)])
    assert result.exit_code == 0, result.output
    answer = json.loads(out.read_text())
    assert answer["solver"] == "greedy first-fit"
    left = answer["unscheduled"]
    assert left and answer["status"] == "infeasible"  # every meeting of the file is required
    assert answer["scheduled"] + len(left) == 125
    assert all(row["reason"] and 1 <= row["meeting"] <= 125 for row in left)
    slots, _ = _revalidate(source, answer)
    assert [m + 1 for m, s in enumerate(slots) if s is None] == [r["meeting"] for r in left]


def test_a_broken_file_is_named_with_its_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short relative names, so no message is wrapped by the console's width.
    monkeypatch.chdir(tmp_path)
    bad = Path("bad.dzn")
    bad.write_text("nBusiness = 3;\nnMeetings = 1;\nnTables = two;\n", encoding="utf-8")
    out = Path("never.json")
    result = runner.invoke(app, ["events", "solve", str(bad), "--out", str(out)])
    assert result.exit_code == 1  # the CLI's code for input the user can fix
    assert f"{bad}:3" in result.output and "'nTables'" in result.output
    assert "Traceback" not in result.output and not out.exists()
    bad.write_bytes(b"nBusiness = \xff;\n")
    result = runner.invoke(app, ["events", "solve", str(bad), "--out", str(out)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
    missing = runner.invoke(app, ["events", "solve", "no.dzn", "--out", str(out)])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_proven_infeasible_instance_says_why(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "schedule.json"
    source = shared_data / "b2b" / "tic-12.forb0003.dzn"
    command = ["events", "solve", str(source), "--time-limit", "20", "--out", str(out)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    answer = json.loads(out.read_text(encoding="utf-8"))
    assert answer["status"] == "infeasible" and answer["meetings"] == []
    assert answer["why_infeasible"].startswith("participant 1 must hold meetings")
    assert "no schedule exists: participant 1 must hold" in " ".join(result.output.split())
