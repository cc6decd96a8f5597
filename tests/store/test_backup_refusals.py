"""Backups a restore must refuse, and restores that fail part-way: the database stays as it was.

Each damaged file is made from a real backup of a real database; the target database has other
content, and its every table is compared before and after the refused restore.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput
from clusterhub.services.accounts.users import create_user
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.directory import sources as directory_sources
from clusterhub.store.backup import backup, restore
from clusterhub.store.backup_archive import MANIFEST, Archive, Manifest, writing
from clusterhub.store.backup_pg import run_script
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.conftest import migrated_database
from tests.table_compare import differences, snapshot

Members = dict[str, bytes]


def _content(settings: Settings, email: str, *, partnerships: bool) -> None:
    with transaction(make_session_factory(make_engine(settings))) as session:
        if partnerships:
            directory_sources.load_partnerships(session, by=BOOTSTRAP)
        create_user(session, email=email, display_name=email, password="long enough pw")


@pytest.fixture
def target(db_settings: Settings) -> Settings:
    """The database a restore is refused into: it must keep this content."""
    _content(db_settings, "keep@example.org", partnerships=False)
    return db_settings


@pytest.fixture
def pg_target(tmp_path: Path) -> Iterator[Settings]:
    """A PostgreSQL database with content a refused restore must leave alone."""
    with migrated_database("postgres", tmp_path / "pg-target") as settings:
        _content(settings, "keep@example.org", partnerships=False)
        yield settings


@pytest.fixture(scope="module")
def logical_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real logical backup, made once: the damage tests edit copies of it."""
    folder = tmp_path_factory.mktemp("logical")
    with migrated_database("sqlite", folder) as source:
        _content(source, "source@example.org", partnerships=True)
        return backup(source, folder / "logical.zip", format="logical").path


@pytest.fixture
def made(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """``made(kind, format)``: a real backup of a database of ``kind`` with other content."""
    folder = tmp_path / "sources"

    def make(kind: str, format: str) -> Path:
        with migrated_database(kind, folder / f"{kind}-{format}") as source:
            _content(source, "source@example.org", partnerships=True)
            return backup(source, folder / f"{kind}-{format}.zip", format=format).path  # type: ignore[arg-type]

    yield make


def _members(path: Path) -> tuple[Manifest, Members]:
    with Archive(path) as archive, zipfile.ZipFile(path) as raw:
        return archive.manifest, {m.name: raw.read(m.name) for m in archive.manifest.members}


def _rebuilt(path: Path, manifest: Manifest, members: Members) -> Path:
    """An archive with these members, written by the real writer: checksums match again."""
    out = path.with_name(f"rebuilt-{path.name}")
    with writing(out, overwrite=True) as writer:
        for name, data in members.items():
            with writer.member(name) as sink:
                sink.write(data)
        writer.finish(manifest)
    return out


def _zipped(path: Path, entries: dict[str, bytes]) -> Path:
    """A zip with exactly these entries (the manifest as given: checksums may not match)."""
    out = path.with_name(f"edited-{path.name}")
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out


def _edit_manifest(path: Path, change: Callable[[dict[str, object]], None]) -> Path:
    with zipfile.ZipFile(path) as raw:
        entries = {name: raw.read(name) for name in raw.namelist()}
    manifest = json.loads(entries[MANIFEST])
    change(manifest)
    entries[MANIFEST] = json.dumps(manifest).encode()
    return _zipped(path, entries)


def _flip_byte(path: Path) -> Path:
    with zipfile.ZipFile(path) as raw:
        entries = {name: raw.read(name) for name in raw.namelist()}
    name = "tables/users.jsonl"
    entries[name] = entries[name].replace(b"source@", b"sourcE@")
    return _zipped(path, entries)


def _truncated(path: Path) -> Path:
    out = path.with_name(f"cut-{path.name}")
    out.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return out


def _unlisted_member(path: Path) -> Path:
    with zipfile.ZipFile(path) as raw:
        entries = {name: raw.read(name) for name in raw.namelist()}
    entries["tables/extra.jsonl"] = b"[1]\n"
    return _zipped(path, entries)


def _without_manifest(path: Path) -> Path:
    with zipfile.ZipFile(path) as raw:
        entries = {name: raw.read(name) for name in raw.namelist() if name != MANIFEST}
    return _zipped(path, entries)


def _not_a_zip(path: Path) -> Path:
    out = path.with_name("plain.db")
    out.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    return out


DAMAGE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated": (_truncated, "not a zip archive, or cut short"),
    "member changed": (_flip_byte, "does not match its checksum"),
    "unlisted member": (_unlisted_member, "members differ from the manifest"),
    "no manifest": (_without_manifest, "no manifest.json"),
    "raw SQLite file": (_not_a_zip, "this is a SQLite database file"),
    "newer format": (
        lambda p: _edit_manifest(p, lambda m: m.update(format_version=2)),
        "made by a newer clusterhub",
    ),
    "newer schema": (
        lambda p: _edit_manifest(p, lambda m: m.update(revision="9999")),
        "schema revision '9999' is newer than this clusterhub",
    ),
    "row count": (
        lambda p: _edit_manifest(
            p,
            lambda m: m["tables"][0].update(rows=m["tables"][0]["rows"] + 1),  # type: ignore[index]
        ),
        "the manifest says",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_file_that_cannot_be_verified_is_refused_and_nothing_changes(
    damage: str, target: Settings, logical_backup: Path, tmp_path: Path
) -> None:
    edit, message = DAMAGE[damage]
    damaged = edit(shutil.copy(logical_backup, tmp_path / "copy.zip"))
    before = snapshot(target)
    with pytest.raises(InvalidInput) as refused:
        restore(target, damaged)
    assert message in str(refused.value) and str(damaged) in str(refused.value)
    assert differences(before, snapshot(target)) == []


def test_rows_the_tables_refuse_stop_the_restore_part_way_and_nothing_changes(
    target: Settings, made: Callable[[str, str], Path]
) -> None:
    """A logical backup whose checksums match but whose last table with rows repeats its
    rows: every other table has been written when the insert fails."""
    original = made("sqlite", "logical")
    manifest, members = _members(original)
    last = [t for t in manifest.tables if t.rows][-1]
    assert last.name != manifest.tables[0].name
    name = f"tables/{last.name}.jsonl"
    members[name] += members[name]
    tables = tuple(
        dataclasses.replace(t, rows=t.rows * 2) if t is last else t for t in manifest.tables
    )
    broken = _rebuilt(original, dataclasses.replace(manifest, tables=tables), members)
    before = snapshot(target)
    with pytest.raises(InvalidInput, match=rf"{name}: a row cannot be stored"):
        restore(target, broken)
    assert differences(before, snapshot(target)) == []


@pytest.mark.postgres
def test_a_cut_pg_dump_with_matching_checksums_is_rolled_back(
    pg_target: Settings, made: Callable[[str, str], Path]
) -> None:
    target = pg_target
    engine = make_engine(target)
    with engine.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
    engine.dispose()
    original = made("postgres", "native")
    manifest, members = _members(original)
    assert manifest.payload == "pg_dump"
    dump = members["database.pgdump"]
    members["database.pgdump"] = dump[: int(len(dump) * 0.8)]
    broken = _rebuilt(original, dataclasses.replace(manifest, schema=schema), members)
    before = snapshot(target)
    with pytest.raises(InvalidInput, match=r"database\.pgdump"):
        restore(target, broken)
    assert differences(before, snapshot(target)) == []


def test_a_damaged_sqlite_payload_with_matching_checksums_is_refused(
    tmp_path: Path, made: Callable[[str, str], Path]
) -> None:
    manifest, members = _members(made("sqlite", "native"))
    database = bytearray(members["database.sqlite"])
    database[4096 : 4096 * 3] = b"\xff" * (4096 * 2)  # two pages of garbage
    members["database.sqlite"] = bytes(database)
    broken = _rebuilt(tmp_path / "b.zip", manifest, members)
    with migrated_database("sqlite", tmp_path / "t") as target:
        _content(target, "keep@example.org", partnerships=False)
        before = snapshot(target)
        with pytest.raises(InvalidInput, match="SQLite database in the backup is damaged"):
            restore(target, broken)
        assert differences(before, snapshot(target)) == []


@pytest.mark.postgres
def test_a_native_backup_goes_back_only_into_its_kind_and_schema(
    tmp_path: Path, target: Settings, made: Callable[[str, str], Path]
) -> None:
    pg_dump = made("postgres", "native")
    sqlite = made("sqlite", "native")
    other = sqlite if target.database_url.startswith("sqlite") else pg_dump
    wrong = pg_dump if other is sqlite else sqlite
    before = snapshot(target)
    with pytest.raises(InvalidInput, match="--format logical"):
        restore(target, wrong)
    if other is pg_dump:  # made in a schema of its own, not the target's
        with pytest.raises(InvalidInput, match="holds schema"):
            restore(target, other)
    assert differences(before, snapshot(target)) == []


def test_a_backup_never_overwrites_by_surprise_nor_leaves_a_partial_file(
    tmp_path: Path, target: Settings
) -> None:
    path = tmp_path / "b.zip"
    path.write_text("an older backup")
    with pytest.raises(InvalidInput, match="exists already"):
        backup(target, path)
    assert path.read_text() == "an older backup"
    assert backup(target, path, overwrite=True).manifest.tables
    empty = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", environment="test")
    make_engine(empty).connect().close()  # a SQLite file without any schema
    with pytest.raises(InvalidInput, match="no schema revision"):
        backup(empty, tmp_path / "never.zip")
    assert sorted(p.name for p in tmp_path.iterdir() if "never" in p.name) == []


@pytest.mark.postgres
def test_the_manifest_names_the_kind_of_database_never_its_password(
    tmp_path: Path, pg_target: Settings
) -> None:
    with_password = pg_target.model_copy(
        update={"database_url": pg_target.database_url.replace("postgres@", "postgres:s3cr3t-pw@")}
    )
    for format in ("native", "logical"):
        path = backup(with_password, tmp_path / f"{format}.zip", format=format).path  # type: ignore[arg-type]
        with zipfile.ZipFile(path) as raw:
            text_of_manifest = raw.read(MANIFEST).decode()
        assert "s3cr3t" not in text_of_manifest
        assert json.loads(text_of_manifest)["database"] == "postgresql"


@pytest.mark.postgres
def test_pg_dump_sql_runs_with_semicolons_in_quotes_and_copy_data(pg_target: Settings) -> None:
    script = [
        b"\\restrict key\n",
        b"-- a comment; with a semicolon\n",
        b"CREATE TABLE quoted (t text);\n",
        b"INSERT INTO quoted VALUES ('a;\n",
        b"b'), ($tag$c;\n",
        b"$tag$), ('it''s;');\n",
        b"COPY quoted (t) FROM stdin;\n",
        b"tab\\there;\n",
        b"\\.\n",
        b"\\unrestrict key\n",
    ]
    engine = make_engine(pg_target)
    with engine.begin() as connection:
        run_script(connection, iter(script), file="test.sql")
        rows = connection.execute(text("SELECT t FROM quoted")).scalars().all()
        assert rows == ["a;\nb", "c;\n", "it's;", "tab\there;"]
        with pytest.raises(InvalidInput, match=r"test\.sql: the dump's SQL cannot be run"):
            run_script(connection, iter([b"CREATE TABLE quoted (t text);\n"]), file="test.sql")
    engine.dispose()
