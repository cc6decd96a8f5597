"""Change counters that let each process know when its in-memory indexes are stale, and which
items went stale.

A write bumps the counter in the same transaction as the change, so a reader that sees the new
number also sees the new rows. Reading is a primary-key lookup: cheap enough for every query.
Each bump also records the items it changed (``index_changes``), so that a reader whose index
is a few generations behind re-reads those items only (:func:`changed_since`). Bumps are
serialised by the counter's row lock (PostgreSQL) or the single writer (SQLite), so the
generations commit in order: a reader that sees generation *n* sees every change up to *n*.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from clusterhub.store.models import IndexChange, IndexGeneration

DIRECTORY = "directory"
#: Stored scoreboard indicator values (processes keep them, and the scores of each level).
INDICATORS = "indicators"
#: Every counter a process may hold results of: each is advanced by a restore.
COUNTERS = (DIRECTORY, INDICATORS)
#: Generations of changes kept; an index further behind is rebuilt whole.
KEEP = 5_000
#: A change of more items than this is recorded as a change of everything (one row, not many).
MAX_ITEMS = 20_000
#: Key in ``Session.info`` of the counters bumped by the open transaction.
_PENDING = "generations_pending"
#: Pruning runs once in this many generations.
_PRUNE_EVERY = 500


def bump(session: Session, name: str = DIRECTORY, *, items: Collection[int] | None = None) -> int:
    """Mark ``name`` as changed by this transaction, in ``items`` (None: in everything, or
    in what the caller cannot list); returns the new generation."""
    changed = session.execute(
        update(IndexGeneration)
        .where(IndexGeneration.name == name)
        .values(generation=IndexGeneration.generation + 1)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.add(IndexGeneration(name=name, generation=1))
        session.flush()
    generation = current(session, name)
    _record(session, name, generation, items)
    pending(session).add(name)
    return generation


def pending(session: Session) -> set[str]:
    """The counters this session's open transaction has bumped: until it commits, results
    read through it belong to no generation (a rollback would give its number to other rows),
    so callers must not keep them."""
    found: set[str] = session.info.setdefault(_PENDING, set())
    return found


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_PENDING, None)


def _record(session: Session, name: str, generation: int, items: Collection[int] | None) -> None:
    listed: Sequence[int | None] = [None]  # everything
    if items is not None and 0 < len(items) <= MAX_ITEMS:
        listed = sorted(set(items))
    session.execute(
        insert(IndexChange),
        [{"name": name, "generation": generation, "item_id": item} for item in listed],
    )
    if generation % _PRUNE_EVERY == 0:
        session.execute(
            delete(IndexChange).where(
                IndexChange.name == name, IndexChange.generation <= generation - KEEP
            )
        )


def changed_since(
    session: Session, since: int, upto: int, name: str = DIRECTORY
) -> set[int] | None:
    """The items that generations ``since + 1`` to ``upto`` changed, or None when that is not
    known: one of them changed everything, or is no longer (or was never) in the log."""
    if since < 0 or upto - since > KEEP:
        return None
    rows = session.execute(
        select(IndexChange.generation, IndexChange.item_id).where(
            IndexChange.name == name,
            IndexChange.generation > since,
            IndexChange.generation <= upto,
        )
    ).all()
    if len({generation for generation, _ in rows}) != upto - since:
        return None
    items = {item for _, item in rows}
    return None if None in items else {int(item) for item in items if item is not None}


def current(session: Session, name: str = DIRECTORY) -> int:
    """The counter's value (0 before the first change)."""
    value = session.scalar(select(IndexGeneration.generation).where(IndexGeneration.name == name))
    return int(value or 0)


def all_counters(session: Session) -> dict[str, int]:
    """Every counter with its value."""
    return {
        str(name): int(value)
        for name, value in session.execute(select(IndexGeneration.name, IndexGeneration.generation))
    }


def advance_past(session: Session, seen: dict[str, int]) -> None:
    """Move every counter (those ``seen`` before a restore and those restored) beyond both
    its stored value and the value seen, and log that the new generation changed everything.

    After a restore, processes still hold indexes built from the data that was replaced. A
    restored counter equal to the one they saw would make them keep those indexes, and the
    restored change log tells another history: read past, it would name the wrong items.
    """
    stored = {row.name: row for row in session.scalars(select(IndexGeneration))}
    for name in sorted(stored.keys() | seen.keys() | set(COUNTERS)):
        counter = stored.get(name)
        if counter is None:
            counter = IndexGeneration(name=name, generation=seen.get(name, 0) + 1)
            session.add(counter)
        else:
            counter.generation = max(counter.generation, seen.get(name, 0)) + 1
        session.flush()
        _record(session, name, counter.generation, None)
    session.flush()
