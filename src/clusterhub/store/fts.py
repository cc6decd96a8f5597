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
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

TABLE = "organisation_fts"
MAX_QUERY_TERMS = 16
_OPEN, _CLOSE = "\ue000", "\ue001"
_TERM = re.compile(r"\w+", re.UNICODE)
#: Words in a highlighted passage (FTS5's ``snippet()`` took 24 tokens).
SNIPPET_WORDS = 24
#: The stemmers of FTS5's ``porter`` tokenizer and PostgreSQL's ``english`` configuration.
_STEMMERS = {name: snowballstemmer.stemmer(name) for name in ("porter", "english")}


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
    """Every profile matching ``query`` with its relevance score, best first.

    Read through the driver's own cursor: a common word matches most of the directory, and
    SQLAlchemy's row objects cost more than the database's whole search for 100,000 rows.
    """
    driver = session.connection().connection.driver_connection
    if _is_sqlite(session):
        sql = (
            f"SELECT rowid, -bm25({TABLE}, 10.0, 10.0, 1.0) AS score FROM {TABLE} "
            f"WHERE {TABLE} MATCH ? ORDER BY score DESC"
        )
        rows = driver.execute(sql, (query.fts5,)).fetchall()  # type: ignore[union-attr]
    else:
        sql = (
            f"SELECT organisation_id, ts_rank(document, q) AS score "
            f"FROM {TABLE}, to_tsquery('english', %s) AS q WHERE document @@ q "
            "ORDER BY score DESC"
        )
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(sql, (query.tsquery,))
            rows = cursor.fetchall()
    return rows  # type: ignore[no-any-return]


def highlight(session: Session, query: Query, organisation_ids: list[int]) -> dict[int, Highlight]:
    """Highlighted name and passage for the given hits (a page of results, not all of them).

    The page's texts are read by key and marked here, by the engine's own rules: Unicode
    words, accents folded, the engine's stemmer (FTS5's Porter, PostgreSQL's English Snowball),
    the last term as a prefix. FTS5's ``highlight()`` needs the MATCH, which re-reads the whole
    hit list of every term for each row (30 ms a page when a word is in most of 100,000
    profiles); PostgreSQL's ``ts_headline`` costs server time and drops markup instead of
    escaping it.
    """
    if not organisation_ids:
        return {}
    sqlite = _is_sqlite(session)
    key = "rowid" if sqlite else "organisation_id"
    statement = text(f"SELECT {key}, name, body FROM {TABLE} WHERE {key} IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    rows = session.execute(statement, {"ids": organisation_ids})
    wanted = _Terms(query, algorithm="porter" if sqlite else "english")
    return {
        int(found): Highlight(_marked(wanted.mark(name)), _marked(wanted.passage(body)))
        for found, name, body in rows
    }


class _Terms:
    """A query's terms as the engine compares them: folded, stemmed, the last maybe a prefix."""

    def __init__(self, query: Query, *, algorithm: str) -> None:
        self.algorithm = algorithm
        self.stems = {_stem(_fold(term), algorithm) for term in query.terms}
        self.prefix = _fold(query.terms[-1]) if query.prefix_last else None
        # Porter changes only endings (and y to i): a word can stem to one of the query's
        # stems only if it begins like it, which spares stemming nearly every word.
        self.starts = tuple({stem[:-1] or stem for stem in self.stems})

    def hit(self, word: str) -> bool:
        folded = _fold(word)
        if self.prefix is not None and folded.startswith(self.prefix):
            return True
        return folded.startswith(self.starts) and _stem(folded, self.algorithm) in self.stems

    def mark(self, raw: str) -> str:
        """``raw`` with every matching word between the markers."""
        return _TERM.sub(lambda m: f"{_OPEN}{m[0]}{_CLOSE}" if self.hit(m[0]) else m[0], raw)

    def passage(self, raw: str) -> str:
        """About ``SNIPPET_WORDS`` words around the first match, marked, with ellipses."""
        words = list(_TERM.finditer(raw))
        if not words:
            return raw[:200]
        first = next((i for i, m in enumerate(words) if self.hit(m[0])), 0)
        start = max(0, min(first - 3, len(words) - SNIPPET_WORDS))
        end = min(len(words), start + SNIPPET_WORDS)
        begin = words[start].start() if start else 0
        finish = words[end - 1].end() if end < len(words) else len(raw)
        lead = "…" if start else ""
        tail = "…" if end < len(words) else ""
        return lead + self.mark(raw[begin:finish]) + tail


@lru_cache(maxsize=65_536)
def _stem(word: str, algorithm: str) -> str:
    return str(_STEMMERS[algorithm].stemWord(word))


@lru_cache(maxsize=65_536)
def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _marked(raw: str) -> Markup:
    escaped = html.escape(raw, quote=True)
    return Markup(escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
