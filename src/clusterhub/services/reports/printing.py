"""PDFs of the profiles for many readers: each printed once per data version, a bounded budget
of new prints per client.

WeasyPrint needs 1–3 s of a core for a profile. A PDF depends only on the report's address
and the data, so it is kept (in memory, up to ``MAX_BYTES``) under the versions of what it
shows: every loaded data set's ``loaded_at`` and the scoreboard's indicator generation. Loading
data again changes the key, so a stale PDF is never served. Prints that are not kept yet are
limited per client (``PRINTS_PER_WINDOW`` in ``WINDOW_SECONDS``): one reader asking for every
region's PDF at once would otherwise hold the server's cores for minutes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import RateLimited
from clusterhub.store import generations
from clusterhub.store.models import Dataset

#: Memory kept for printed PDFs (a profile is 50–300 KB).
MAX_BYTES = 64 * 1024 * 1024
PRINTS_PER_WINDOW = 10
WINDOW_SECONDS = 60


class PrintShop:
    """Printed PDFs by key, least recently used forgotten first; new prints budgeted per
    client. Thread-safe: routes run in a thread pool."""

    def __init__(
        self,
        *,
        max_bytes: int = MAX_BYTES,
        prints: int = PRINTS_PER_WINDOW,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes, self.prints, self.window, self.clock = max_bytes, prints, window, clock
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._recent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def pdf(
        self, session: Session, client: str, address: Hashable, print_: Callable[[], bytes]
    ) -> tuple[bytes, bool]:
        """The PDF of ``address`` and whether it was kept; a new print is charged to
        ``client`` (``RateLimited`` with the seconds to wait when its budget is spent)."""
        key = (str(session.get_bind().engine.url), _data_version(session), address)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key], True
            self._charge(client)
        try:
            data = print_()
        except Exception:
            self._refund(client)  # an unknown code or a failed print costs nothing
            raise
        if not generations.pending(session):  # never keep what a rollback may undo
            self._keep(key, data)
        return data, False

    def _charge(self, client: str) -> None:
        now = self.clock()
        recent = self._recent.setdefault(client, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.prints:
            wait = int(recent[0] + self.window - now) + 1
            raise RateLimited(
                wait,
                what=f"new PDFs from this address ({self.prints} a minute)",
                advice="; PDFs printed before come at once, and each profile's page can be "
                "printed from the browser",
            )
        recent.append(now)
        if len(self._recent) > 10_000:  # forget idle clients
            self._recent = {
                c: q for c, q in self._recent.items() if q and q[-1] > now - self.window
            }

    def _refund(self, client: str) -> None:
        with self._lock:
            recent = self._recent.get(client)
            if recent:
                recent.pop()

    def _keep(self, key: Hashable, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            if key in self._kept:
                return
            self._kept[key] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, old = self._kept.popitem(last=False)
                self._size -= len(old)


def _data_version(session: Session) -> tuple[object, ...]:
    loaded = tuple(session.execute(select(Dataset.id, Dataset.loaded_at).order_by(Dataset.id)))
    return loaded, generations.current(session, generations.INDICATORS)
