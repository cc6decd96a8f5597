"""Response cache for the read-only JSON API, and server timing for every response.

The observatory's data change only when a data set is (re)loaded, which happens before the
server starts (``clusterhub serve``), so its API answers can be kept in memory for a while. Each
worker process keeps its own small LRU cache; ``Server-Timing`` tells clients and the
benchmark how long the application itself took.

Only the observatory's read-only paths are cached: directory profiles change at any time and
some answers depend on who asks (contacts, notifications), so caching them would show stale or
someone else's data.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The observatory's read-only API paths; nothing else is cached.
CACHED_PREFIXES = ("/api/v1/datasets", "/api/v1/regions", "/api/v1/clusters", "/api/v1/metrics")


@dataclass
class _Entry:
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ApiCache:
    """ASGI middleware: GET /api/v1/* answers with status 200 are reused for ``ttl`` seconds."""

    def __init__(self, app: ASGIApp, *, ttl: float, size: int = 2048) -> None:
        self.app = app
        self.ttl = ttl
        self.size = size
        self.entries: OrderedDict[str, _Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        version = scope["app"].state.data_version  # Starlette puts its app in every scope
        query = scope.get("query_string", b"").decode("latin-1")
        key = f"{version}|{scope['path']}?{query}"
        entry = self.entries.get(key)
        if entry is not None and entry.expires > time.monotonic():
            self.entries.move_to_end(key)
            await self._replay(entry, send)
            return
        await self._store(key, scope, receive, send)

    def _cacheable(self, scope: Scope) -> bool:
        return (
            self.ttl > 0
            and scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(CACHED_PREFIXES)
        )

    async def _replay(self, entry: _Entry, send: Send) -> None:
        headers = [*entry.headers, (b"x-cache", b"hit")]
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def _store(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                # A snapshot: outer middleware add their own headers to the message later.
                start = {"status": message["status"], "headers": list(message.get("headers", []))}
                MutableHeaders(scope=message).append("x-cache", "miss")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start.get("status") == 200:
                    self._remember(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _remember(self, key: str, start: Message, body: bytes) -> None:
        headers = start["headers"]
        self.entries[key] = _Entry(time.monotonic() + self.ttl, start["status"], headers, body)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


def data_changed(state: Any) -> None:
    """Make this process forget cached answers and pages after it changed observatory data
    (an indicator upload): the cache keys carry ``state.data_version``. Other worker
    processes still see the change only when their entries expire (``api_cache_seconds``)."""
    state.data_version += 1
    state.memo.clear()


class ServerTiming:
    """ASGI middleware adding ``Server-Timing: app;dur=<ms>`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - began) * 1000
                MutableHeaders(scope=message).append("server-timing", f"app;dur={elapsed:.1f}")
            await send(message)

        await self.app(scope, receive, timed)
