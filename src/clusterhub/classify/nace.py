"""The NACE Rev.2 hierarchy: sections, divisions, groups and classes, and their spellings.

Statistics name the same NACE code in several ways (Eurostat SBS writes ``C20`` and ``G451``,
correspondence tables write ``20.11``, some files drop the dot), while the engine joins on one
spelling. :meth:`NaceHierarchy.normalise` turns every accepted spelling into the dotted form of
the official list, so a join never fails silently on spelling alone.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, read_rows

#: Levels of the hierarchy, named as in the official structure.
SECTION, DIVISION, GROUP, CLASS = 1, 2, 3, 4

_REQUIRED = ("nace2", "Name", "Level", "Parent")
_DIGITS = re.compile(r"^([A-Z])?(\d{2})(?:\.?(\d{1,2}))?$")
_EXPECTED = (
    "expected a NACE Rev.2 section letter (A-U), division '20', group '20.1' or class '20.11' "
    "(Eurostat spellings such as 'C20', 'G451', '2011' and 'C2011' are accepted)"
)


@dataclass(frozen=True, eq=False)
class NaceHierarchy:
    """NACE Rev.2 codes with their names, levels and parents.

    ``frame`` has one row per code: ``code`` (dotted official form), ``name``, ``level``
    (1 section .. 4 class) and ``parent`` (null for sections). Lookups accept any spelling that
    :meth:`normalise` accepts.
    """

    frame: pl.DataFrame
    _name: dict[str, str] = field(init=False, repr=False)
    _level: dict[str, int] = field(init=False, repr=False)
    _parent: dict[str, str | None] = field(init=False, repr=False)
    _children: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rows = self.frame.select("code", "name", "level", "parent").rows()
        children: dict[str, list[str]] = {code: [] for code, *_ in rows}
        for code, _, _, parent in rows:
            if parent is not None:
                children[parent].append(code)
        object.__setattr__(self, "_name", {code: name for code, name, _, _ in rows})
        object.__setattr__(self, "_level", {code: level for code, _, level, _ in rows})
        object.__setattr__(self, "_parent", {code: parent for code, _, _, parent in rows})
        object.__setattr__(self, "_children", children)

    def normalise(self, code: str) -> str:
        """Return the official dotted spelling of ``code``.

        Parameters
        ----------
        code
            A section letter (``"C"``), a division, group or class with or without the dot
            (``"20"``, ``"20.1"``, ``"201"``, ``"20.11"``, ``"2011"``), optionally prefixed by
            its section letter as Eurostat does (``"C20"``, ``"G451"``, ``"C2011"``).

        Returns
        -------
        str
            ``"C"``, ``"20"``, ``"20.1"`` or ``"20.11"``.

        Raises
        ------
        InvalidInput
            If the code is not in NACE Rev.2, or its section letter does not contain it; the
            message names the code, what was expected and, when one exists, a close match.
        """
        text = code.strip().upper()
        candidate = text
        section = None
        match = _DIGITS.match(text)
        if match:
            section, division, rest = match.groups()
            candidate = division if rest is None else f"{division}.{rest}"
        if candidate not in self._level:
            raise InvalidInput.single(
                f"unknown NACE Rev.2 code; {_EXPECTED}{self._suggestion(candidate)}",
                field="nace",
                value=code,
            )
        if section is not None and self.ancestor_at(candidate, SECTION) != section:
            raise InvalidInput.single(
                f"NACE {candidate} is in section {self.ancestor_at(candidate, SECTION)}, "
                f"not {section}; {_EXPECTED}",
                field="nace",
                value=code,
            )
        return candidate

    def _suggestion(self, candidate: str) -> str:
        """Point at the nearest real codes: the children of a known prefix, else a look-alike."""
        for prefix in (candidate[:4], candidate[:2]):
            if prefix != candidate and prefix in self._children and self._children[prefix]:
                return f"; {prefix} contains {', '.join(self._children[prefix])}"
        close = difflib.get_close_matches(candidate, list(self._level), n=1, cutoff=0.75)
        return f"; did you mean '{close[0]}' ({self._name[close[0]]})?" if close else ""

    def contains(self, code: str) -> bool:
        """Whether ``code``, in any accepted spelling, is a NACE Rev.2 code (never raises)."""
        try:
            self.normalise(code)
        except InvalidInput:
            return False
        return True

    def name(self, code: str) -> str:
        """Official English title of ``code``."""
        return self._name[self.normalise(code)]

    def level(self, code: str) -> int:
        """1 for a section, 2 division, 3 group, 4 class."""
        return self._level[self.normalise(code)]

    def parent(self, code: str) -> str | None:
        """The code one level up, or ``None`` for a section."""
        return self._parent[self.normalise(code)]

    def ancestor_at(self, code: str, level: int) -> str:
        """The code at ``level`` that contains ``code`` (``code`` itself at its own level).

        Raises
        ------
        InvalidInput
            If ``level`` is finer than the code's own level: a division has no single class.
        """
        current = self.normalise(code)
        if not SECTION <= level <= self._level[current]:
            raise InvalidInput.single(
                f"NACE {current} is at level {self._level[current]}; expected a level from "
                f"{SECTION} to {self._level[current]}",
                field="level",
                value=str(level),
            )
        while self._level[current] > level:
            parent = self._parent[current]
            assert parent is not None  # only sections lack a parent, and they are level 1
            current = parent
        return current

    def children(self, code: str) -> list[str]:
        """Codes one level down, in official order (empty for a class)."""
        return list(self._children[self.normalise(code)])

    def classes_under(self, code: str) -> list[str]:
        """All classes (level 4) within ``code``; a class gives itself."""
        pending = [self.normalise(code)]
        classes: list[str] = []
        while pending:
            current = pending.pop(0)
            if self._level[current] == CLASS:
                classes.append(current)
            pending.extend(self._children[current])
        return classes

    def codes(self, level: int) -> list[str]:
        """Every code at ``level``, in official order."""
        return [code for code, lvl in self._level.items() if lvl == level]


def load_nace(path: Path) -> NaceHierarchy:
    """Read the NACE Rev.2 structure from the Eurostat correspondence CSV.

    Parameters
    ----------
    path
        CSV with columns ``nace2, Name, Level, Parent`` (others are ignored); ``NA`` marks
        an empty cell, as in the Eurostat export.

    Returns
    -------
    NaceHierarchy

    Raises
    ------
    InvalidInput
        If columns are missing, a level is not 1-4, a code is repeated or a parent is unknown;
        every defect is listed with its line.
    """
    problems = ProblemList()
    file = read_rows(path, problems=problems, expected=", ".join(_REQUIRED))
    missing = [c for c in _REQUIRED if c not in file.header]
    if missing:
        raise InvalidInput.single(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(_REQUIRED)}",
            file=str(path),
            line=1,
        )
    rows: list[tuple[int, str, str, int, str | None]] = []
    for line, row in ((r.line, dict(zip(file.header, r.cells, strict=True))) for r in file.rows):
        level = row["Level"].strip()
        if level not in {"1", "2", "3", "4"}:
            problems.append(Problem("expected a level 1-4", str(path), line, "Level", level))
            continue
        parent = row["Parent"].strip()
        code, name = row["nace2"].strip(), row["Name"].strip()
        rows.append((line, code, name, int(level), None if parent in {"", "NA"} else parent))
    problems.extend(_structure_problems(rows, path))
    problems.raise_if_any(f"{path}: not a usable NACE Rev.2 structure")
    frame = pl.DataFrame(
        [row[1:] for row in rows],
        schema={"code": pl.String, "name": pl.String, "level": pl.Int8, "parent": pl.String},
        orient="row",
    )
    return NaceHierarchy(frame)


def _structure_problems(
    rows: list[tuple[int, str, str, int, str | None]], path: Path
) -> list[Problem]:
    """Repeated codes, unknown parents and parents at the wrong level, each with its line."""
    levels = {code: level for _, code, _, level, _ in rows}
    seen: set[str] = set()
    problems = []
    for line, code, _, level, parent in rows:
        if code in seen:
            problems.append(Problem("code repeated", str(path), line, "nace2", code))
        seen.add(code)
        if level == SECTION and parent is not None:
            message = "a section has no parent; expected NA"
        elif level > SECTION and levels.get(parent or "") != level - 1:
            message = f"expected the code of a level-{level - 1} parent"
        else:
            continue
        problems.append(Problem(message, str(path), line, "Parent", parent))
    return problems
