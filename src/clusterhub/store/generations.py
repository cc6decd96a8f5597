"""Change counters that let each process know when its in-memory indexes are stale.

A write bumps the counter in the same transaction as the change, so a reader that sees the new
number also sees the new rows. Reading is a primary-key lookup: cheap enough for every query.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clusterhub.store.models import IndexGeneration

DIRECTORY = "directory"


def bump(session: Session, name: str = DIRECTORY) -> None:
    """Mark ``name`` as changed by this transaction."""
    changed = session.execute(
        update(IndexGeneration)
        .where(IndexGeneration.name == name)
        .values(generation=IndexGeneration.generation + 1)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.add(IndexGeneration(name=name, generation=1))
        session.flush()


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
    """Move each counter in ``seen`` beyond both its stored value and the value seen.

    After a restore, processes still hold indexes built from the data that was replaced; a
    restored counter equal to the one they saw would make them keep those indexes.
    """
    for name, value in seen.items():
        stored = session.get(IndexGeneration, name)
        if stored is None:
            session.add(IndexGeneration(name=name, generation=value + 1))
        else:
            stored.generation = max(stored.generation, value) + 1
    session.flush()
