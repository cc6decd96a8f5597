"""Join the parts of a time series that a statistics office published as separate data sets.

Eurostat's regional business statistics come in two data sets: ``sbs_r_nuts06_r2`` (2008-2020,
Regulation (EC) No 295/2008) and ``sbs_r_nuts2021`` (from 2021, the European Business
Statistics Regulation (EU) 2019/2152). Read as one series they give growth rates across the
change, so the join must keep what is comparable and say what is not:

* each year comes from one part only: a newer part takes over from its first year with a
  value, and an older part's rows for those years are left out (said in a note);
* only the activities every part publishes are kept: an activity published by one part only
  (the newer regulation covers more sections) would appear or vanish at the break and read
  as growth or decline;
* every place where one part gives way to the next is a ``SeriesBreak``, which pages name
  beside any growth rate whose period spans it.

Region codes are left as published: each year is carried to NUTS 2021 later, in the NUTS
version of its own year (``services.observatory.recoding``). See
``docs/methodology/time-series.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.schema import INDUSTRY_CELLS, conform


@dataclass(frozen=True, eq=False)
class SeriesPart:
    """One published data set of a series: its name (the data set code) and its cells."""

    name: str
    cells: pl.DataFrame


@dataclass(frozen=True)
class SeriesBreak:
    """Where one data set of a series gives way to the next: ``year`` is the first year of
    ``after``; ``before`` ends the year before (or earlier)."""

    year: int
    before: str
    after: str

    def sentence(self) -> str:
        """The break in words, for notes and pages."""
        return (
            f"series break in {self.year}: {self.before} up to {self.year - 1}, {self.after} "
            f"from {self.year}"
        )


@dataclass(frozen=True, eq=False)
class JoinedSeries:
    """The cells of all parts as one series, its breaks, and what the join left out."""

    cells: pl.DataFrame
    breaks: tuple[SeriesBreak, ...]
    notes: tuple[str, ...]


def join_series(parts: Sequence[SeriesPart]) -> JoinedSeries:
    """Join the parts of a series into one frame of ``INDUSTRY_CELLS`` (see the module).

    Parameters
    ----------
    parts
        The data sets, in any order; a part without a single value is left out (said).

    Returns
    -------
    JoinedSeries
        The cells (each year from one part, activities every part publishes), the breaks
        between parts, and notes naming the years and activities left out.

    Raises
    ------
    InvalidInput
        If no part has a value, or two parts start in the same year (which one continues
        the other cannot be told).
    """
    framed = [(p.name, conform(p.cells, INDUSTRY_CELLS, what=p.name)) for p in parts]
    valued = [(name, cells, _first_year(cells)) for name, cells in framed]
    notes = [
        f"{name}: no value at all, left out of the series" for name, _, y in valued if y is None
    ]
    ordered = sorted(
        ((name, cells, first) for name, cells, first in valued if first is not None),
        key=lambda part: part[2],
    )
    _check_starts(ordered, [p.name for p in parts])
    kept = []
    for index, (name, cells, _) in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        own, note = _until(name, cells, following)
        notes.extend(note)
        kept.append((name, own))
    common = set.intersection(*(_codes(cells) for _, cells in kept))
    notes.extend(_left_out_activities(kept, common))
    joined = pl.concat(
        [cells.filter(pl.col("industry_code").is_in(sorted(common))) for _, cells in kept]
    ).sort("region_code", "industry_code", "year")
    breaks = tuple(
        SeriesBreak(year=first, before=ordered[index - 1][0], after=name)
        for index, (name, _, first) in enumerate(ordered)
        if index > 0
    )
    notes.extend(b.sentence() for b in breaks)
    return JoinedSeries(joined, breaks, tuple(notes))


def _check_starts(ordered: list[tuple[str, pl.DataFrame, int]], names: list[str]) -> None:
    """Refuse a series without values, or whose parts cannot be put in order."""
    if not ordered:
        raise InvalidInput.single(
            "no value in any part of the series", field="parts", value=", ".join(names)
        )
    starts = [first for _, _, first in ordered]
    if len(set(starts)) < len(starts):
        raise InvalidInput.single(
            "two data sets of the series start in the same year; expected each to continue "
            "the one before",
            field="parts",
            value=", ".join(f"{name} ({first})" for name, _, first in ordered),
        )


def _until(
    name: str, cells: pl.DataFrame, following: tuple[str, pl.DataFrame, int] | None
) -> tuple[pl.DataFrame, list[str]]:
    """A part's cells before the year the next part starts, and a note on the years with
    values it gives up."""
    if following is None:
        return cells, []
    successor, _, start = following
    given_up = _years(cells.filter((pl.col("year") >= start) & pl.col("employment").is_not_null()))
    note = (
        [f"{name}: {year_span(given_up)} left out, {successor} continues the series from {start}"]
        if given_up
        else []
    )
    return cells.filter(pl.col("year") < start), note


def _left_out_activities(kept: list[tuple[str, pl.DataFrame]], common: set[str]) -> list[str]:
    """Notes on the activities of each part that another part does not publish."""
    notes = []
    for name, cells in kept:
        dropped = sorted(_codes(cells) - common)
        if dropped:
            notes.append(
                f"{name}: {len(dropped)} activit{'y' if len(dropped) == 1 else 'ies'} not "
                "published by every data set of the series left out, so that the series "
                f"covers the same activities every year: {_listed(dropped)}"
            )
    return notes


def year_span(years: Iterable[int]) -> str:
    """Years as runs: ``[2008, 2009, 2010, 2013]`` -> ``"2008–2010, 2013"``."""
    runs: list[list[int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _first_year(cells: pl.DataFrame) -> int | None:
    """The first year with a value, None when there is none."""
    years = _years(cells.filter(pl.col("employment").is_not_null()))
    return years[0] if years else None


def _years(cells: pl.DataFrame) -> list[int]:
    return sorted(int(y) for y in cells.get_column("year").unique().to_list())


def _codes(cells: pl.DataFrame) -> set[str]:
    """The activities a part publishes: every code it lists, also one whose cells are all
    confidential (published, not shown), so confidentiality never shortens the series."""
    return set(cells.get_column("industry_code").unique().to_list())


def _listed(codes: list[str]) -> str:
    return ", ".join(codes[:12]) + (f" and {len(codes) - 12} more" if len(codes) > 12 else "")
