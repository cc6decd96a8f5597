"""Back up and restore the whole database, SQLite or PostgreSQL, while the server runs.

A backup is a consistent snapshot in one archive (``store.backup_archive``):

* SQLite, native: the online backup API copies the live database page by page inside one read
  transaction, so writers carry on and the copy is the database as of one moment. Copying the
  file instead would miss what is still in the write-ahead log, or catch a checkpoint half done.
* PostgreSQL, native: ``pg_dump --format=custom`` of the database's schema, run on a snapshot
  exported by a repeatable-read transaction in which the row counts and the schema revision of
  the manifest are read too. Without a usable ``pg_dump`` the backup falls back to logical.
* Logical (either database): every table as JSON lines (``store.backup_logical``), read in one
  snapshot; the same file restores into SQLite or PostgreSQL.

A restore replaces the configured database's contents, all or nothing. The archive is verified
first (checksums, row counts, schema revision); PostgreSQL is then restored in one
transaction, SQLite into a staging file beside the database that is copied over it with the
backup API only once complete. In both cases the schema is migrated to the head revision,
the row counts are checked against the manifest and the caller's ``rebuild`` recomputes the
derived indexes (the full-text index) before anything becomes visible; a failure at any step
leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from clusterhub import __version__
from clusterhub.config import Settings
from clusterhub.errors import InvalidInput
from clusterhub.store import generations
from clusterhub.store.backup_archive import (
    PG_DUMP_MEMBER,
    SQLITE_MEMBER,
    Archive,
    Manifest,
    Payload,
    TableInfo,
    writing,
)
from clusterhub.store.backup_logical import (
    count_rows,
    export_tables,
    import_tables,
    reset_sequences,
)
from clusterhub.store.backup_pg import dump, restore_script, run_script, usable_pg_dump
from clusterhub.store.db import (
    current_revision,
    head_revision,
    is_known_revision,
    make_engine,
    upgrade_connection,
)
from clusterhub.store.fts import TABLE as FTS_TABLE
from clusterhub.store.models import Base

Format = Literal["native", "logical"]
#: Recomputes derived indexes inside the restore's transaction; returns how many entries.
Rebuild = Callable[[Session], int]
#: Sees a verified backup's manifest before the database is changed; raises to stop.
Approve = Callable[[Manifest], None]
_PAYLOAD_DATABASE: dict[Payload, str] = {"sqlite": "sqlite", "pg_dump": "postgresql"}


@dataclass(frozen=True)
class BackupResult:
    """A written backup; ``note`` says why the format differs from the one asked for."""

    path: Path
    manifest: Manifest
    note: str = ""


@dataclass(frozen=True)
class RestoreResult:
    """A completed restore: what was restored, the revision it was migrated from (None when
    it was at the head already) and how many index entries were rebuilt."""

    manifest: Manifest
    migrated_from: str | None
    revision: str
    reindexed: int | None


def backup(
    settings: Settings, path: Path, *, format: Format = "native", overwrite: bool = False
) -> BackupResult:
    """Write a consistent backup of the configured database to ``path``."""
    if _is_sqlite(settings):
        return _backup_sqlite(settings, path, format=format, overwrite=overwrite)
    return _backup_postgres(settings, path, format=format, overwrite=overwrite)


def restore(
    settings: Settings,
    path: Path,
    *,
    rebuild: Rebuild | None = None,
    approve: Approve | None = None,
) -> RestoreResult:
    """Replace the configured database's contents with the backup at ``path``, all or nothing.

    ``approve`` sees the verified manifest before anything is changed and may raise to stop
    (the command line asks for confirmation there).
    """
    with Archive(path) as archive:
        archive.verify()
        _check_revision(archive.manifest, path)
        target = "sqlite" if _is_sqlite(settings) else "postgresql"
        _check_payload_fits(archive.manifest, target, path)
        if approve is not None:
            approve(archive.manifest)
        if target == "sqlite":
            return _restore_sqlite(settings, archive, rebuild)
        return _restore_postgres(settings, archive, rebuild)


# --- SQLite -------------------------------------------------------------------------------------


def _backup_sqlite(
    settings: Settings, path: Path, *, format: Format, overwrite: bool
) -> BackupResult:
    source = _sqlite_file(settings)
    if not source.is_file():
        raise InvalidInput.single("no database to back up", file=str(source))
    with _scratch(path.resolve().parent) as scratch:
        snapshot = scratch / "snapshot.db"
        _copy_sqlite(source, snapshot, into_rollback_journal=True)
        with writing(path, overwrite=overwrite) as writer:
            if format == "native":  # the file as the backup API wrote it, before it is opened
                writer.add_file(SQLITE_MEMBER, snapshot)
            engine = make_engine(_sqlite_settings(settings, snapshot))
            try:
                with engine.connect() as connection:
                    revision = _revision_of(connection, str(source))
                    if format == "logical":
                        tables = export_tables(connection, writer)
                    else:
                        tables = count_rows(connection)
            finally:
                engine.dispose()
            payload: Payload = "logical" if format == "logical" else "sqlite"
            manifest = _manifest(payload, revision, "sqlite", tables)
            return BackupResult(path, writer.finish(manifest))


def _restore_sqlite(settings: Settings, archive: Archive, rebuild: Rebuild | None) -> RestoreResult:
    target = _sqlite_file(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    seen = _seen_counters(settings) if target.is_file() else {}
    with _scratch(target.parent) as scratch:
        staging = scratch / "restore.db"
        if archive.manifest.payload == "sqlite":
            archive.extract(SQLITE_MEMBER, staging)
            _check_sqlite_file(staging, archive)
        engine = make_engine(_sqlite_settings(settings, staging))
        try:
            with engine.begin() as connection:
                if archive.manifest.payload == "logical":
                    _load_logical(connection, archive)
                result = _finish(connection, archive, rebuild, seen)
        finally:
            engine.dispose()
        _copy_sqlite(staging, target)
    return result


def _copy_sqlite(source: Path, destination: Path, *, into_rollback_journal: bool = False) -> None:
    """Copy a database with SQLite's online backup API, in one step: one read transaction on
    the source (a consistent snapshot; writers go on in WAL mode) and one write transaction on
    the destination (readers see the old or the new database, never a mixture)."""
    reader = _open_existing(source)
    writer = sqlite3.connect(destination, timeout=60.0)
    try:
        reader.backup(writer)
        if into_rollback_journal:  # a self-contained file: nothing beside it in a -wal file
            writer.execute("PRAGMA journal_mode=DELETE")
    finally:
        writer.close()
        reader.close()


def _check_sqlite_file(staging: Path, archive: Archive) -> None:
    try:
        connection = _open_existing(staging)
        try:
            verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        verdict = [str(exc)]
    if verdict != ["ok"]:
        raise InvalidInput.single(
            f"the SQLite database in the backup is damaged ({'; '.join(verdict[:3])})",
            file=f"{archive.path}!{SQLITE_MEMBER}",
        )


def _open_existing(path: Path) -> sqlite3.Connection:
    """A connection to a database file that must exist (``connect`` would create an empty
    one); a URI, so the path is percent-encoded whatever characters it holds."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)


def _sqlite_file(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise InvalidInput.single(
            "an in-memory SQLite database cannot be backed up or restored",
            field="database_url",
        )
    return Path(database).expanduser()


def _sqlite_settings(settings: Settings, path: Path) -> Settings:
    return settings.model_copy(update={"database_url": f"sqlite:///{path}"})


# --- PostgreSQL ---------------------------------------------------------------------------------


def _backup_postgres(
    settings: Settings, path: Path, *, format: Format, overwrite: bool
) -> BackupResult:
    engine = make_engine(settings)
    try:
        snapshot = engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with snapshot as connection, connection.begin():
            revision = _revision_of(connection, "the configured database")
            tool, note = usable_pg_dump(connection) if format == "native" else (None, "")
            with writing(path, overwrite=overwrite) as writer:
                if tool is None:
                    tables = export_tables(connection, writer)
                    manifest = _manifest("logical", revision, "postgresql", tables, connection)
                else:
                    manifest = _manifest(
                        "pg_dump", revision, "postgresql", count_rows(connection), connection
                    )
                    exported = str(connection.scalar(text("SELECT pg_export_snapshot()")))
                    with writer.member(PG_DUMP_MEMBER, compressed=True) as sink:
                        dump(
                            tool,
                            engine.url,
                            snapshot=exported,
                            schema=str(manifest.schema),
                            sink=sink,
                        )
                return BackupResult(path, writer.finish(manifest), note)
    finally:
        engine.dispose()


def _restore_postgres(
    settings: Settings, archive: Archive, rebuild: Rebuild | None
) -> RestoreResult:
    engine = make_engine(settings)
    try:
        with engine.begin() as connection:
            schema = _schema_of(connection)
            if archive.manifest.payload == "pg_dump" and archive.manifest.schema != schema:
                raise InvalidInput.single(
                    f"this pg_dump backup holds schema {archive.manifest.schema!r} and the "
                    f"configured database uses schema {schema!r}; restore a logical backup "
                    "(clusterhub backup --format logical) to change schemas",
                    file=str(archive.path),
                    field="schema",
                )
            seen = _counters(connection)
            _drop_clusterhub_tables(connection)
            if archive.manifest.payload == "pg_dump":
                _load_pg_dump(connection, archive)
            else:
                _load_logical(connection, archive)
                reset_sequences(connection)
            return _finish(connection, archive, rebuild, seen)
    finally:
        engine.dispose()


def _load_pg_dump(connection: Connection, archive: Archive) -> None:
    with tempfile.TemporaryDirectory(prefix="clusterhub-restore-") as folder:
        dump_file = Path(folder) / PG_DUMP_MEMBER
        archive.extract(PG_DUMP_MEMBER, dump_file)
        member = f"{archive.path}!{PG_DUMP_MEMBER}"
        with restore_script(dump_file, file=member) as lines:
            run_script(connection, lines, file=member)


def _schema_of(connection: Connection) -> str:
    schema = connection.scalar(text("SELECT current_schema()"))
    if schema is None:
        raise InvalidInput.single(
            "no schema of the search_path exists in the configured database",
            field="database_url",
        )
    return str(schema)


def _drop_clusterhub_tables(connection: Connection) -> None:
    """Drop the tables clusterhub owns (others in the same schema are left alone)."""
    ours = {*Base.metadata.tables, "alembic_version", FTS_TABLE}
    present = [name for name in inspect(connection).get_table_names() if name in ours]
    if present:
        quote = connection.dialect.identifier_preparer.quote
        connection.execute(text(f"DROP TABLE {', '.join(quote(n) for n in present)} CASCADE"))


# --- shared steps -------------------------------------------------------------------------------


def _load_logical(connection: Connection, archive: Archive) -> None:
    """Create the schema at the archive's revision and insert its rows."""
    upgrade_connection(connection, archive.manifest.revision)
    import_tables(connection, archive)


def _finish(
    connection: Connection, archive: Archive, rebuild: Rebuild | None, seen: dict[str, int]
) -> RestoreResult:
    """Check what was loaded, migrate to the head, rebuild the derived indexes: every step in
    the restore's transaction (or staging file), before anything is visible."""
    manifest = archive.manifest
    revision = current_revision(connection)
    if revision != manifest.revision:
        raise InvalidInput.single(
            f"the restored data is at revision {revision}, the manifest says {manifest.revision}",
            file=str(archive.path),
            field="revision",
        )
    _check_counts(count_rows(connection), manifest, archive.path)
    upgrade_connection(connection, "head")
    head = head_revision()
    with Session(bind=connection) as session:
        reindexed = rebuild(session) if rebuild is not None else None
        generations.advance_past(session, seen)
    return RestoreResult(manifest, None if revision == head else revision, head, reindexed)


def _check_counts(found: tuple[TableInfo, ...], manifest: Manifest, path: Path) -> None:
    expected = {t.name: t.rows for t in manifest.tables}
    loaded = {t.name: t.rows for t in found}
    if loaded != expected:
        wrong = sorted(
            f"{name}: {loaded.get(name)} rows, expected {expected.get(name)}"
            for name in expected.keys() | loaded.keys()
            if loaded.get(name) != expected.get(name)
        )
        raise InvalidInput.single(
            f"the restored tables differ from the manifest ({'; '.join(wrong[:5])})",
            file=str(path),
        )


def _check_revision(manifest: Manifest, path: Path) -> None:
    if not is_known_revision(manifest.revision):
        raise InvalidInput.single(
            f"schema revision {manifest.revision!r} is newer than this clusterhub knows (its "
            f"newest is {head_revision()}); restore it with clusterhub "
            f"{manifest.clusterhub_version} or later",
            file=str(path),
            field="revision",
        )


def _check_payload_fits(manifest: Manifest, target: str, path: Path) -> None:
    needed = _PAYLOAD_DATABASE.get(manifest.payload)
    if needed is not None and needed != target:
        raise InvalidInput.single(
            f"a {manifest.payload} backup restores into {needed} only, and the configured "
            f"database is {target}; make a logical backup (clusterhub backup --format logical) "
            "to move between SQLite and PostgreSQL",
            file=str(path),
            field="payload",
        )


def _revision_of(connection: Connection, where: str) -> str:
    revision = current_revision(connection)
    if revision is None:
        raise InvalidInput.single(
            "has no schema revision: not a clusterhub database, or never migrated "
            "(run 'clusterhub serve' once)",
            file=where,
        )
    return revision


def _seen_counters(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            return _counters(connection)
    finally:
        engine.dispose()


def _counters(connection: Connection) -> dict[str, int]:
    """The index counters of the database about to be replaced (none if it has no schema),
    after checking that this code knows its revision."""
    revision = current_revision(connection)
    if revision is not None and not is_known_revision(revision):
        raise InvalidInput.single(
            f"the configured database is at revision {revision!r}, newer than this clusterhub "
            f"(newest {head_revision()}); upgrade clusterhub before restoring into it",
            field="database_url",
        )
    if not inspect(connection).has_table("index_generations"):
        return {}
    with Session(bind=connection) as session:
        return generations.all_counters(session)


def _manifest(
    payload: Payload,
    revision: str,
    database: str,
    tables: tuple[TableInfo, ...],
    connection: Connection | None = None,
) -> Manifest:
    return Manifest(
        payload=payload,
        clusterhub_version=__version__,
        revision=revision,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        database=database,
        tables=tables,
        schema=None
        if connection is None
        else str(connection.scalar(text("SELECT current_schema()"))),
        server_version=None
        if connection is None
        else str(connection.scalar(text("SHOW server_version"))),
    )


def _is_sqlite(settings: Settings) -> bool:
    return settings.database_url.startswith("sqlite")


@contextmanager
def _scratch(folder: Path) -> Iterator[Path]:
    """A private temporary folder inside ``folder`` (same file system: no cross-device copy)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".clusterhub-") as name:
        yield Path(name)
