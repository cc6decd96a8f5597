"""Compare two databases table by table, row by row, column by column.

Driven by the SQLAlchemy models, so a table added to the models is compared without anyone
remembering to add it here; the keyword index, which is not a model, is compared by its
document columns (the PostgreSQL ``tsvector`` is derived from them). Timestamps are compared
as UTC instants (SQLite hands them back naive).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, select, text

from clusterhub.config import Settings
from clusterhub.store import fts
from clusterhub.store.db import make_engine
from clusterhub.store.generations import COUNTERS
from clusterhub.store.models import Base, as_utc

Rows = list[dict[str, Any]]
Snapshot = dict[str, Rows]
FTS_KEY = f"{fts.TABLE} (documents)"


def snapshot(settings: Settings) -> Snapshot:
    """Every model table's rows in primary-key order, plus the keyword index's documents."""
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            tables = {
                table.name: [
                    {key: _normal(value) for key, value in row.items()}
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    ).mappings()
                ]
                for table in Base.metadata.sorted_tables
            }
            tables[FTS_KEY] = _index_documents(connection)
    finally:
        engine.dispose()
    return tables


def _index_documents(connection: Connection) -> Rows:
    key = "rowid" if connection.dialect.name == "sqlite" else "organisation_id"
    query = text(f"SELECT {key} AS id, name, acronym, body FROM {fts.TABLE} ORDER BY {key}")
    return [dict(row) for row in connection.execute(query).mappings()]


def _normal(value: Any) -> Any:
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return as_utc(value)
    return value


def differences(expected: Snapshot, actual: Snapshot, *, limit: int = 25) -> list[str]:
    """Every difference (up to ``limit``), each naming table, row key and column."""
    found: list[str] = []
    for table in sorted(expected.keys() | actual.keys()):
        if table not in actual or table not in expected:
            found.append(f"{table}: only in {'expected' if table in expected else 'actual'}")
            continue
        found.extend(_table_differences(table, expected[table], actual[table]))
    return found[:limit]


def _table_differences(table: str, expected: Rows, actual: Rows) -> list[str]:
    if len(expected) != len(actual):
        return [f"{table}: {len(actual)} rows, expected {len(expected)}"]
    found = []
    for number, (want, got) in enumerate(zip(expected, actual, strict=True)):
        if want.keys() != got.keys():
            found.append(f"{table} row {number}: columns {sorted(got)} != {sorted(want)}")
            continue
        found.extend(
            f"{table} row {number} ({_key(want)}): {column} = {got[column]!r}, "
            f"expected {want[column]!r}"
            for column in want
            if not _same(want[column], got[column])
        )
    return found


def _key(row: dict[str, Any]) -> str:
    for name in ("id", "name", "token_hash"):
        if name in row:
            return f"{name}={row[name]!r}"
    return ", ".join(f"{k}={v!r}" for k, v in list(row.items())[:2])


def _same(want: Any, got: Any) -> bool:
    """Equal and of the same Python type (1 is not True, 1.0 is not 1); NaN equals NaN."""
    if isinstance(want, float) and isinstance(got, float) and math.isnan(want):
        return math.isnan(got)
    return type(want) is type(got) and bool(want == got)


def row_counts(snap: Snapshot) -> dict[str, int]:
    """Rows per table (to check that a test's database really has content everywhere)."""
    return {table: len(rows) for table, rows in snap.items()}


def as_restored(expected: Snapshot) -> Snapshot:
    """What a database restored from a backup of ``expected`` holds, less the restore's audit
    entry: the same rows, but each index counter one past the backup's and a change-log row
    saying that generation changed everything (so running servers rebuild their indexes)."""
    restored = {table: list(rows) for table, rows in expected.items()}
    counters = [
        {**row, "generation": row["generation"] + 1} for row in expected["index_generations"]
    ]
    known = {row["name"] for row in counters}
    counters += [{"name": name, "generation": 1} for name in COUNTERS if name not in known]
    restored["index_generations"] = counters
    first = max((row["id"] for row in expected["index_changes"]), default=0) + 1
    restored["index_changes"] = expected["index_changes"] + [
        {"id": first + n, "name": row["name"], "generation": row["generation"], "item_id": None}
        for n, row in enumerate(sorted(counters, key=lambda row: row["name"]))
    ]
    return restored
