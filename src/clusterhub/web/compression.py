"""Content negotiation for compressed answers, and compression of the public data answers.

Static files are compressed once and kept (``web.assets``). Of the answers built per request,
only the observatory's public data are compressed here: its read-only JSON API and the region
polygons (``/geo/...``, several MB of GeoJSON). HTML pages are not: every page carries the
visitor's CSRF token (``<body hx-headers>``) next to text the visitor chose (a search query, a
filter), and compressing secrets together with attacker-chosen text lets an eavesdropper on the
encrypted connection guess the secret from the answer sizes (BREACH). Pages are a few hundred
KB at most; compressing them safely needs a per-answer masked token first.
"""

from __future__ import annotations

import gzip
from typing import Literal

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clusterhub.web.caching import CACHED_PREFIXES

Encoding = Literal["br", "gzip"]
#: Content types worth compressing (text; images and archives are compressed already).
COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/geo+json",
    "application/javascript",
    "image/svg+xml",
)
#: Public data only (see the module's docstring for why pages are left out).
COMPRESSED_PREFIXES = (*CACHED_PREFIXES, "/geo/")
MIN_BYTES = 1024
#: Brotli 4 compresses better than gzip 6 at about the same speed (a few ms per 100 KB).
BROTLI_QUALITY = 4


def accepted_encoding(accept_encoding: str) -> Encoding | None:
    """``br`` if the browser takes it, else ``gzip``, else None (identity).

    ``Accept-Encoding: gzip, deflate, br`` → ``br``; ``br;q=0, gzip`` → ``gzip``; ``*`` counts
    for both; an encoding with ``q=0`` is refused.
    """
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        token, _, params = item.strip().partition(";")
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        weights[token.strip()] = weight
    star = weights.get("*", 0.0)
    for encoding in ("br", "gzip"):
        if weights.get(encoding, star) > 0:
            return encoding
    return None


def compress(body: bytes, encoding: Encoding) -> bytes:
    """``body`` compressed fast enough to do per answer."""
    if encoding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, compresslevel=6, mtime=0)


class PublicDataCompression:
    """ASGI middleware: compresses public data answers of ``MIN_BYTES`` or more.

    Answers sent in several parts (files, streamed exports) pass unchanged: only a body sent
    whole is compressed, so nothing is held back from a stream.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        encoding = self._encoding(scope)
        if encoding is None:
            await self.app(scope, receive, send)
            return
        start: Message | None = None

        async def compressing(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # held until the body shows whether it comes whole
                return
            if start is not None and message["type"] == "http.response.body":
                held, start = start, None
                if not message.get("more_body", False):
                    message = _compressed(held, message, encoding)
                await send(held)
            await send(message)

        await self.app(scope, receive, compressing)

    @staticmethod
    def _encoding(scope: Scope) -> Encoding | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if not scope["path"].startswith(COMPRESSED_PREFIXES):
            return None
        return accepted_encoding(Headers(scope=scope).get("accept-encoding", ""))


def _compressed(start: Message, message: Message, encoding: Encoding) -> Message:
    """The body message compressed, with ``start``'s headers changed to match."""
    headers = MutableHeaders(scope=start)
    headers.add_vary_header("Accept-Encoding")
    body: bytes = message.get("body", b"")
    kind = headers.get("content-type", "")
    if len(body) < MIN_BYTES or "content-encoding" in headers or not kind.startswith(COMPRESSIBLE):
        return message
    packed = compress(body, encoding)
    headers["Content-Encoding"] = encoding
    headers["Content-Length"] = str(len(packed))
    if "etag" in headers and not headers["etag"].startswith("W/"):
        headers["ETag"] = "W/" + headers["etag"]  # the same content, other bytes
    return {**message, "body": packed}
