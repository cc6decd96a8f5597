"""Results computed from a whole loaded data set, kept until that data set is loaded again.

A region page compares the region with every region of its level: the diversification paths
run the complexity engine on the level's whole matrix, the scoreboard's default peers read the
level's whole cluster map. Both are the same for every region of the level, and reading and
computing them took ~0.5 s of each region page's first render. They are kept here per
process, keyed by the database, the data set's key, id and ``loaded_at``: loading a data set
again (which replaces its row) gives a new key, in every process, so nothing stale is served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    full = (str(session.get_bind().engine.url), dataset, tuple(loaded or ()), key)
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
