"""NUTS versions in the observatory: carry a data set's regions to NUTS 2021 and say how, and
tell a reader who asks for an old code where its region is now.

Statistics come in the NUTS version of their year (Eurostat's SBS 2015 in NUTS 2013, with
blank rows for codes of 2006 and 2010), the maps and names in NUTS 2021. Recoding each year
from its own version, after missing cells are filled and before cells become clusters, puts
every region on the map and keeps one code per region in every year, so a region's years
can be compared; the dataset's notes list what was recoded, merged and split, and when.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from clusterhub.classify import CURRENT, Lineage, NutsHistory
from clusterhub.stats.nuts_recode import RecodeReport, prefer, recode_cells
from clusterhub.stats.series import year_span


def recode_to_current(cells: pl.DataFrame, history: NutsHistory) -> tuple[pl.DataFrame, list[str]]:
    """Industry cells of any NUTS version carried to NUTS 2021, with notes for the reader.

    Each year is carried from its own NUTS version: a series publishes every year in the
    version in force then (Eurostat SBS 2008-2011 in NUTS 2006, 2015-2017 in NUTS 2013,
    2018-2020 in NUTS 2016), and lists the codes of the other versions with blank values.
    Codes without a single value in a year are left out of that year first when they belong
    to an earlier version, or when the year's recode carries other codes into them (PL91 is
    blank in 2015 and is made from PL12 then): they are not regions of that year's data, and
    keeping them would merge nothing but unknowns into their successors.
    """
    years = sorted(int(y) for y in cells.get_column("year").unique().to_list())
    done = [_recode_year(cells.filter(pl.col("year") == year), history) for year in years]
    recoded = pl.concat([d.cells for d in done]).sort("region_code", "industry_code", "year")
    several = len(years) > 1
    notes: list[str] = []
    for (version, report), group in _grouped(zip(years, done, strict=True)):
        notes.extend(_notes(version, report, year_span(group) if several else None))
    blank = _by_code(years, [d.blank for d in done])
    if blank and several:
        notes.append(
            f"{len(blank)} code(s) without any value in a year whose NUTS version they are not "
            "of left out in those years: "
            + ", ".join(f"{code} ({year_span(ys)})" for code, ys in blank.items())
        )
    elif blank:
        notes.append(
            f"{len(blank)} code(s) of earlier NUTS versions without any value left out: "
            + ", ".join(blank)
        )
    superseded = _by_code(years, [d.superseded for d in done])
    if superseded:
        notes.append(
            "codes of other NUTS versions left out because the data has their successors: "
            + ", ".join(
                f"{code} ({year_span(ys)})" if several else code for code, ys in superseded.items()
            )
        )
    return recoded, notes


@dataclass(frozen=True, eq=False)
class _Year:
    """One year's cells carried to NUTS 2021, the version they were read in, what was done
    (``report``), and the codes left out."""

    cells: pl.DataFrame
    version: str
    report: RecodeReport
    blank: tuple[str, ...]
    superseded: tuple[str, ...]


def _recode_year(cells: pl.DataFrame, history: NutsHistory) -> _Year:
    """One year's cells carried to NUTS 2021 (see ``recode_to_current``)."""
    valued = set(
        cells.filter(pl.col("employment").is_not_null()).get_column("region_code").to_list()
    )
    plan = history.plan(valued)
    targets = set(plan.conversion.get_column("to_code").to_list())
    codes = cells.get_column("region_code").unique().sort().to_list()
    blank = tuple(
        c
        for c in codes
        if c not in valued
        and (c in targets or ((versions := history.versions_of(c)) and CURRENT not in versions))
    )
    dropped = set(blank) | set(plan.superseded)
    kept = cells.filter(~pl.col("region_code").is_in(list(dropped)))
    recoded, report = recode_cells(kept, plan.conversion, weight=plan.weight)
    recoded, exact = _exact_parents(kept, recoded, report, plan.version, history)
    report = RecodeReport(
        {**report.methods, **dict.fromkeys(exact, "merge")}, {**report.sources, **exact}
    )
    return _Year(recoded, plan.version, report, blank, plan.superseded)


def _grouped(
    years: Iterable[tuple[int, _Year]],
) -> list[tuple[tuple[str, RecodeReport], list[int]]]:
    """Years that were read in the same version and recoded alike, in order, for one note."""
    groups: list[tuple[tuple[str, RecodeReport], list[int]]] = []
    for year, done in years:
        same = next((g for g in groups if g[0] == (done.version, done.report)), None)
        if same is None:
            groups.append(((done.version, done.report), [year]))
        else:
            same[1].append(year)
    return groups


def _by_code(years: list[int], codes: list[tuple[str, ...]]) -> dict[str, list[int]]:
    """Code -> the years it was left out in, codes sorted."""
    out: dict[str, list[int]] = {}
    for year, listed in zip(years, codes, strict=True):
        for code in listed:
            out.setdefault(code, []).append(year)
    return dict(sorted(out.items()))


def _exact_parents(
    kept: pl.DataFrame,
    recoded: pl.DataFrame,
    report: RecodeReport,
    version: str,
    history: NutsHistory,
) -> tuple[pl.DataFrame, dict[str, tuple[str, ...]]]:
    """Regions made from pieces of split old regions that are exactly a union of whole old
    regions one level down get that sum instead of the population estimate, in every cell
    where all those have a value (FR6 and FR8 were cut up, but FRJ = FR62 + FR81; PL9 = PL12).

    Returns the cells and, per region summed, the old regions it is the sum of.
    """
    codes = set(kept.get_column("region_code").unique().to_list())
    exact = {
        parent: parts
        for parent, method in sorted(report.methods.items())
        if method.startswith("split") and (parts := _whole_parts(parent, codes, version, history))
    }
    if not exact:
        return recoded, {}
    conversion = pl.DataFrame(
        [(old, parent, 1.0) for parent, parts in exact.items() for old in parts],
        schema=["from_code", "to_code", "share"],
        orient="row",
    )
    olds = kept.filter(pl.col("region_code").is_in(conversion.get_column("from_code").to_list()))
    sums, _ = recode_cells(olds, conversion)
    better, _ = prefer(recoded, sums.with_columns(nuts_recode=pl.lit("merge")))
    return better, exact


def _whole_parts(
    parent: str, codes: set[str], version: str, history: NutsHistory
) -> tuple[str, ...]:
    """The old regions one level below ``parent``'s level that lie wholly in it, if together
    they make all of it (each of its sub-regions gets only from them), else none."""
    level = len(parent) + 1
    candidates = [c for c in codes if len(c) == level and c[:2] == parent[:2]]
    inside: list[str] = []
    touching = False
    for old in sorted(candidates):
        if old not in history.codes(version):
            continue
        targets = {to for to, _ in history.shares(old, version)}
        within = {t for t in targets if t.startswith(parent)}
        if within and within == targets:
            inside.append(old)
        elif within:
            touching = True
    covered = {to for old in inside for to, _ in history.shares(old, version)}
    if touching or not inside or covered != set(history.children(parent)):
        return ()
    return tuple(inside)


def _notes(version: str, report: RecodeReport, years: str | None) -> list[str]:
    """The recode of one version's years (``years`` None when the data has one year)."""
    when = f" in {years}" if years else ""
    if not report.methods:
        return [f"regions in NUTS {version}{when}: no recoding to NUTS {CURRENT} needed"]
    notes = [
        f"regions read as NUTS {version}{when} and carried to NUTS {CURRENT}: "
        f"{report.count('recode')} recoded (same boundaries, values kept), "
        f"{report.count('merge')} merged (exact sums of whole old regions, also of the level "
        "below: FRJ = FR62 + FR81; a cell without all its parts keeps the split estimate), "
        f"{report.count('split')} made from pieces of split regions "
        "(estimated with population 2018 shares, JRC conversion matrices; counted in the "
        "estimated share)"
    ]
    for method in ("recode", "merge", "split"):
        listed = [
            f"{'+'.join(report.sources[code])}→{code}"
            for code, m in sorted(report.methods.items())
            if m.startswith(method)
        ]
        if listed:
            notes.append(f"  {method}: {', '.join(listed)}")
    return notes


@dataclass(frozen=True)
class Moved:
    """An old NUTS code a reader asked for, and the 2021 region(s) it lies in now."""

    lineage: Lineage
    sentence: str

    @property
    def single(self) -> str | None:
        """The one successor's code when the old region lies wholly in one current region
        (FR62 in FRJ2, DE41 in DE40), else None."""
        successors = self.lineage.successors
        return successors[0].code if len(successors) == 1 else None


def moved_region(history: NutsHistory, code: str) -> Moved | None:
    """What became of ``code`` when it is a code of an earlier NUTS version, else None."""
    lineage = history.lineage(code.upper())
    if lineage is None or lineage.version == CURRENT:
        return None
    return Moved(lineage, describe(lineage))


def describe(lineage: Lineage) -> str:
    """One sentence: "FR62 Midi-Pyrénées (NUTS 2013) is now FRJ2 Midi-Pyrénées in NUTS 2021
    (Eurostat: recoded)."."""
    old = _label(lineage.code, lineage.name)
    where = f"{old} (NUTS {lineage.version})"
    parts = lineage.successors
    if len(parts) == 1 and parts[0].share >= 1 - 1e-9:
        new = _label(parts[0].code, parts[0].name)
        return f"{where} is now {new} in NUTS {CURRENT}" + _because(lineage.change) + "."
    listed = ", ".join(f"{_label(s.code, s.name)} ({s.share:.0%} of its population)" for s in parts)
    return f"{where} was split in NUTS {CURRENT}: {listed}" + _because(lineage.change) + "."


def provenance(
    history: NutsHistory, notes: Sequence[str], code: str, year: int | None = None
) -> str | None:
    """How a data set carried its statistics of ``year`` to region ``code``, read from the data
    set's recode notes (written by :func:`recode_to_current`), as a sentence for the region
    page; None when the region was not recoded that year. Without ``year`` (or for data of
    one year) the latest recode note is read."""
    blocks = _recode_blocks(notes)
    block = next((b for b in reversed(blocks) if year is None or b.covers(year)), None)
    if block is None:
        return None
    found = next(
        (
            (method, sources.split("+"))
            for method, listed in block.lines
            for part in listed.split(", ")
            for sources, target in [part.split("→", 1)]
            if target == code
        ),
        None,
    )
    if found is None:
        return None
    method, sources = found
    olds = " + ".join(_label(s, history.name(s, block.version)) for s in sources)
    where = f"{olds} (NUTS {block.version})"
    if method == "recode":
        return f"Formerly {where}: the statistics are shown as published; only the code changed."
    if method == "merge":
        return f"Formerly {where}: the statistics are the exact sum of their published figures."
    return (
        f"Made from pieces of {where}: the statistics are estimated from their figures by "
        "share of population (2018) and count as estimated."
    )


@dataclass(frozen=True)
class _Block:
    """One recode note: the version read, its years (None: all), its method lines."""

    version: str
    years: frozenset[int] | None
    lines: tuple[tuple[str, str], ...]

    def covers(self, year: int) -> bool:
        return self.years is None or year in self.years


def _recode_blocks(notes: Sequence[str]) -> list[_Block]:
    """The recode notes' headers with the method lines that follow each."""
    blocks: list[_Block] = []
    for note in notes:
        if header := _HEADER.match(note):
            version, years = header.groups()
            blocks.append(_Block(version, _parse_span(years) if years else None, ()))
        elif (line := _METHOD_LINE.match(note)) and blocks:
            last = blocks[-1]
            method, listed = line.groups()
            blocks[-1] = _Block(last.version, last.years, (*last.lines, (method, listed)))
    return blocks


def _parse_span(text: str) -> frozenset[int]:
    """The years of a ``series.year_span`` text (``"2008–2010, 2013"``)."""
    years: set[int] = set()
    for run in text.split(", "):
        first, _, last = run.partition("–")
        years.update(range(int(first), int(last or first) + 1))
    return frozenset(years)


_METHOD_LINE = re.compile(r"^  (recode|merge|split): (.+)$")
_HEADER = re.compile(r"^regions read as NUTS (\d{4})(?: in ([0-9–, ]+))? and carried")


def _label(code: str, name: str | None) -> str:
    return f"{code} {name}" if name else code


def _because(change: str | None) -> str:
    return f" (Eurostat: {change})" if change else ""
