"""Descriptions of NACE Rev.2 classes in words people use, for matching free text to codes.

A class's official title is short and abstract ("Production of electricity"); a region's
priority says "offshore wind energy". Two official texts bridge them, and both ship with
clusterhub already:

* the titles of the NAICS 2017 industries Eurostat's correspondence links to the class
  ("Wind Electric Power Generation", "Solar Electric Power Generation" → 35.11), and
* the "This class also includes" notes of the NACE structure file.

The correspondence's notes ("except solar, wind ...") and the NACE "excludes" notes are left
out on purpose: they name what a class is *not*, and a word matcher would read them as what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clusterhub.classify.nace import CLASS, NaceHierarchy
from clusterhub.input_files import ProblemList, read_rows

_ALSO = re.compile(r"^This (?:class|group|division|section) also includes:?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class NaceText:
    """What a class is called and what else describes it (NAICS titles, "also includes")."""

    code: str
    name: str
    naics_titles: tuple[str, ...]
    also_includes: tuple[str, ...]

    def text(self) -> str:
        """One paragraph: the title, then the industry titles, then the notes."""
        parts = [self.name, "; ".join(self.naics_titles), "; ".join(self.also_includes)]
        return ". ".join(p for p in parts if p)


def load_nace_texts(
    nace_path: Path, crosswalk_path: Path, nace: NaceHierarchy
) -> dict[str, NaceText]:
    """The text of every NACE class, from the NACE structure CSV (``Include_Also``) and the
    NAICS 2017 → NACE Rev.2 correspondence (NAICS titles), both as ``datasets`` ships them.

    Raises
    ------
    InvalidInput
        If either file is damaged (the strict reader's problems, with their lines).
    """
    problems = ProblemList()
    structure = read_rows(nace_path, problems=problems, expected="nace2, Name, ..., Include_Also")
    links = read_rows(
        crosswalk_path, problems=problems, expected="NAICS 2017, NACE Rev. 2, ...", by_position=True
    )
    problems.raise_if_any("the NACE texts cannot be read")
    also: dict[str, tuple[str, ...]] = {}
    if "Include_Also" in structure.header:
        column = structure.header.index("Include_Also")
        for row in structure.rows:
            note = row.cells[column].strip()
            if note and note != "NA":
                items = _ALSO.sub("", note).split(" - ")
                also[row.cells[0].strip()] = tuple(i.strip(" -") for i in items if i.strip(" -"))
    titles: dict[str, list[str]] = {}
    for row in links.rows:
        if len(row.cells) > 3 and nace.contains(row.cells[1]):
            code = nace.normalise(row.cells[1])
            title = row.cells[3].strip()
            if title and title not in titles.setdefault(code, []):
                titles[code].append(title)
    return {
        code: NaceText(code, nace.name(code), tuple(titles.get(code, ())), also.get(code, ()))
        for code in nace.codes(CLASS)
    }
