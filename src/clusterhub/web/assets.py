"""Static files with content-hashed names, compressed once, cached for a year by browsers.

Every file under ``static/`` (and the two generated scripts plotly.js needs, under
``vendor/``) is an :class:`Asset` addressed two ways:

* ``/static/clusterhub.3f9a1c0d2e.css`` — the name templates use (``static_url()``): the
  ten hex digits are the start of the content's SHA-256, so a changed file has a new address
  and the old one may be kept forever: ``Cache-Control: public, max-age=31536000, immutable``.
  An address with an outdated hash (a page cached before a release) is redirected to the
  current one.
* ``/static/clusterhub.css`` — the plain name, for old pages and links from elsewhere:
  ``no-cache`` with an ``ETag``, so a browser revalidates and usually gets a bodiless 304.

Text files are sent brotli- or gzip-compressed when the browser accepts it
(``Accept-Encoding``, ``Vary`` set). Each variant is compressed on its first request and kept
in memory for the life of the process, never per request; the plotly.js bundle is stored
brotli-compressed in the package (``bundles/``), so its largest variant costs nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import brotli
import plotly
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from clusterhub.services.observatory.maps import OFFLINE_GEO_JS
from clusterhub.web.compression import COMPRESSIBLE, Encoding, accepted_encoding

STATIC = Path(__file__).resolve().parent / "static"
#: plotly.js with only the trace types the pages draw (vendor/plotly/ in the repository builds
#: it); the full plotly.min.js of the Python package stands in when the bundle is absent.
PLOTLY_BUNDLE = Path(__file__).resolve().parent / "bundles" / "plotly-clusterhub-4.1.1.min.js.br"
PLOTLY_FULL = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
PLOTLY = "vendor/plotly.min.js"
GEO_ASSETS = "vendor/geo-assets.js"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
HASH_DIGITS = 10
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{HASH_DIGITS}}})(?P<suffix>\.[^./]+)$")
#: Below this a compressed copy saves less than a TCP packet: the file is sent as it is.
MIN_COMPRESS_BYTES = 512
#: Brotli's best (11) takes ~6 s per MB; files larger than this get quality 9 (~0.2 s per MB).
BROTLI_BEST_UP_TO = 256 * 1024


@dataclass
class Asset:
    """One file: its bytes, type and hash, and its compressed variants once asked for."""

    name: str  # under /static, e.g. "clusterhub.css", "vendor/plotly.min.js"
    body: bytes
    media_type: str
    digest: str = ""
    variants: dict[Encoding, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.digest = self.digest or hashlib.sha256(self.body).hexdigest()[:HASH_DIGITS]

    @property
    def hashed_name(self) -> str:
        """``clusterhub.3f9a1c0d2e.css``: the name with the content hash before the suffix."""
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.digest}.{suffix}" if dot else f"{self.name}.{self.digest}"

    @property
    def compressible(self) -> bool:
        return self.media_type.startswith(COMPRESSIBLE) and len(self.body) >= MIN_COMPRESS_BYTES

    def encoded(self, encoding: Encoding) -> bytes:
        """The body in ``encoding``, compressed on first use (one thread compresses)."""
        with self.lock:
            if encoding not in self.variants:
                self.variants[encoding] = _compress(self.body, encoding)
            return self.variants[encoding]


def _compress(body: bytes, encoding: Encoding) -> bytes:
    if encoding == "br":
        return brotli.compress(body, quality=11 if len(body) <= BROTLI_BEST_UP_TO else 9)
    return gzip.compress(body, compresslevel=9, mtime=0)


def _media_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if name.endswith(".js"):
        guessed = "text/javascript"
    text = guessed.startswith("text/") or guessed == "image/svg+xml"
    return f"{guessed}; charset=utf-8" if text else guessed


def _plotly() -> Asset:
    """The small bundle (its brotli variant is the stored file itself), else the full one."""
    if PLOTLY_BUNDLE.exists():
        packed = PLOTLY_BUNDLE.read_bytes()
        asset = Asset(PLOTLY, brotli.decompress(packed), "text/javascript; charset=utf-8")
        asset.variants["br"] = packed
        return asset
    return Asset(PLOTLY, PLOTLY_FULL.read_bytes(), "text/javascript; charset=utf-8")


class AssetStore:
    """Every static asset by plain name, and the lookup of a requested path."""

    def __init__(self, root: Path, extra: dict[str, Callable[[], Asset]]) -> None:
        self.assets: dict[str, Asset] = {
            path.relative_to(root).as_posix(): Asset(
                path.relative_to(root).as_posix(), path.read_bytes(), _media_type(path.name)
            )
            for path in sorted(root.rglob("*"))
            if path.is_file() and not path.name.endswith(".md")
        }
        self.assets.update({name: make() for name, make in extra.items()})

    def url(self, name: str) -> str:
        """The immutable address of ``name`` (a KeyError names a template's typo at render)."""
        return f"/static/{self.assets[name].hashed_name}"

    def find(self, path: str) -> tuple[Asset, bool] | None:
        """The asset at ``path`` and whether ``path`` carries its current hash."""
        if path in self.assets:
            return self.assets[path], False
        match = _HASHED.match(path)
        if match is None:
            return None
        asset = self.assets.get(match["stem"] + match["suffix"])
        return None if asset is None else (asset, match["digest"] == asset.digest)


@cache
def asset_store() -> AssetStore:
    """The process's assets, read once: package files do not change while it runs."""
    return AssetStore(
        STATIC,
        {
            PLOTLY: _plotly,
            GEO_ASSETS: lambda: Asset(GEO_ASSETS, OFFLINE_GEO_JS.encode(), "text/javascript"),
        },
    )


def static_url(name: str) -> str:
    """Templates' ``static_url('clusterhub.css')``: the content-hashed address."""
    return asset_store().url(name)


def serve(request: Request, path: str) -> Response:
    """``/static/{path}``: the asset compressed as the browser accepts, or a 304."""
    found = asset_store().find(path)
    if found is None:
        raise HTTPException(404, f"there is no static file {path!r}")
    asset, current = found
    if not current and path != asset.name:  # an outdated hash: the file has changed since
        return RedirectResponse(asset_store().url(asset.name), status_code=302)
    encoding = accepted_encoding(request.headers.get("accept-encoding", ""))
    if not asset.compressible:
        encoding = None
    etag = f'"{asset.digest}{"-" + encoding if encoding else ""}"'
    headers = {
        "Cache-Control": IMMUTABLE if current else REVALIDATE,
        "ETag": etag,
        "Vary": "Accept-Encoding",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    body = asset.body if encoding is None else asset.encoded(encoding)
    return Response(body, media_type=asset.media_type, headers=headers)


def _vendor(name: str) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        return serve(request, name)

    return route


def install(app: FastAPI) -> None:
    """``/static/...``, and the older ``/vendor/`` addresses of the two plotly.js scripts."""
    app.add_api_route(
        "/static/{path:path}", serve, methods=["GET", "HEAD"], include_in_schema=False
    )
    for name in (PLOTLY, GEO_ASSETS):
        app.add_api_route(
            f"/{name}", _vendor(name), methods=["GET", "HEAD"], include_in_schema=False
        )
