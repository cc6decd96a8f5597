"""The change counters and their log of changed items, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clusterhub.config import Settings
from clusterhub.store import generations
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import IndexChange


def _bumps(settings: Settings, *changes: list[int] | None) -> list[int]:
    sessions = make_session_factory(make_engine(settings))
    made = []
    for items in changes:
        with transaction(sessions) as session:
            made.append(generations.bump(session, items=items))
    return made


def _since(settings: Settings, since: int, upto: int) -> set[int] | None:
    with make_session_factory(make_engine(settings))() as session:
        return generations.changed_since(session, since, upto)


def test_the_log_lists_what_each_generation_changed(db_settings: Settings) -> None:
    assert _bumps(db_settings, [3, 1], [7], [3]) == [1, 2, 3]
    assert _since(db_settings, 0, 3) == {1, 3, 7}
    assert _since(db_settings, 1, 3) == {3, 7}
    assert _since(db_settings, 2, 3) == {3}
    assert _since(db_settings, 3, 3) == set()


def test_a_change_of_everything_or_of_too_many_items_means_reload(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generations, "MAX_ITEMS", 2)
    _bumps(db_settings, [1], None, [2], [4, 5, 6])
    assert _since(db_settings, 0, 1) == {1}
    assert _since(db_settings, 0, 2) is None  # generation 2 changed everything
    assert _since(db_settings, 2, 3) == {2}
    assert _since(db_settings, 3, 4) is None  # three items: over the limit
    with make_session_factory(make_engine(db_settings))() as session:
        rows = session.scalar(select(func.count()).where(IndexChange.generation == 4))
    assert rows == 1  # recorded as one row, not one per item


def test_an_index_older_than_the_log_or_never_built_reloads(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generations, "_PRUNE_EVERY", 4)
    monkeypatch.setattr(generations, "KEEP", 2)
    _bumps(db_settings, [1], [2], [3], [4])  # the fourth prunes generations 1 and 2
    assert _since(db_settings, -1, 4) is None
    assert _since(db_settings, 0, 4) is None  # more generations behind than are kept
    assert _since(db_settings, 2, 4) == {3, 4}
    with make_session_factory(make_engine(db_settings))() as session:
        kept = set(session.scalars(select(IndexChange.generation)))
    assert kept == {3, 4}


def test_a_restore_makes_every_index_reload(db_settings: Settings) -> None:
    _bumps(db_settings, [1], [2])
    with transaction(make_session_factory(make_engine(db_settings))) as session:
        generations.advance_past(session, {generations.DIRECTORY: 5})
        now = generations.current(session)
    assert now == 6
    assert _since(db_settings, 5, 6) is None
    assert _since(db_settings, 1, 2) == {2}  # the log before it still reads as it was


def test_a_restore_into_a_database_no_server_has_read_still_moves_the_counter(
    db_settings: Settings,
) -> None:
    _bumps(db_settings, [1], [2])  # as restored from a backup
    with transaction(make_session_factory(make_engine(db_settings))) as session:
        generations.advance_past(session, {})  # the target had no counter before
        assert generations.current(session) == 3
    assert _since(db_settings, 0, 3) is None  # an index built on the empty target rebuilds
