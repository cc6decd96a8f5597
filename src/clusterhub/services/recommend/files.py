"""Recommendations between files: the command line's ``recommend partners`` without a database.

The queries file is either one organisation id per line (blank lines and ``#`` comments are
skipped), or a CSV whose header is ``query,type,country,programme_parts`` for newcomers known
only by a profile (``programme_parts`` separated by ``|``; an id that is also in the
participations file is ranked from its history). The output CSV has the columns
``query,rank,partner,score,reasons``. The model learns from the participations file alone.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, TextLines, read_rows
from clusterhub.services.recommend.collaborations import read_collaborations
from clusterhub.services.recommend.features import TYPES, Profile
from clusterhub.services.recommend.reasons import text
from clusterhub.services.recommend.recommender import Recommendation, fit

PROFILE_HEADER = ("query", "type", "country", "programme_parts")
OUTPUT_COLUMNS = ("query", "rank", "partner", "score", "reasons")


@dataclass
class Queries:
    """The organisations to recommend for, in file order, and the newcomers' profiles."""

    ids: list[str] = field(default_factory=list)
    profiles: dict[str, Profile] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """What a file run produced: the recommendations and the queries that got none."""

    recommendations: list[Recommendation]
    unknown: list[str]
    organisations: int
    projects: int


def read_queries(path: Path) -> Queries:
    """The queries file (see the module's docstring), every problem named by line."""
    with TextLines(path, path.name) as lines:
        first = next(iter(lines), "").strip()
    if first.lower().startswith("query,"):
        return _profile_queries(path)
    queries = Queries()
    with TextLines(path, path.name) as lines:
        for line in lines:
            value = line.strip()
            if value and not value.startswith("#"):
                if "," in value or " " in value:
                    raise InvalidInput.single(
                        "expected one organisation id per line (or a CSV with the header "
                        + ",".join(PROFILE_HEADER) + ")",
                        file=path.name, line=lines.number,
                    )  # fmt: skip
                queries.ids.append(value)
    if not queries.ids:
        raise InvalidInput.single("no organisation id in the queries file", file=path.name)
    queries.ids = list(dict.fromkeys(queries.ids))
    return queries


def _profile_queries(path: Path) -> Queries:
    problems = ProblemList()
    table = read_rows(path, problems=problems, name=path.name)
    problems.raise_if_any(f"cannot read {path.name}")
    if tuple(h.strip().lower() for h in table.header) != PROFILE_HEADER:
        raise InvalidInput.single(
            f"expected the header {','.join(PROFILE_HEADER)}", file=path.name, line=1
        )
    queries = Queries()
    for row in table.rows:
        query, kind, country, parts = (c.strip() for c in row.cells)
        if not query:
            problems.append(Problem("expected an organisation id", path.name, row.line, "query"))
        elif kind not in TYPES:
            problems.append(
                Problem(f"expected one of {', '.join(TYPES)}", path.name, row.line, "type")
            )
        elif len(country) != 2:
            problems.append(
                Problem("expected a two-letter country code", path.name, row.line, "country")
            )
        else:
            queries.ids.append(query)
            chosen = tuple(sorted({p.strip() for p in parts.split("|") if p.strip()}))
            queries.profiles[query] = Profile(kind, country.upper(), chosen)
    problems.raise_if_any(f"cannot use {path.name}")
    queries.ids = list(dict.fromkeys(queries.ids))
    return queries


def recommend_from_files(
    participations: Path,
    queries: Path,
    *,
    programme_parts: Path | None = None,
    top: int = 10,
    seed: int = 0,
) -> Run:
    """Fit on the participations file and recommend ``top`` new partners per query."""
    if top < 1:
        raise InvalidInput.single("expected --top of at least 1", field="top")
    wanted = read_queries(queries)
    data = read_collaborations(participations, programme_parts)
    model = fit(data, seed=seed)
    found = model.recommend(wanted.ids, top, wanted.profiles)
    return Run(
        [r for q in wanted.ids for r in found[q]],
        [q for q in wanted.ids if not found[q]],
        model.context.graph.size,
        data.rows["project"].n_unique(),
    )


def write_recommendations(recommendations: list[Recommendation], out: Path) -> None:
    """The ``query,rank,partner,score,reasons`` CSV."""
    write_rows(
        ([r.query, r.rank, r.partner, f"{r.score:.6f}", text(r.reasons)] for r in recommendations),
        out,
    )


def write_rows(rows: Iterable[list[object]], out: Path) -> None:
    """Rows under the ``OUTPUT_COLUMNS`` header, written whole, then moved into place (a
    failed run leaves no half file)."""
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        writer.writerows(rows)
    partial.replace(out)
