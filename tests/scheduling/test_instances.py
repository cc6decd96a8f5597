"""The B2B instance reader on the real benchmark files, its errors, and the validator."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterhub.errors import InvalidInput
from clusterhub.scheduling.dzn import read_dzn
from clusterhub.scheduling.instance import Instance, Meeting
from clusterhub.scheduling.validate import breaks_of, check


@pytest.fixture(scope="module")
def b2b(shared_data: Path) -> Path:
    return shared_data / "b2b"


def test_every_benchmark_instance_reads_with_its_declared_sizes(b2b: Path) -> None:
    files = sorted(b2b.glob("*.dzn"))
    assert len(files) == 140
    for path in files:
        instance = read_dzn(path)
        text = path.read_text()
        assert f"nMeetings = {len(instance.meetings)};" in text
        assert 42 <= instance.participants <= 78 and instance.morning_slots <= instance.slots
    forum = read_dzn(b2b / "forum-13.original.dzn")
    assert (forum.participants, len(forum.meetings), forum.tables) == (70, 154, 14)
    assert (forum.slots, forum.morning_slots) == (21, 13)
    assert (
        forum.meetings[0] == Meeting(1, 2, "morning", required=True)
        and forum.meetings[9].session == "afternoon"
    )
    fixed = read_dzn(b2b / "forum-13.fixed020-Forb.dzn")
    assert fixed.meetings[8].fixed_slot == 1 and fixed.meetings[0].fixed_slot is None
    assert fixed.allowed_slots(8) == [1]
    forbidden = read_dzn(b2b / "forum-13.forb0003.dzn")
    assert forbidden.unavailable(1) == {19} and 19 not in forbidden.allowed_slots(0)
    assert read_dzn(b2b / "forum-13.prec15.dzn").precedences[:1] == ((3, 8),)


def test_a_broken_file_names_every_defect_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.dzn"
    path.write_text(
        "nBusiness = 3;\nnMeetings = 2;\nnTables = 1;\nnTotalSlots = 4;\nnMorningSlots = 2;\n"
        "requested = [|1, 2,1, \n|1, 1,4, \n|];\nfixed = [0,7];\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as error:
        read_dzn(path)
    problems = [(p.field, p.line, p.message) for p in error.value.problems]
    assert (
        "requested",
        6,
        "meeting 2: expected two different participants from 1 to 3",
    ) in problems
    assert ("requested", 6, "expected 2 meetings (nMeetings), found 1") in problems
    assert ("fixed", 9, "expected one slot per meeting (1), found 2") in problems
    path.write_text("nBusiness = x;\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a B2B scheduling instance"):
        read_dzn(path)


TINY = Instance(
    participants=3,
    tables=1,
    slots=4,
    morning_slots=2,
    meetings=(Meeting(1, 2, "morning"), Meeting(1, 3, "any"), Meeting(2, 3, "afternoon", 4)),
    forbidden=(frozenset(), frozenset({3}), frozenset()),
)


def test_breaks_count_gaps_not_their_length() -> None:
    assert breaks_of([]) == breaks_of([5]) == breaks_of([2, 3, 4]) == 0
    assert breaks_of([1, 4]) == breaks_of([1, 9]) == 1
    assert breaks_of([1, 3, 4, 6]) == 2


def test_a_valid_schedule_passes_with_its_breaks() -> None:
    result = check(TINY, [1, 3, 4], [1, 1, 1])
    assert result.valid and result.unscheduled == ()
    assert result.breaks == (1, 1, 0)  # participant 1: slots 1 and 3; 2: 1 and 4; 3: 3, 4
    assert check(TINY, [2, None, 4]).unscheduled == (1,)


@pytest.mark.parametrize(
    ("slots", "tables", "expected"),
    [
        ([3, 2, 4], None, "meeting 1 in slot 3: outside its session (morning)"),
        ([1, 3, 1], None, "meeting 3 in slot 1: outside its session (afternoon)"),
        ([1, 2, 3], None, "fixed at slot 4"),
        ([1, 1, 4], None, "participant 1 has two meetings in slot(s) [1]"),
        ([1, 1, 4], None, "slot 1 holds 2 meetings for 1 tables"),
        ([1, 3, 4], [1, 2, 1], "meeting 2: table 2 is not 1 to 1"),
        ([5, 3, 4], None, "not a slot (1 to 4)"),
        ([1, 2], None, "2 slots given for 3 meetings"),
    ],
)
def test_each_violation_is_caught(
    slots: list[int | None], tables: list[int | None] | None, expected: str
) -> None:
    result = check(TINY, slots, tables)
    assert not result.valid
    assert any(expected in v for v in result.violations), result.violations


def test_an_unavailable_participant_is_named() -> None:
    busy = Instance(3, 2, 4, 2, (Meeting(2, 3, "any"),), (frozenset(), frozenset({3}), frozenset()))
    assert check(busy, [3]).violations == (
        "meeting 1 in slot 3: participant 2 is not available then",
    )
