"""Security headers on every response: pages, API answers, static files, errors.

* ``Content-Security-Policy``: scripts only from this site (every script is a file under
  ``/static`` or ``/vendor``, none inline), no plugins, forms post only here, and no other
  site may frame a page (``frame-ancestors``; ``X-Frame-Options`` for older browsers), which
  stops click-jacking of the account and edit forms. Styles allow ``'unsafe-inline'``
  because plotly.js writes its own ``<style>`` elements.
* ``X-Content-Type-Options: nosniff``: a browser never runs a text or JSON answer as script.
* ``Referrer-Policy``: other sites see our origin at most, never a path with a reset token.
* ``Strict-Transport-Security`` in production (which is HTTPS only, see ``config``).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
BASE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
#: Two years, the preload lists' minimum; production serves nothing over plain HTTP.
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware: adds the headers above to every HTTP response (HSTS if ``hsts``)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = {**BASE_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
