"""What an unsafe request must show before its body is read: a login, and the CSRF token.

Checking these inside the routes would come too late: FastAPI reads (and for uploads spools)
a request's body before it runs a route's dependencies. ``WriteGuard`` sits in front of the
routes and decides from the headers, or from at most the first field of a form:

1. Without a session cookie, only the anonymous forms (log in, register, password reset)
   accept writes; everything else is answered 401 before a byte of the body is read.
2. A request that needs the CSRF token (see ``web.security``) must send it in the
   ``X-CSRF-Token`` header, or as the ``csrf_token`` field of a form: a URL-encoded form is
   small (``BodyLimit`` bounds it) and read whole; a multipart form must carry the token as
   its *first* field, which is read alone, so an upload without a valid token is refused
   before its file is read. Pages put the hidden field first; browsers send fields in order.

The body bytes read for the check are handed on to the route unchanged.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clusterhub.config import Settings
from clusterhub.errors import NotAuthenticated
from clusterhub.web.errors import error_response
from clusterhub.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    CsrfRejected,
    session_cookie,
)

#: Where a visitor without a session may write: the forms that create one.
ANONYMOUS_WRITES = re.compile(r"^/account/(login|logout|register|password-reset(/[^/]+)?)$")
#: How much of a multipart body may be read to find its first field.
FIRST_FIELD_BYTES = 16 * 1024
_BOUNDARY = re.compile(rb'boundary="?([^";]+)"?', re.IGNORECASE)
_FIELD_NAME = re.compile(rb'content-disposition:[^\r\n]*;\s*name="([^"]*)"', re.IGNORECASE)


class WriteGuard:
    """ASGI middleware enforcing the two rules above on every unsafe request."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        logged_in = session_cookie(self.settings) in HTTPConnection(scope).cookies
        if not logged_in and not ANONYMOUS_WRITES.match(scope["path"]):
            refusal = NotAuthenticated("Log in to do this.")
            await error_response(scope, refusal)(scope, receive, send)
            return
        if scope["path"].startswith("/api/") and not logged_in:
            await self.app(scope, receive, send)  # no cookie, no ambient authority to borrow
            return
        expected = scope.get("state", {}).get("csrf_token", "")
        sent, replay = await _sent_token(scope, receive)
        if not expected or not sent or not hmac.compare_digest(sent, expected):
            await error_response(scope, CsrfRejected())(scope, receive, send)
            return
        await self.app(scope, replay, send)


async def _sent_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The token the request sent, and a ``receive`` that replays what was read to find it."""
    headers = Headers(scope=scope)
    header = headers.get(CSRF_HEADER)
    if header:
        return header, receive
    kind = headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        body, more = await _read(receive, limit=None)
        values = parse_qs(body.decode("latin-1"), max_num_fields=1000)
        token = values.get(CSRF_FIELD, [None])[0]
        return token, _replaying(body, more, receive)
    if kind.startswith("multipart/form-data"):
        found = _BOUNDARY.search(kind.encode("latin-1"))
        if found is None:
            return None, receive
        body, more = await _read(receive, limit=FIRST_FIELD_BYTES, until=b"\r\n--" + found[1])
        return _first_field(body, found[1]), _replaying(body, more, receive)
    return None, receive


async def _read(
    receive: Receive, *, limit: int | None, until: bytes | None = None
) -> tuple[bytes, bool]:
    """Body bytes until the end, ``limit`` bytes or ``until``; and whether more is to come."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = bool(message.get("more_body", False))
        if limit is not None and size >= limit:
            break
        if until is not None and until in b"".join(chunks):
            break
    return b"".join(chunks), more


def _first_field(body: bytes, boundary: bytes) -> str | None:
    """The value of the multipart body's first part, if that part is the CSRF field."""
    parts = body.split(b"--" + boundary)
    if len(parts) < 3:  # preamble, first part, the start of the second (or the end)
        return None
    head, separator, value = parts[1].partition(b"\r\n\r\n")
    name = _FIELD_NAME.search(head)
    if not separator or name is None or name[1].decode("latin-1") != CSRF_FIELD:
        return None
    return value.removesuffix(b"\r\n").decode("latin-1")


def _replaying(body: bytes, more: bool, receive: Receive) -> Receive:
    """A ``receive`` that first hands back ``body``, then what was not read yet."""
    pending = [body]

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": more}
        return await receive()

    return replay
