"""Request bodies have a size limit on every route, enforced as the bytes arrive.

A limit checked only against ``Content-Length`` lets a chunked body through, and one checked
after parsing lets the parser hold the whole body in memory (or spool it to disk) first. Here
each request's ``receive`` counts the bytes as they come: a body announced too large is refused
before a byte is read, and a chunked one as soon as it passes the limit, so the server never
holds more than the limit (plus one network chunk) of any request.

Upload routes (files) get the larger ``max_upload_bytes``; every other route the small
``max_request_bytes``, which bounds forms and JSON bodies.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clusterhub.web.errors import WatchedSend, error_response

#: Routes that take file uploads (the larger limit); exact paths.
UPLOAD_PATHS: frozenset[str] = frozenset({"/api/v1/scoreboard/indicators", "/officer/indicators"})


class BodyTooLarge(HTTPException):
    """A request body over its route's limit (413). An ``HTTPException``, so that the body
    parsers of FastAPI and Starlette pass it on untouched instead of calling it a parse error.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is larger than this address accepts ({_size(limit)}); "
            "send less (split a file into several)",
        )
        self.limit = limit


def _size(limit: int) -> str:
    """``1 MiB``, ``50.1 MiB``, ``64 KiB``: what a person reads in the message."""
    unit, name = (2**20, "MiB") if limit >= 2**20 else (2**10, "KiB")
    return f"{round(limit / unit, 1):g} {name}"


class BodyLimit:
    """ASGI middleware: refuses request bodies above the route's limit with 413."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        upload: int,
        upload_paths: Iterable[str] = UPLOAD_PATHS,
    ) -> None:
        self.app = app
        self.default = default
        self.upload = upload
        self.upload_paths = frozenset(upload_paths)

    def limit(self, path: str) -> int:
        """The largest body accepted at ``path``."""
        return self.upload if path in self.upload_paths else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        announced = Headers(scope=scope).get("content-length", "")
        if announced.isdigit() and int(announced) > limit:
            await error_response(scope, BodyTooLarge(limit))(scope, receive, send)
            return
        received = 0
        watched = WatchedSend(send)

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # raised where no exception handler saw it (middleware)
            if watched.started:
                raise
            await error_response(scope, exc)(scope, receive, send)
