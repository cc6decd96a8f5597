"""Who took part in which project, when: the one input every recommender signal is learned from.

A ``Collaborations`` holds one row per (project, organisation) with the project's start year and
the organisation's type and country, and the programme parts of each project. It is read from
the CORDIS layout (``h2020_participations.csv.gz`` and ``h2020_programme_parts.csv.gz``) or
built from the platform's own ``projects`` and ``participations`` tables, so the command line
and the platform learn from the same structure. Time is cut here and only here: ``until`` keeps
the projects that started in or before a year, which is how the temporal evaluation and the
ranker's training see no future project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.services.directory.cordis import check_participations, read_flattened

#: Columns of ``Collaborations.rows``.
ROW_COLUMNS = ("project", "org", "year", "type", "country")


@dataclass(frozen=True)
class Collaborations:
    """Participations (``project``: int, ``org``: str, ``year``: int or null when the project
    has no start date, ``type``, ``country``; one row per project and organisation) and
    ``parts`` (``project``, ``part``: the programme parts of each project)."""

    rows: pl.DataFrame
    parts: pl.DataFrame

    def until(self, year: int) -> Collaborations:
        """Only the projects that started in or before ``year`` (an undated project is left
        out: nothing proves it is not from the future)."""
        kept = self.rows.filter(pl.col("year") <= year)
        return Collaborations(kept, _parts_of(self.parts, kept))

    def during(self, first: int, last: int) -> Collaborations:
        """Only the projects that started from ``first`` to ``last`` (inclusive)."""
        kept = self.rows.filter(pl.col("year").is_between(first, last))
        return Collaborations(kept, _parts_of(self.parts, kept))

    @property
    def last_year(self) -> int:
        """The latest start year (0 when no project is dated)."""
        latest = self.rows["year"].max()
        return int(latest) if isinstance(latest, int) else 0

    def organisations(self) -> set[str]:
        """Every organisation that took part in at least one project."""
        return set(self.rows["org"].unique().to_list())


def _parts_of(parts: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The programme parts of the projects in ``rows``."""
    return parts.filter(pl.col("project").is_in(rows["project"].implode()))


def from_frames(rows: pl.DataFrame, parts: pl.DataFrame) -> Collaborations:
    """Normalise typed frames (one row per project and organisation: an organisation with two
    roles in one project, e.g. coordinator and third party, counts once)."""
    rows = (
        rows.select(
            pl.col("project").cast(pl.Int64),
            pl.col("org").cast(pl.Utf8),
            pl.col("year").cast(pl.Int32),
            pl.col("type").cast(pl.Utf8).fill_null("OTH"),
            pl.col("country").cast(pl.Utf8).fill_null(""),
        )
        .unique(["project", "org"], keep="first", maintain_order=True)
        .sort("project", "org")
    )
    parts = parts.select(pl.col("project").cast(pl.Int64), pl.col("part").cast(pl.Utf8)).unique()
    return Collaborations(rows, parts.sort("project", "part"))


def read_collaborations(
    participations: Path, programme_parts: Path | None = None
) -> Collaborations:
    """The CORDIS participations file (and, if given, the programme-parts file), checked as the
    directory's import checks them: a bad row is refused with its file and line."""
    rows = check_participations(read_flattened(participations).drop("_line"), participations.name)
    frame = rows.select(
        pl.col("rcn").alias("project"),
        pl.col("pic").cast(pl.Utf8).alias("org"),
        pl.col("start_date").dt.year().alias("year"),
        "type",
        "country",
    )
    if programme_parts is None:
        parts = pl.DataFrame(schema={"project": pl.Int64, "part": pl.Utf8})
    else:
        raw = read_flattened(programme_parts)
        parts = _checked_parts(raw, programme_parts.name)
    return from_frames(frame, parts)


def _checked_parts(raw: pl.DataFrame, file: str) -> pl.DataFrame:
    """``rcn,programme_part`` rows as (project, part), or the first unusable line refused."""
    missing = [c for c in ("rcn", "programme_part") if c not in raw.columns]
    if missing:
        raise InvalidInput.single(f"missing column(s) {', '.join(missing)}", file=file, line=1)
    typed = raw.select(
        pl.col("rcn").cast(pl.Int64, strict=False).alias("project"),
        pl.col("programme_part").alias("part"),
        "_line",
    )
    bad = typed.filter(pl.col("project").is_null() | pl.col("part").is_null())
    if bad.height:
        raise InvalidInput.single(
            "expected a numeric rcn and a programme part",
            file=file,
            line=int(bad["_line"][0]),
            field="rcn" if bad["project"][0] is None else "programme_part",
        )
    return typed.drop("_line")
