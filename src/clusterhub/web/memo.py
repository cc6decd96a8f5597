"""Per-process memo of page contexts: the observatory's data change only when reloaded.

Data sets are loaded before the server starts (``clusterhub serve``), so what a page shows for
the same parameters is the same for every visitor until the next reload; the time-to-live
(``api_cache_seconds``) bounds how long a reload by another process can go unseen. Only the
data part of a page is kept: the user, CSRF token and cookies are added per request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class Memo:
    """A small LRU with expiry; values are built by the caller on a miss."""

    def __init__(self, *, ttl: float, size: int = 512) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def clear(self) -> None:
        """Forget everything: this process changed the data the pages show."""
        self._entries.clear()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The remembered value for ``key``, or ``build()`` remembered (errors are not)."""
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            self._entries.move_to_end(key)
            return hit[1]
        value = build()
        if self.ttl > 0:
            self._entries[key] = (now + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value
