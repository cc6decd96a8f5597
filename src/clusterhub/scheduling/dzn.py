"""Read the MiniZinc data files of the B2B scheduling benchmark (Bofill et al., JAIR 2022).

The layout (see ``../shared/README.md``): ``nBusiness``, ``nMeetings``, ``nTables``,
``nTotalSlots``, ``nMorningSlots``; ``requested = [| p1, p2, session | ...|]`` with session 1
morning, 2 afternoon, 3 any; ``forbidden = [{slots}, ...]`` per participant (``{0}`` or ``{}``
none); ``fixed = [slot, ...]`` per meeting (0 free); ``precedences = [{meetings}, ...]`` per
meeting: the meetings that meeting must come before. Slots and meetings are numbered from 1 in
the file. In these instances every meeting must be scheduled, so all are read as required.
Every defect is reported with the file, the line and the field, all at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from clusterhub.errors import InvalidInput, Problem
from clusterhub.scheduling.instance import Instance, Meeting, Session


class _Fail(Protocol):
    """Records a defect of ``field`` (the file and line are added)."""

    def __call__(self, message: str, field: str, value: str | None = None) -> None: ...


_SESSIONS: dict[int, Session] = {1: "morning", 2: "afternoon", 3: "any"}
_SCALARS = ("nBusiness", "nMeetings", "nTables", "nTotalSlots", "nMorningSlots")
_ITEM = re.compile(r"(\w+)\s*=\s*(.*?);", re.S)


def read_dzn(path: str | Path) -> Instance:
    """The instance in ``path``; ``InvalidInput`` naming every defect."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    items = {
        m.group(1): (m.group(2), text.count("\n", 0, m.start()) + 1) for m in _ITEM.finditer(text)
    }
    problems: list[Problem] = []

    def fail(message: str, field: str, value: str | None = None) -> None:
        line = items[field][1] if field in items else None
        problems.append(Problem(message, str(path), line, field, value))

    numbers: dict[str, int] = {}
    for name in _SCALARS:
        raw = items.get(name, ("", None))[0].strip()
        if not raw.isdigit():
            fail("expected a whole number", name, raw or None)
        else:
            numbers[name] = int(raw)
    if problems:
        raise InvalidInput(problems, summary=f"{path.name}: not a B2B scheduling instance")
    people, count, slots = numbers["nBusiness"], numbers["nMeetings"], numbers["nTotalSlots"]
    meetings = _meetings(items.get("requested", ("", None))[0], people, fail)
    if len(meetings) != count:
        fail(f"expected {count} meetings (nMeetings), found {len(meetings)}", "requested")
    forbidden = _sets(items.get("forbidden", ("", None))[0], "forbidden", fail)
    if forbidden and len(forbidden) != people:
        fail(f"expected one set per participant ({people}), found {len(forbidden)}", "forbidden")
    fixed = _list(items.get("fixed", ("", None))[0], "fixed", fail)
    if fixed and len(fixed) != len(meetings):
        fail(f"expected one slot per meeting ({len(meetings)}), found {len(fixed)}", "fixed")
    precedences = _sets(items.get("precedences", ("", None))[0], "precedences", fail)
    _check_ranges(numbers, forbidden, fixed, precedences, fail)
    if problems:
        raise InvalidInput(problems, summary=f"{path.name}: not a valid B2B scheduling instance")
    meetings = [
        Meeting(m.first, m.second, m.session, (fixed[i] or None) if fixed else None, required=True)
        for i, m in enumerate(meetings)
    ]
    return Instance(
        participants=people,
        tables=numbers["nTables"],
        slots=slots,
        morning_slots=numbers["nMorningSlots"],
        meetings=tuple(meetings),
        forbidden=tuple(frozenset(v for v in s if v) for s in forbidden),
        precedences=tuple((m, j - 1) for m, s in enumerate(precedences) for j in sorted(s) if j),
    )


def _check_ranges(
    numbers: dict[str, int],
    forbidden: list[set[int]],
    fixed: list[int],
    precedences: list[set[int]],
    fail: _Fail,
) -> None:
    slots, count = numbers["nTotalSlots"], numbers["nMeetings"]
    if numbers["nMorningSlots"] > slots:
        fail(f"expected at most nTotalSlots ({slots})", "nMorningSlots")
    for name, sets, top in (("forbidden", forbidden, slots), ("precedences", precedences, count)):
        for values in sets:
            if any(v < 0 or v > top for v in values):
                fail(f"expected numbers from 1 to {top}", name, str(sorted(values)))
    if any(v < 0 or v > slots for v in fixed):
        fail(f"expected slots from 1 to {slots} (0 = free)", "fixed")


def _meetings(raw: str, people: int, fail: _Fail) -> list[Meeting]:
    body = raw.strip().removeprefix("[").removesuffix("]").strip().strip("|")
    meetings = []
    for number, row in enumerate((r for r in body.split("|") if r.strip()), start=1):
        where, text = f"meeting {number}: expected", row.strip()
        values = [v for v in re.split(r"[\s,]+", text) if v]
        if len(values) != 3 or not all(v.isdigit() for v in values):
            fail(f"{where} participant, participant, session", "requested", text)
            continue
        a, b, session = (int(v) for v in values)
        if not (1 <= a <= people and 1 <= b <= people) or a == b:
            fail(f"{where} two different participants from 1 to {people}", "requested", text)
        elif session not in _SESSIONS:
            fail(f"{where} session 1 (morning), 2 (afternoon) or 3 (any)", "requested", text)
        else:
            meetings.append(Meeting(a, b, _SESSIONS[session]))
    return meetings


def _sets(raw: str, field: str, fail: _Fail) -> list[set[int]]:
    if not raw.strip():
        return []
    found = re.findall(r"\{([^}]*)\}", raw)
    sets = []
    for body in found:
        values = [v.strip() for v in body.split(",") if v.strip()]
        if not all(v.isdigit() for v in values):
            fail("expected sets of whole numbers", field, "{" + body + "}")
            continue
        sets.append({int(v) for v in values})
    return sets


def _list(raw: str, field: str, fail: _Fail) -> list[int]:
    values = [v for v in re.split(r"[\s,\[\]]+", raw) if v]
    if not all(v.isdigit() for v in values):
        fail("expected a list of whole numbers", field)
        return []
    return [int(v) for v in values]
