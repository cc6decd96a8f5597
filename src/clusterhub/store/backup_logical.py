"""The logical backup format: every table's rows as JSON lines, the same for SQLite and PostgreSQL.

The tables are read from the database itself (reflection), not from the models: a database
that is still at an older schema revision backs up as it is, and the archive restores into a
database migrated to that same revision before it is brought to the head.

Each table is one member ``tables/<name>.jsonl``, written in foreign-key order (a table after
every table it refers to), rows in primary-key order, one JSON array of column values per line
in the column order of the manifest. Values that JSON has no type for are written as text the
manifest names per column: timestamps as ISO 8601 in UTC with their offset, dates as ISO
dates, binary values (sentence embeddings) as base64; JSON columns are written as the JSON
value itself. Rows are streamed both ways, a batch at a time, so memory does not grow with the
size of a table.

Not backed up: ``alembic_version`` (the manifest carries the revision and the restore migrates
to it) and the full-text index tables, whose layout differs per database; the restore rebuilds
the index from the profiles.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import JSON, Date, DateTime, LargeBinary, TypeEngine

from clusterhub.errors import InvalidInput
from clusterhub.store.backup_archive import (
    Archive,
    ArchiveWriter,
    Column,
    Encoding,
    TableInfo,
    table_member,
)
from clusterhub.store.fts import is_index_table
from clusterhub.store.models import as_utc

#: Rows per fetch and per insert: large enough to be fast, small enough to bound memory.
BATCH = 2_000
_NOT_DATA = frozenset({"alembic_version"})


def data_tables(connection: Connection) -> list[Table]:
    """The tables that hold data, in foreign-key order, as the database defines them now."""
    metadata = MetaData()
    metadata.reflect(
        bind=connection,
        only=lambda name, _meta: (
            not (name in _NOT_DATA or is_index_table(name) or name.startswith("sqlite_"))
        ),
    )
    return list(metadata.sorted_tables)


def count_rows(connection: Connection) -> tuple[TableInfo, ...]:
    """Each data table with its number of rows (what a restore must find again)."""
    return tuple(
        TableInfo(table.name, int(connection.scalar(select(func.count()).select_from(table)) or 0))
        for table in data_tables(connection)
    )


def export_tables(connection: Connection, writer: ArchiveWriter) -> tuple[TableInfo, ...]:
    """Write every data table to ``writer``; the caller holds one snapshot for all of them."""
    return tuple(_export(connection, table, writer) for table in data_tables(connection))


def _export(connection: Connection, table: Table, writer: ArchiveWriter) -> TableInfo:
    columns = tuple(Column(c.name, encoding_of(c.type)) for c in table.columns)
    encoders = [_ENCODERS[c.encoding] for c in columns]
    rows = 0
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execute(query, execution_options={"yield_per": BATCH})
    with writer.member(table_member(table.name)) as sink:
        for batch in result.partitions():
            lines = [
                json.dumps(
                    [encode(value) for encode, value in zip(encoders, row, strict=True)],
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                for row in batch
            ]
            sink.write(("\n".join(lines) + "\n").encode("utf-8"))
            rows += len(lines)
    return TableInfo(table.name, rows, columns)


def import_tables(connection: Connection, archive: Archive) -> None:
    """Insert the archive's rows into the (empty, migrated to the archive's revision) tables."""
    present = {table.name: table for table in data_tables(connection)}
    for info in archive.manifest.tables:
        table = _matching(present, info, archive)
        _import(connection, table, info, archive)


def _matching(present: dict[str, Table], info: TableInfo, archive: Archive) -> Table:
    """The target table of ``info``; it must have exactly the archived columns."""
    member = f"{archive.path}!{table_member(info.name)}"
    table = present.get(info.name)
    if table is None:
        raise InvalidInput.single(
            f"table {info.name!r} does not exist at revision {archive.manifest.revision}",
            file=member,
        )
    archived = sorted(c.name for c in info.columns)
    defined = sorted(c.name for c in table.columns)
    if archived != defined:
        raise InvalidInput.single(
            f"columns {archived} differ from the table's {defined} at revision "
            f"{archive.manifest.revision}",
            file=member,
        )
    return table


def _import(connection: Connection, table: Table, info: TableInfo, archive: Archive) -> None:
    file = f"{archive.path}!{table_member(info.name)}"
    rows = _decoded_rows(archive, info, file)
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, info, rows, file)
    else:
        _insert_rows(connection, table, info, rows, file)


def _decoded_rows(archive: Archive, info: TableInfo, file: str) -> Iterator[tuple[int, list[Any]]]:
    """(line number, values in the manifest's column order) of a table member."""
    decoders = [(c.name, _DECODERS[c.encoding]) for c in info.columns]
    for number, values in archive.lines(table_member(info.name)):
        if len(values) != len(decoders):
            raise InvalidInput.single(
                f"expected {len(decoders)} values, found {len(values)}", file=file, line=number
            )
        yield number, _decoded(decoders, values, file, number)


def _insert_rows(
    connection: Connection,
    table: Table,
    info: TableInfo,
    rows: Iterator[tuple[int, list[Any]]],
    file: str,
) -> None:
    """INSERT a batch at a time; rows the table refuses (a duplicate key, a missing
    reference) make the whole restore fail with the lines they came from."""
    names = [c.name for c in info.columns]
    batch: list[dict[str, Any]] = []
    last = 0
    for last, values in rows:
        batch.append(dict(zip(names, values, strict=True)))
        if len(batch) == BATCH:
            _insert(connection, table, batch, last, file)
            batch = []
    if batch:
        _insert(connection, table, batch, last, file)


def _insert(
    connection: Connection, table: Table, batch: list[dict[str, Any]], last: int, file: str
) -> None:
    try:
        connection.execute(table.insert(), batch)
    except DBAPIError as exc:
        raise InvalidInput.single(
            f"a row cannot be stored (lines {last - len(batch) + 1}-{last}): "
            f"{str(exc.orig).splitlines()[0]}",
            file=file,
        ) from None


def _copy_rows(
    connection: Connection, info: TableInfo, rows: Iterator[tuple[int, list[Any]]], file: str
) -> None:
    """PostgreSQL: ``COPY`` the rows, several times faster than INSERTs. psycopg writes each
    value by its Python type; JSON columns are handed over as JSON text."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in info.columns)
    as_json = [i for i, c in enumerate(info.columns) if c.encoding == "json"]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {quote(info.name)} ({columns}) FROM STDIN") as copy:
            for _line, values in rows:
                for position in as_json:
                    values[position] = json.dumps(values[position])
                copy.write_row(values)
    except connection.dialect.loaded_dbapi.Error as exc:
        where = getattr(getattr(exc, "diag", None), "context", None) or "COPY"
        raise InvalidInput.single(
            f"a row cannot be stored ({where}): {str(exc).splitlines()[0]}", file=file
        ) from None


def _decoded(
    decoders: list[tuple[str, Callable[[Any], Any]]], values: list[Any], file: str, line: int
) -> list[Any]:
    row = []
    for (name, decode), value in zip(decoders, values, strict=True):
        try:
            row.append(None if value is None else decode(value))
        except (ValueError, TypeError) as exc:
            raise InvalidInput.single(
                f"cannot be decoded ({exc})", file=file, line=line, field=name, value=str(value)
            ) from None
    return row


def reset_sequences(connection: Connection) -> None:
    """Point every PostgreSQL serial sequence past the largest restored key.

    Rows arrive with their ids, so the sequences were never advanced; the next insert would
    otherwise be given id 1 and fail on the primary key.
    """
    quote = connection.dialect.identifier_preparer.quote
    for table in data_tables(connection):
        for column in table.primary_key.columns:
            sequence = connection.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quote(table.name), "column": column.name},
            )
            if sequence is None:
                continue
            largest = f"COALESCE(MAX({quote(column.name)}), 0) + 1"
            connection.execute(
                text(f"SELECT setval(:sequence, {largest}, false) FROM {quote(table.name)}"),
                {"sequence": sequence},
            )


def encoding_of(kind: TypeEngine[Any]) -> Encoding:
    """How values of a column type are written in JSON."""
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, LargeBinary):
        return "base64"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    return "plain"


def _same(value: Any) -> Any:
    return value


def _timestamp(value: datetime) -> str:
    """ISO 8601 in UTC: SQLite hands stored timestamps back naive, and they are UTC."""
    return as_utc(value).astimezone(UTC).isoformat()


def _nullable(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else function(value)


_ENCODERS: dict[Encoding, Callable[[Any], Any]] = {
    "plain": _same,
    "json": _same,
    "base64": _nullable(lambda value: base64.b64encode(value).decode("ascii")),
    "datetime": _nullable(_timestamp),
    "date": _nullable(date.isoformat),
}
_DECODERS: dict[Encoding, Callable[[Any], Any]] = {
    "plain": _same,
    "json": _same,
    "base64": lambda value: base64.b64decode(value, validate=True),
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
}
