"""Backup and restore round trips on SQLite and PostgreSQL: every table identical afterwards.

A database with real content in every table (``backup_content``) is backed up, restored into
another database (or into itself after it was changed) and compared with a snapshot taken at
backup time, row by row and column by column; keyword search must answer as before.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import delete, func, select, text

from clusterhub.config import Settings
from clusterhub.services.accounts.users import create_user
from clusterhub.services.audit import Actor
from clusterhub.services.backup import backup_database, restore_database
from clusterhub.services.embeddings import Embedder
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.store import fts, generations
from clusterhub.store.db import (
    MIGRATIONS,
    head_revision,
    make_engine,
    make_session_factory,
    transaction,
)
from clusterhub.store.models import AuditEntry, LoginAttempt, Organisation, Partnership
from tests.conftest import DB_KINDS, migrated_database
from tests.services.backup_content import fill
from tests.table_compare import (
    FTS_KEY,
    Snapshot,
    as_restored,
    differences,
    row_counts,
    snapshot,
)

Filled = Callable[[str], tuple[Settings, Snapshot]]
OPERATOR = Actor.command_line()
PG = pytest.mark.postgres
#: Words of U.S. cluster organisations' names and texts that keyword search must still find.
QUERIES = ("aerospace", "biotech", "water", "energy")


@pytest.fixture(scope="module")
def filled(
    tmp_path_factory: pytest.TempPathFactory,
    reference: ReferenceData,
    catalogues: Catalogues,
    us_map: ClusterMap,
    embedder: Embedder,
) -> Iterator[Filled]:
    """A filled database of a kind, made once per module when a test first asks for it, with
    its snapshot. Tests only read it."""
    made: dict[str, tuple[Settings, Snapshot]] = {}
    with ExitStack() as stack:

        def get(kind: str) -> tuple[Settings, Snapshot]:
            if kind not in made:
                folder = tmp_path_factory.mktemp(f"source-{kind}")
                settings = stack.enter_context(migrated_database(kind, folder))
                fill(
                    settings,
                    reference=reference,
                    catalogues=catalogues,
                    us_map=us_map,
                    embedder=embedder,
                )
                made[kind] = (settings, snapshot(settings))
            return made[kind]

        yield get


def _kind(settings: Settings) -> str:
    return "sqlite" if settings.database_url.startswith("sqlite") else "postgres"


def _hits(settings: Settings) -> dict[str, set[int]]:
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        found = {}
        for words in QUERIES:
            query = fts.parse(words)
            assert query is not None
            found[words] = {hit for hit, _ in fts.match(session, query)}
    engine.dispose()
    return found


def test_the_test_database_has_rows_in_every_table(filled: Filled) -> None:
    _, expected = filled("sqlite")
    empty = [table for table, rows in row_counts(expected).items() if rows == 0]
    assert empty == []
    assert row_counts(expected)["cluster_metrics"] == 3350


def _restored(settings: Settings) -> Snapshot:
    """The database after a restore, less the restore's own audit entry (checked here): the
    restore records itself in its transaction, so it is the one row the backup did not hold."""
    found = snapshot(settings)
    entry = found["audit_log"].pop()
    assert (entry["action"], entry["actor"]) == ("database.restore", OPERATOR.name), entry
    return found


LOGICAL_PAIRS = [
    pytest.param("sqlite", "native", "sqlite", id="sqlite-native"),
    pytest.param("sqlite", "logical", "sqlite", id="sqlite-logical"),
    pytest.param("postgres", "logical", "postgres", id="postgres-logical", marks=PG),
    pytest.param("sqlite", "logical", "postgres", id="sqlite-to-postgres", marks=PG),
    pytest.param("postgres", "logical", "sqlite", id="postgres-to-sqlite", marks=PG),
]


@pytest.mark.parametrize(("source_kind", "format", "target_kind"), LOGICAL_PAIRS)
def test_restore_into_an_empty_database_gives_every_table_back(
    filled: Filled,
    catalogues: Catalogues,
    tmp_path: Path,
    source_kind: str,
    format: str,
    target_kind: str,
) -> None:
    source, _ = filled(source_kind)
    expected = snapshot(source)  # other tests' backups of this source are in its audit log
    result = backup_database(source, tmp_path / "backup.zip", format=format, by=OPERATOR)  # type: ignore[arg-type]
    assert result.manifest.payload == ("sqlite" if format == "native" else "logical")
    assert {t.name: t.rows for t in result.manifest.tables}.items() >= {
        "cluster_metrics": 3350,
        "organisations": len(expected["organisations"]),
    }.items()
    with migrated_database(target_kind, tmp_path / "target") as target:
        restored = restore_database(target, result.path, catalogues=catalogues, by=OPERATOR)
        assert restored.revision == head_revision() and restored.migrated_from is None
        assert restored.reindexed == len(expected["organisations"])
        assert differences(as_restored(expected), _restored(target)) == []
        if source_kind == target_kind:
            assert _hits(target) == _hits(source)
        else:  # the engines stem differently: each word still finds profiles
            assert all(_hits(target).values())


@pytest.mark.parametrize("kind", DB_KINDS)
def test_native_restore_puts_a_changed_database_back_as_it_was(
    kind: str,
    tmp_path: Path,
    reference: ReferenceData,
    catalogues: Catalogues,
    us_map: ClusterMap,
    embedder: Embedder,
) -> None:
    """SQLite's online backup and PostgreSQL's pg_dump, restored over later changes."""
    with migrated_database(kind, tmp_path) as settings:
        fill(settings, reference=reference, catalogues=catalogues, us_map=us_map, embedder=embedder)
        expected = snapshot(settings)
        result = backup_database(settings, tmp_path / "native.zip", by=OPERATOR)
        assert result.manifest.payload == ("sqlite" if kind == "sqlite" else "pg_dump")
        hits = _hits(settings)
        factory = make_session_factory(make_engine(settings))
        with transaction(factory) as session:  # changes made after the backup
            session.execute(delete(Partnership))
            session.execute(delete(Organisation).where(Organisation.id % 2 == 0))
            create_user(session, email="late@example.org", display_name="Late", password="x" * 12)
            generations.bump(session)
            seen = generations.current(session)
        restored = restore_database(settings, result.path, catalogues=catalogues, by=OPERATOR)
        assert restored.reindexed == len(expected["organisations"])
        # The index counter moves past the value running servers saw, so they rebuild.
        expected = as_restored(expected)
        for row in expected["index_generations"]:
            if row["name"] == "directory":
                row["generation"] = seen + 1
        [*_, last] = (c for c in expected["index_changes"] if c["name"] == "directory")
        last["generation"] = seen + 1
        assert differences(expected, _restored(settings)) == []
        assert _hits(settings) == hits
        with transaction(factory) as session:  # new rows get new keys after a restore
            user = create_user(
                session, email="new@example.org", display_name="N", password="x" * 12
            )
        assert user.id == max(row["id"] for row in expected["users"]) + 1


@pytest.mark.parametrize("kind", DB_KINDS)
def test_a_backup_of_an_older_schema_is_migrated_to_the_head(
    kind: str, tmp_path: Path, catalogues: Catalogues
) -> None:
    with migrated_database(kind, tmp_path) as settings:
        engine = make_engine(settings)
        with transaction(make_session_factory(engine)) as session:
            session.add(
                Organisation(
                    key="old:1", source="t", profile_type="cluster_organisation", name="Old"
                )
            )
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:  # back to revision 0002: no indicator_values yet
            config.attributes["connection"] = connection
            command.downgrade(config, "0002")
        engine.dispose()
        for format in ("logical", "native"):  # pg_dump is restored into the source: last
            result = backup_database(
                settings, tmp_path / f"{format}.zip", format=format, by=OPERATOR
            )  # type: ignore[arg-type]
            assert result.manifest.revision == "0002"
            with migrated_database(kind, tmp_path / format) as target:
                into = settings if result.manifest.payload == "pg_dump" else target
                restored = restore_database(into, result.path, catalogues=catalogues, by=OPERATOR)
                assert (restored.migrated_from, restored.revision) == ("0002", head_revision())
                restored_rows = snapshot(into)
                assert [o["name"] for o in restored_rows["organisations"]] == ["Old"]
                assert restored_rows["indicator_values"] == []
                assert restored_rows[FTS_KEY][0]["name"] == "Old"


def test_a_sqlite_backup_taken_while_another_connection_writes_is_consistent(
    tmp_path: Path, catalogues: Catalogues
) -> None:
    """Each write adds a login attempt and an audit entry in one transaction. A consistent
    copy holds as many of one as of the other, and every pair committed before the backup
    began: a copy of the database file would miss those still in the write-ahead log."""
    with migrated_database("sqlite", tmp_path) as settings:
        factory = make_session_factory(make_engine(settings))
        with transaction(factory) as session:  # some bulk, so a copy takes a while
            session.add_all(LoginAttempt(key=f"bulk{n}" * 20) for n in range(30_000))
        stop = threading.Event()
        committed = [0]

        def write() -> None:
            while not stop.is_set():
                with transaction(factory) as session:
                    session.add(LoginAttempt(key=f"pair{committed[0]}"))
                    session.add(
                        AuditEntry(
                            actor="system:test", action=f"pair{committed[0]}", entity_type="t"
                        )
                    )
                committed[0] += 1

        writer = threading.Thread(target=write)
        writer.start()
        try:
            deadline = time.monotonic() + 60
            while committed[0] < 10 and writer.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert committed[0] >= 10, "the writer stopped (see its exception above)"
            backups = []
            for number, format in enumerate(("native", "logical", "native", "logical")):
                before = committed[0]
                path = tmp_path / f"{number}.zip"
                backup_database(settings, path, format=format, by=OPERATOR)  # type: ignore[arg-type]
                backups.append((path, before, committed[0]))
        finally:
            stop.set()
            writer.join()
        for number, (path, before, after) in enumerate(backups):
            with migrated_database("sqlite", tmp_path / f"t{number}") as target:
                restore_database(target, path, catalogues=catalogues, by=OPERATOR)
                engine = make_engine(target)
                with engine.connect() as connection:
                    pairs = connection.scalar(
                        select(func.count()).where(LoginAttempt.key.like("pair%"))
                    )
                    audits = connection.scalar(
                        select(func.count()).where(AuditEntry.action.like("pair%"))
                    )
                engine.dispose()
                assert pairs == audits
                assert before <= (pairs or 0) <= after + 1
        assert committed[0] > backups[-1][2] > backups[0][1] > 0  # writes before and after


@pytest.mark.postgres
def test_without_a_usable_pg_dump_the_backup_is_logical_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalogues: Catalogues
) -> None:
    old = tmp_path / "bin"
    old.mkdir()
    fake = old / "pg_dump"  # an older client, which cannot dump this server
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    fake.chmod(0o755)
    with migrated_database("postgres", tmp_path / "db") as settings:
        for path, why in ((str(old), "pg_dump 11 cannot dump a PostgreSQL 15"), ("", "not on")):
            monkeypatch.setenv("PATH", path)
            result = backup_database(settings, tmp_path / f"b{len(path)}.zip", by=OPERATOR)
            assert result.manifest.payload == "logical"
            assert why in result.note
        monkeypatch.setenv("PATH", os.defpath)
        restore_database(settings, result.path, catalogues=catalogues, by=OPERATOR)


def test_the_comparison_sees_one_changed_value_in_any_column_kind(
    filled: Filled, catalogues: Catalogues, tmp_path: Path
) -> None:
    """The round-trip tests can fail: one ulp of a float, one microsecond, one byte of a
    vector, one key of a JSON value are each reported with table and column."""
    source, expected = filled("sqlite")
    result = backup_database(source, tmp_path / "b.zip", by=OPERATOR)
    with migrated_database("sqlite", tmp_path / "t") as target:
        restore_database(target, result.path, catalogues=catalogues, by=OPERATOR)
        engine = make_engine(target)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE cluster_metrics SET lq = lq * (1 + 2e-16) "
                    "WHERE id = (SELECT min(id) FROM cluster_metrics WHERE lq > 1)"
                )
            )
            connection.execute(
                text("UPDATE user_sessions SET expires_at = '2024-02-29 23:59:58.123457'")
            )
            connection.execute(
                text(
                    "UPDATE organisation_embeddings "
                    "SET vector = CAST(X'00' || substr(vector, 2) AS BLOB) "
                    "WHERE organisation_id = (SELECT min(organisation_id) FROM "
                    "organisation_embeddings)"
                )
            )
            connection.execute(
                text("UPDATE audit_log SET details = '{}' WHERE action = 'test.nested'")
            )
        engine.dispose()
        found = differences(as_restored(expected), snapshot(target))
    assert [line.split(":")[0].split(" row")[0] for line in found] == [
        "audit_log",
        "cluster_metrics",
        "organisation_embeddings",
        "user_sessions",
    ]
    assert "lq =" in found[1] and "vector =" in found[2] and "expires_at =" in found[3]
