"""Results computed from a whole loaded data set (or a whole table with a change counter),
kept until that data set is loaded again (or the table changes).

A region page compares the region with every region of its level: the diversification paths
run the complexity engine on the level's whole matrix, the scoreboard's default peers read the
level's whole cluster map. Both are the same for every region of the level, and reading and
computing them took ~0.5 s of each region page's first render. They are kept here per
process, keyed by the database, the data set's key, id and ``loaded_at``: loading a data set
again (which replaces its row) gives a new key, in every process, so nothing stale is served.
Tables that change in place (the scoreboard's indicator values) are keyed by their change
counter instead (``store.generations``), which each write bumps in its own transaction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.store import generations
from clusterhub.store.models import Dataset

T = TypeVar("T")
#: A few levels and years of a few data sets; each entry is one level's matrix or map.
SIZE = 32

_entries: OrderedDict[Hashable, object] = OrderedDict()
_lock = threading.Lock()


def per_dataset(session: Session, dataset: str, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` for ``key`` of the data set ``dataset``, computed once per loaded version."""
    loaded = session.execute(
        select(Dataset.id, Dataset.loaded_at).where(Dataset.key == dataset)
    ).first()
    return _cached((_database(session), dataset, tuple(loaded or ()), key), build)


def per_generation(session: Session, counter: str, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` for ``key``, computed once per value of the change counter ``counter``
    (and not kept when the session's own transaction changed it, uncommitted)."""
    if counter in generations.pending(session):
        return build()
    generation = generations.current(session, counter)
    return _cached((_database(session), "generation", counter, generation, key), build)


def _database(session: Session) -> str:
    return str(session.get_bind().engine.url)


def _cached(full: Hashable, build: Callable[[], T]) -> T:
    with _lock:
        if full in _entries:
            _entries.move_to_end(full)
            return _entries[full]  # type: ignore[return-value]  # stored by this key's build
    value = build()  # outside the lock: two first visitors may both build, neither waits long
    with _lock:
        _entries[full] = value
        while len(_entries) > SIZE:
            _entries.popitem(last=False)
    return value


def kept() -> list[Hashable]:
    """The keys of what is kept, oldest use first (for operators and tests)."""
    with _lock:
        return list(_entries)


def clear() -> None:
    """Forget everything kept (the next use computes it again)."""
    with _lock:
        _entries.clear()
