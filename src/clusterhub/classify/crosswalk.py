"""NAICS 2017 → NACE Rev.2: Eurostat's many-to-many correspondence, with a prefix fallback.

Cluster definitions written in older NAICS vintages (2007, 2012) name codes the 2017 table
lacks: about a quarter of the U.S. Cluster Mapping Project's traded codes. NAICS is
hierarchical by prefix, so such a code is mapped through the longest prefix (5, 4, then 3
digits) under which the table has codes, taking the union of their NACE classes. The match
records how it was made so that a report can show which links are guesses.

The table itself has a few rows that are not 6-digit-to-class links; they are kept out of, or
adapted into, the link list and reported in :attr:`NaicsToNace.anomalies` rather than dropped
silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from clusterhub.classify.nace import CLASS, NaceHierarchy
from clusterhub.classify.naics import normalise_naics
from clusterhub.errors import InvalidInput
from clusterhub.input_files import ProblemList, read_rows

MatchHow = Literal["exact", "prefix-5", "prefix-4", "prefix-3", "none"]

#: Prefix lengths tried, in order, for a code the table lacks. Two digits (a whole sector)
#: would spread a code over dozens of unrelated classes, so the fallback stops at three.
FALLBACK_PREFIXES = (5, 4, 3)

_HEADER = ("NAICS 2017", "NACE Rev. 2")


@dataclass(frozen=True)
class NaceMatch:
    """How one NAICS code reached NACE: the classes, and through which table codes."""

    naics: str
    how: MatchHow
    via: tuple[str, ...]
    nace: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class NaicsToNace:
    """The correspondence as links (``naics, nace, line``), one row per NAICS → class link.

    ``anomalies`` lists every source row that was not used as it stood (``line, naics, nace,
    problem``): blank rows, non-6-digit NAICS codes, NACE codes that are not classes.
    """

    links: pl.DataFrame
    anomalies: pl.DataFrame
    _by_naics: dict[str, tuple[str, ...]] = field(init=False, repr=False)
    _by_prefix: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_naics: defaultdict[str, set[str]] = defaultdict(set)
        for naics, nace in self.links.select("naics", "nace").iter_rows():
            by_naics[naics].add(nace)
        by_prefix: defaultdict[str, list[str]] = defaultdict(list)
        for naics in sorted(by_naics):
            for length in FALLBACK_PREFIXES:
                by_prefix[naics[:length]].append(naics)
        object.__setattr__(self, "_by_naics", {k: tuple(sorted(v)) for k, v in by_naics.items()})
        object.__setattr__(self, "_by_prefix", {k: tuple(v) for k, v in by_prefix.items()})

    def naics_codes(self) -> frozenset[str]:
        """The 6-digit NAICS 2017 codes the table links to NACE."""
        return frozenset(self._by_naics)

    def match(self, naics: str) -> NaceMatch:
        """Map one NAICS code to NACE classes, falling back to its longest covered prefix.

        Parameters
        ----------
        naics
            A NAICS code of 2-6 digits; a shorter code is treated as a prefix itself.

        Returns
        -------
        NaceMatch
            ``how`` is ``"exact"`` for a code in the table, ``"prefix-5"`` .. ``"prefix-3"``
            when the union over the table codes sharing that prefix was taken, ``"none"`` when
            not even a 3-digit prefix is covered (then ``nace`` is empty).
        """
        code = normalise_naics(naics)
        if code in self._by_naics:
            return NaceMatch(code, "exact", (code,), self._by_naics[code])
        for length in FALLBACK_PREFIXES:
            via = self._by_prefix.get(code[:length]) if length <= len(code) else None
            if via:
                classes = sorted({c for table_code in via for c in self._by_naics[table_code]})
                how: MatchHow = (
                    "prefix-5" if length == 5 else "prefix-4" if length == 4 else "prefix-3"
                )
                return NaceMatch(code, how, via, tuple(classes))
        return NaceMatch(code, "none", (), ())

    def nace_for(self, naics: str) -> list[str]:
        """NACE classes of a NAICS code (see :meth:`match` for the fallback and its report)."""
        return list(self.match(naics).nace)

    def match_all(self, codes: Iterable[str]) -> pl.DataFrame:
        """One row per code: ``naics, how, via (list), nace (list)``, for reports and joins."""
        matches = [self.match(code) for code in codes]
        return pl.DataFrame(
            {
                "naics": [m.naics for m in matches],
                "how": [m.how for m in matches],
                "via": [list(m.via) for m in matches],
                "nace": [list(m.nace) for m in matches],
            },
            schema={
                "naics": pl.String,
                "how": pl.String,
                "via": pl.List(pl.String),
                "nace": pl.List(pl.String),
            },
        )

    def links_per_class(self) -> pl.DataFrame:
        """``nace, links``: how many NAICS codes of the whole table link to each class."""
        return self.links.group_by("nace").agg(pl.len().alias("links")).sort("nace")


def load_crosswalk(path: Path, nace: NaceHierarchy) -> NaicsToNace:
    """Read Eurostat's NAICS 2017 → NACE Rev.2 correspondence CSV.

    The header repeats ``NACE Rev. 2`` (code, then title), so columns are taken by position:
    NAICS code, NACE code, NACE title, NAICS title, notes. A UTF-8 byte-order mark is ignored.

    Parameters
    ----------
    path
        The correspondence CSV.
    nace
        The NACE hierarchy, to check codes and to expand links made to a NACE group (the table
        links NAICS 111336 to group 01.2, "class depends on main component") into one link
        per class of the group.

    Returns
    -------
    NaicsToNace
        With every row not used as it stood listed in ``anomalies``.

    Raises
    ------
    InvalidInput
        If the header is not that of the correspondence.
    """
    problems = ProblemList()
    file = read_rows(
        path, problems=problems, expected=", ".join(_HEADER) + ", ...", by_position=True
    )
    if tuple(file.header[:2]) != _HEADER:
        raise InvalidInput.single(
            f"expected a header starting with {', '.join(_HEADER)}",
            file=str(path),
            line=1,
            value=",".join(file.header),
        )
    problems.raise_if_any(f"{path}: not the NAICS 2017 to NACE Rev.2 correspondence")
    rows = sorted([(row.line, row.cells) for row in file.rows] + [(n, []) for n in file.blank])
    links: list[tuple[str, str, int]] = []
    anomalies: list[tuple[int, str, str, str]] = []
    for line, row in rows:
        naics, code = (cell.strip() for cell in [*row, "", ""][:2])  # a blank row has no cells
        problem, classes = _read_link(naics, code, row, nace)
        if problem:
            anomalies.append((line, naics, code, problem))
        links.extend((naics, c, line) for c in classes)
    links_frame = pl.DataFrame(
        links, schema={"naics": pl.String, "nace": pl.String, "line": pl.Int64}, orient="row"
    )
    repeated = links_frame.filter(pl.struct("naics", "nace").is_first_distinct().not_())
    anomalies.extend((ln, n, c, "repeated link; counted once") for n, c, ln in repeated.rows())
    return NaicsToNace(
        links_frame.unique(["naics", "nace"], keep="first", maintain_order=True),
        pl.DataFrame(
            anomalies,
            schema={"line": pl.Int64, "naics": pl.String, "nace": pl.String, "problem": pl.String},
            orient="row",
        ).sort("line"),
    )


def _read_link(
    naics: str, code: str, row: list[str], nace: NaceHierarchy
) -> tuple[str | None, list[str]]:
    """Classes one source row links to, and what was wrong with it (``None`` if nothing)."""
    if not any(cell.strip() for cell in row):
        return "blank row; skipped", []
    if len(naics) != 6 or not naics.isdigit():
        title = row[3].strip() if len(row) > 3 else ""
        return f"not a 6-digit NAICS 2017 code ({title!r}); link dropped", []
    if not nace.contains(code):
        return "not a NACE Rev.2 code; link dropped", []
    normal = nace.normalise(code)
    if nace.level(normal) == CLASS:
        return None, [normal]
    classes = nace.classes_under(normal)
    return (
        f"links to NACE level-{nace.level(normal)} code {normal}, not a class; counted as a "
        f"link to each of its {len(classes)} classes",
        classes,
    )
