"""The backup file: a zip archive whose manifest lets a restore verify it before touching data.

Every backup, whatever its payload, is one zip file holding ``manifest.json`` and the payload:

* ``database.sqlite``: a SQLite database file (from the online backup API);
* ``database.pgdump``: a ``pg_dump --format=custom`` archive;
* ``tables/<table>.jsonl``: one JSON-lines file per table (the logical, portable format).

The manifest says what the archive holds (format version, clusterhub version, schema revision,
when, which kind of database, each table's row count) and the SHA-256 and size of every member.
A restore reads it first and checks every member against it, so a truncated, damaged or edited
file is refused before the database is changed. The zip's own CRC would catch damage too, but
only once a member has been read to its end: the checksums in the manifest also cover a member
replaced by someone who rewrote the zip.

An archive is written under a temporary name beside its destination and renamed into place
only once complete, so an interrupted backup never leaves a truncated file under the real name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Literal, get_args

from clusterhub.errors import InvalidInput

KIND = "clusterhub-backup"
#: Raised when the layout changes in a way an older restore could not read.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_DUMP_MEMBER = "database.pgdump"
Payload = Literal["sqlite", "pg_dump", "logical"]
PAYLOADS: tuple[Payload, ...] = get_args(Payload)
Encoding = Literal["plain", "json", "base64", "datetime", "date"]
ENCODINGS: tuple[Encoding, ...] = get_args(Encoding)
_CHUNK = 1 << 20


def table_member(table: str) -> str:
    """The archive member holding a table's rows in the logical format."""
    return f"tables/{table}.jsonl"


@dataclass(frozen=True)
class Column:
    """A column of a logical table file: its name and how its values are written in JSON."""

    name: str
    encoding: Encoding


@dataclass(frozen=True)
class TableInfo:
    """One table of the backup, in foreign-key order; ``columns`` only for the logical payload."""

    name: str
    rows: int
    columns: tuple[Column, ...] = ()


@dataclass(frozen=True)
class Member:
    """A file inside the archive, with what it must hash to."""

    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What a backup holds. ``database`` is the kind of database it came from (``sqlite`` or
    ``postgresql``), never its address: a URL may carry a password."""

    payload: Payload
    clusterhub_version: str
    revision: str
    created_at: str
    database: str
    tables: tuple[TableInfo, ...]
    members: tuple[Member, ...] = ()
    #: The PostgreSQL schema a ``pg_dump`` payload was taken from (its statements name it).
    schema: str | None = None
    server_version: str | None = None
    kind: str = KIND
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        """The manifest as the archive stores it (indented: people read it with ``unzip -p``)."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


@dataclass
class _Written:
    """Digest and size of a member as it is being written."""

    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0


class _HashingWriter:
    """A binary sink that hashes and counts what passes through to the zip member."""

    def __init__(self, sink: IO[bytes], tally: _Written) -> None:
        self._sink = sink
        self._tally = tally

    def write(self, data: bytes) -> int:
        self._tally.digest.update(data)
        self._tally.size += len(data)
        return self._sink.write(data)


class ArchiveWriter:
    """Builds an archive member by member, then writes the manifest and moves it into place."""

    def __init__(self, path: Path, *, overwrite: bool) -> None:
        if path.exists() and not overwrite:
            raise InvalidInput.single(
                "exists already; choose another name or allow overwriting it",
                file=str(path),
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._partial = path.with_name(f".{path.name}.partial")
        self._zip = zipfile.ZipFile(
            self._partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
        )
        self._members: list[Member] = []

    @contextmanager
    def member(self, name: str, *, compressed: bool = False) -> Iterator[_HashingWriter]:
        """A writer for member ``name``; its checksum is recorded when the block ends.

        ``compressed`` data (a pg_dump archive) is stored as it is: deflating it again would
        cost time and save nothing.
        """
        tally = _Written()
        entry: str | zipfile.ZipInfo = name  # deflated at the archive's (fast) level
        if compressed:
            entry = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
            entry.compress_type = zipfile.ZIP_STORED
        with self._zip.open(entry, "w", force_zip64=True) as sink:
            yield _HashingWriter(sink, tally)
        self._members.append(Member(name, tally.digest.hexdigest(), tally.size))

    def add_file(self, name: str, source: Path) -> None:
        """Copy a file into member ``name`` in chunks."""
        with self.member(name) as sink, source.open("rb") as data:
            while chunk := data.read(_CHUNK):
                sink.write(chunk)

    def finish(self, manifest: Manifest) -> Manifest:
        """Write ``manifest`` with the members' checksums, close and rename into place."""
        complete = replace(manifest, members=tuple(self._members))
        self._zip.writestr(MANIFEST, complete.to_json(), compress_type=zipfile.ZIP_STORED)
        self._zip.close()
        with self._partial.open("rb") as written:  # on disk before it is called a backup
            os.fsync(written.fileno())
        self._partial.replace(self.path)
        return complete

    def abandon(self) -> None:
        """Close and delete the unfinished archive (the destination is left as it was)."""
        self._zip.close()
        self._partial.unlink(missing_ok=True)


@contextmanager
def writing(path: Path, *, overwrite: bool = False) -> Iterator[ArchiveWriter]:
    """An :class:`ArchiveWriter` that is abandoned if the block raises."""
    writer = ArchiveWriter(path, overwrite=overwrite)
    try:
        yield writer
    except BaseException:
        writer.abandon()
        raise


class Archive:
    """A backup file opened for reading, its manifest parsed and its members verifiable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = _open_zip(path)
        self.manifest = _read_manifest(self._zip, str(path))
        self._check_member_list()

    def close(self) -> None:
        """Release the file."""
        self._zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def verify(self) -> None:
        """Read every member and check it against the manifest (raises ``InvalidInput``):
        its checksum and size and, for a table of the logical format, its number of rows."""
        rows = {table_member(t.name): t.rows for t in self.manifest.tables}
        for member in self.manifest.members:
            with self.open(member.name) as stream:
                if member.name in rows:
                    found = sum(1 for _ in stream)
                    if found != rows[member.name]:
                        raise self._damaged(
                            member.name,
                            f"holds {found} rows, the manifest says {rows[member.name]}",
                        )
                else:
                    while stream.read(_CHUNK):
                        pass

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """Member ``name`` for reading; when the block ends it must have been read completely
        and matched its checksum, else ``InvalidInput`` (even if the caller stopped early)."""
        member = next(m for m in self.manifest.members if m.name == name)
        tally = _Written()
        try:
            raw = self._zip.open(name)
        except (zipfile.BadZipFile, OSError) as exc:
            raise self._damaged(name, f"cannot be read ({exc})") from None
        hashing = _HashingRaw(raw, tally, lambda exc: self._damaged(name, str(exc)))
        with raw, io.BufferedReader(hashing, buffer_size=_CHUNK) as reader:
            yield reader
            while reader.read(_CHUNK):
                pass
        if tally.size != member.size or tally.digest.hexdigest() != member.sha256:
            raise self._damaged(name, "does not match its checksum in the manifest")

    def extract(self, name: str, destination: Path) -> None:
        """Copy member ``name`` to ``destination``, verified on the way."""
        with self.open(name) as source, destination.open("wb") as sink:
            while chunk := source.read(_CHUNK):
                sink.write(chunk)

    def lines(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        """The rows of a logical table member: (line number, decoded JSON array)."""
        with self.open(name) as stream:
            for number, raw in enumerate(stream, start=1):
                yield number, self._row(name, number, raw)

    def _row(self, name: str, number: int, raw: bytes) -> list[Any]:
        try:
            row = json.loads(raw)
        except ValueError as exc:
            raise self._damaged(name, f"is not JSON ({exc.__class__.__name__})", number) from None
        if not isinstance(row, list):
            raise self._damaged(name, "expected a JSON array of column values", number)
        return row

    def _check_member_list(self) -> None:
        stored = set(self._zip.namelist()) - {MANIFEST}
        listed = {m.name for m in self.manifest.members}
        if stored != listed:
            missing = sorted(listed - stored)
            extra = sorted(stored - listed)
            raise InvalidInput.single(
                f"members differ from the manifest (missing {missing}, unlisted {extra})",
                file=str(self.path),
            )
        expected = _payload_members(self.manifest)
        if expected != listed:
            raise InvalidInput.single(
                f"a {self.manifest.payload} backup holds {sorted(expected)}, found "
                f"{sorted(listed)}",
                file=str(self.path),
            )

    def _damaged(self, member: str, message: str, line: int | None = None) -> InvalidInput:
        return InvalidInput.single(
            f"{message}: the backup is damaged or was changed after it was made",
            file=f"{self.path}!{member}",
            line=line,
        )


class _HashingRaw(io.RawIOBase):
    """A member's bytes, hashed and counted in the chunks they are read in; a damaged member
    (bad compressed data, a cut-off file) is reported as ``InvalidInput``. Buffered above,
    so that reading line by line costs no hashing call per line."""

    def __init__(
        self, raw: IO[bytes], tally: _Written, damaged: Callable[[Exception], InvalidInput]
    ) -> None:
        self._raw = raw
        self._tally = tally
        self._damaged = damaged

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise self._damaged(exc) from None
        size = len(data)
        buffer[:size] = data
        self._tally.digest.update(data)
        self._tally.size += size
        return size


def _payload_members(manifest: Manifest) -> set[str]:
    if manifest.payload == "sqlite":
        return {SQLITE_MEMBER}
    if manifest.payload == "pg_dump":
        return {PG_DUMP_MEMBER}
    return {table_member(t.name) for t in manifest.tables}


_SIGNATURES = {
    b"SQLite format 3\x00": "a SQLite database file",
    b"PGDMP": "a pg_dump archive",
}


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise InvalidInput.single("no such backup file", file=str(path))
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        with path.open("rb") as stream:
            head = stream.read(16)
        raw = next((what for sig, what in _SIGNATURES.items() if head.startswith(sig)), None)
        why = (
            f"this is {raw}, not an archive made by 'clusterhub backup'"
            if raw
            else "not a clusterhub backup: not a zip archive, or cut short (truncated)"
        )
        raise InvalidInput.single(why, file=str(path)) from None


def _read_manifest(archive: zipfile.ZipFile, file: str) -> Manifest:
    try:
        data = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise InvalidInput.single(
            f"no {MANIFEST}: not an archive made by 'clusterhub backup'", file=file
        ) from None
    except (ValueError, zipfile.BadZipFile) as exc:
        raise InvalidInput.single(f"unreadable {MANIFEST} ({exc})", file=file) from None
    return parse_manifest(data, f"{file}!{MANIFEST}")


def parse_manifest(data: object, file: str) -> Manifest:
    """A manifest from its JSON, or ``InvalidInput`` naming the field that is wrong."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise InvalidInput.single(f"expected kind {KIND!r}", file=file, field="kind")
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise InvalidInput.single(
            f"format version {version!r} is not one this clusterhub reads (1 to "
            f"{FORMAT_VERSION}); it was made by a newer clusterhub",
            file=file,
            field="format_version",
        )
    try:
        return Manifest(
            payload=_choice(data, "payload", PAYLOADS, file),
            clusterhub_version=_text(data, "clusterhub_version", file),
            revision=_text(data, "revision", file),
            created_at=_text(data, "created_at", file),
            database=_text(data, "database", file),
            tables=tuple(_table(t, file) for t in _list(data, "tables", file)),
            members=tuple(
                Member(_text(m, "name", file), _text(m, "sha256", file), _int(m, "size", file))
                for m in _list(data, "members", file)
            ),
            schema=data.get("schema"),
            server_version=data.get("server_version"),
        )
    except (TypeError, AttributeError):
        raise InvalidInput.single("malformed manifest", file=file) from None


def _table(data: Any, file: str) -> TableInfo:
    columns = tuple(
        Column(_text(c, "name", file), _choice(c, "encoding", ENCODINGS, file))
        for c in _list(data, "columns", file)
    )
    return TableInfo(_text(data, "name", file), _int(data, "rows", file), columns)


def _text(data: Any, key: str, file: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput.single("expected a non-empty string", file=file, field=key)
    return value


def _int(data: Any, key: str, file: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput.single("expected a whole number >= 0", file=file, field=key)
    return value


def _list(data: Any, key: str, file: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise InvalidInput.single("expected a list", file=file, field=key)
    return value


def _choice(data: Any, key: str, allowed: tuple[Any, ...], file: str) -> Any:
    value = data.get(key)
    if value not in allowed:
        raise InvalidInput.single(
            f"expected one of {', '.join(allowed)}", file=file, field=key, value=str(value)
        )
    return value
