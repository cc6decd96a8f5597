"""The keyword (full-text) index of directory profiles: SQLite FTS5 or PostgreSQL, one interface.

The index tables are created by migration 0002 and are not models, because their DDL differs by
database. Services call :func:`upsert` / :func:`delete` in the same transaction as the profile
write, so the index can never disagree with the committed data.

Matching returns every hit with a relevance score (higher is better); filtering, faceting and
paging happen in the search service's in-memory catalogue, which is much faster than asking the
database for counts per facet.

* SQLite: FTS5 with the Porter stemmer, accents folded; the score is ``-bm25`` with the name and
  acronym weighted 10× the body.
* PostgreSQL: ``tsvector`` documents, ``english`` configuration, name and acronym in weight A and
  the body in weight C; the score is ``ts_rank`` with its default weights (A 1.0, C 0.2).

Highlighting marks matched terms with private-use characters, escapes the text, then turns the
markers into ``<mark>``: stored HTML can never reach a page unescaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

TABLE = "organisation_fts"
MAX_QUERY_TERMS = 16
_OPEN, _CLOSE = "\ue000", "\ue001"
_TERM = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Document:
    """What the index holds for one profile."""

    organisation_id: int
    name: str
    acronym: str
    body: str


@dataclass(frozen=True, slots=True)
class Query:
    """A user's words, parsed once into the syntax of each engine.

    Every term must match (AND). The last term also matches as a prefix, so a query typed
    half-way ("aerosp") already finds something, unless the user ended with a space.
    """

    terms: tuple[str, ...]
    prefix_last: bool

    @property
    def fts5(self) -> str:
        """FTS5 MATCH syntax: each term quoted, so operators in user text are plain words."""
        parts = [f'"{term}"' for term in self.terms]
        if self.prefix_last:
            parts[-1] += "*"
        return " ".join(parts)

    @property
    def tsquery(self) -> str:
        """``to_tsquery`` syntax: terms joined with ``&``, the last with ``:*`` when a prefix."""
        parts = list(self.terms)
        if self.prefix_last:
            parts[-1] += ":*"
        return " & ".join(parts)


@dataclass(frozen=True, slots=True)
class Highlight:
    """Escaped HTML of a hit's name and a short passage, matched terms in ``<mark>``."""

    name: Markup
    snippet: Markup


def parse(query_text: str) -> Query | None:
    """The terms of ``query_text``; ``None`` when it has no word characters at all."""
    terms = tuple(term.lower() for term in _TERM.findall(query_text))[:MAX_QUERY_TERMS]
    if not terms:
        return None
    return Query(terms=terms, prefix_last=not query_text.endswith((" ", "\t", "\n")))


def is_index_table(name: str) -> bool:
    """True for the index table and FTS5's shadow tables, which the models do not describe."""
    return name == TABLE or name.startswith(f"{TABLE}_")


def upsert(session: Session, documents: list[Document]) -> None:
    """Write (or rewrite) the index entries of ``documents``."""
    if not documents:
        return
    rows = [
        {"id": d.organisation_id, "name": d.name, "acronym": d.acronym, "body": d.body}
        for d in documents
    ]
    delete(session, [d.organisation_id for d in documents])
    if _is_sqlite(session):
        session.execute(
            text(
                f"INSERT INTO {TABLE} (rowid, name, acronym, body) "
                "VALUES (:id, :name, :acronym, :body)"
            ),
            rows,
        )
        return
    session.execute(
        text(
            f"INSERT INTO {TABLE} (organisation_id, name, acronym, body, document) VALUES "
            "(:id, :name, :acronym, :body, "
            "setweight(to_tsvector('english', :name), 'A') || "
            "setweight(to_tsvector('english', :acronym), 'A') || "
            "setweight(to_tsvector('english', :body), 'C'))"
        ),
        rows,
    )


def delete(session: Session, organisation_ids: list[int]) -> None:
    """Remove the entries of these profiles (SQLite's FTS5 table has no foreign key cascade)."""
    if not organisation_ids:
        return
    column = "rowid" if _is_sqlite(session) else "organisation_id"
    statement = text(f"DELETE FROM {TABLE} WHERE {column} IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for start in range(0, len(organisation_ids), 900):
        session.execute(statement, {"ids": organisation_ids[start : start + 900]})


def clear(session: Session) -> None:
    """Empty the index (before a full rebuild)."""
    session.execute(text(f"DELETE FROM {TABLE}"))


def match(session: Session, query: Query) -> list[tuple[int, float]]:
    """Every profile matching ``query`` with its relevance score, best first."""
    if _is_sqlite(session):
        statement = text(
            f"SELECT rowid, -bm25({TABLE}, 10.0, 10.0, 1.0) AS score FROM {TABLE} "
            f"WHERE {TABLE} MATCH :q ORDER BY score DESC"
        )
        rows = session.execute(statement, {"q": query.fts5})
    else:
        statement = text(
            f"SELECT organisation_id, ts_rank(document, q) AS score "
            f"FROM {TABLE}, to_tsquery('english', :q) AS q WHERE document @@ q ORDER BY score DESC"
        )
        rows = session.execute(statement, {"q": query.tsquery})
    return [(int(row[0]), float(row[1])) for row in rows]


def highlight(session: Session, query: Query, organisation_ids: list[int]) -> dict[int, Highlight]:
    """Highlighted name and passage for the given hits (a page of results, not all of them)."""
    if not organisation_ids:
        return {}
    marks = {"o": _OPEN, "c": _CLOSE}
    if _is_sqlite(session):
        # One lookup per hit: ``rowid IN (...)`` next to MATCH makes FTS5 walk the term's whole
        # hit list (12 ms for a common word at 100,000 profiles), ``rowid = ?`` does not.
        statement = text(
            f"SELECT rowid, highlight({TABLE}, 0, :o, :c), "
            f"snippet({TABLE}, 2, :o, :c, '…', 24) FROM {TABLE} "
            f"WHERE {TABLE} MATCH :q AND rowid = :id"
        )
        rows = [
            row
            for organisation_id in organisation_ids
            for row in session.execute(statement, {**marks, "q": query.fts5, "id": organisation_id})
        ]
    else:
        statement = text(
            "SELECT organisation_id, "
            "ts_headline('english', name, q, "
            "'HighlightAll=true, StartSel=' || :o || ', StopSel=' || :c), "
            "ts_headline('english', body, q, "
            "'MaxWords=30, MinWords=12, MaxFragments=1, StartSel=' || :o || ', StopSel=' || :c) "
            f"FROM {TABLE}, to_tsquery('english', :q) AS q WHERE organisation_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        parameters = {**marks, "q": query.tsquery, "ids": organisation_ids}
        rows = list(session.execute(statement, parameters))
    return {int(row[0]): Highlight(_marked(row[1] or ""), _marked(row[2] or "")) for row in rows}


def _marked(raw: str) -> Markup:
    escaped = html.escape(raw, quote=True)
    return Markup(escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
