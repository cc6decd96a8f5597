"""The keyword index: matching and highlighting on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.store import fts
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation
from tests.conftest import migrated_database

BODY = (
    "Regional cluster. " + "Filler words about many things here. " * 6 + "Members are "
    "cooperating on énergie storage and satellites; <script>alert(1)</script> never runs. "
    + "More filler words to make the passage long enough. "
    * 6
)


def _indexed(session: Session) -> list[int]:
    ids = []
    for n, (name, body) in enumerate([("Space Cooperation Hub", BODY), ("Other", "nothing")]):
        org = Organisation(key=f"k{n}", source="t", profile_type="cluster_organisation", name=name)
        session.add(org)
        session.flush()
        fts.upsert(session, [fts.Document(org.id, name, "", body)])
        ids.append(org.id)
    return ids


def test_every_term_must_match_and_the_name_counts_more(db_settings: Settings) -> None:
    with transaction(make_session_factory(make_engine(db_settings))) as session:
        ids = _indexed(session)
        query = fts.parse("cooperation satellite")
        assert query is not None
        assert [hit for hit, _ in fts.match(session, query)] == [ids[0]]
        assert fts.match(session, fts.parse("cooperation nothing")) == []  # type: ignore[arg-type]


def test_sqlite_marks_stems_prefixes_and_folded_accents_and_escapes(tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path) as settings:
        factory = make_session_factory(make_engine(settings))
        with transaction(factory) as session:
            ids = _indexed(session)
            query = fts.parse("cooperation energie satel")
            assert query is not None and fts.match(session, query)
            marked = fts.highlight(session, query, ids)[ids[0]]
    assert str(marked.name) == "Space <mark>Cooperation</mark> Hub"
    snippet = str(marked.snippet)
    for word in ("cooperating", "énergie", "satellites"):
        assert f"<mark>{word}</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.split()) <= fts.SNIPPET_WORDS + 12  # words plus the escaped markup


@pytest.mark.parametrize("text", ["", "?!", "--"])
def test_a_query_without_words_is_no_query(text: str) -> None:
    assert fts.parse(text) is None


def test_both_databases_mark_stems_and_prefixes_and_escape_markup(db_settings: Settings) -> None:
    with transaction(make_session_factory(make_engine(db_settings))) as session:
        ids = _indexed(session)
        query = fts.parse("cooperation satel")
        assert query is not None and [hit for hit, _ in fts.match(session, query)] == [ids[0]]
        marked = fts.highlight(session, query, ids[:1])[ids[0]]
    assert str(marked.name) == "Space <mark>Cooperation</mark> Hub"
    assert "<mark>cooperating</mark>" in marked.snippet
    assert "<mark>satellites</mark>" in marked.snippet
    assert "&lt;script&gt;" in marked.snippet and "<script>" not in marked.snippet
