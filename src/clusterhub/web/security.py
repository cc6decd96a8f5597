"""Who is asking, and did the form come from us: session cookies, CSRF tokens, role checks.

* Sessions: the cookie holds a random token; ``services.accounts.users`` keeps only its hash.
* CSRF: every unsafe request to a page route must carry a token, in the form field
  ``csrf_token`` or the ``X-CSRF-Token`` header (HTMX sends it from ``<body hx-headers>``).
  For a logged-in browser the token is an HMAC of the session token (bound to the session);
  for anonymous forms (log in, register) it is an HMAC of a random nonce kept in a cookie
  (a signed double-submit cookie). Both are keyed with ``settings.secret_key``.
  ``/api`` routes are exempt unless the request carries a session cookie: a cookie is ambient
  authority that a cross-site form could borrow, so it always needs the token.

``CsrfCookie`` (middleware) computes the token for every request and hands out the nonce
cookie; ``web.guard.WriteGuard`` (middleware) checks it before a body is read; and
``request_guard`` (a dependency of every route) resolves the user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clusterhub.config import Settings
from clusterhub.errors import NotAuthenticated, PermissionDenied
from clusterhub.services.accounts import users as accounts
from clusterhub.services.accounts.users import NewSession, Role, UserPublic
from clusterhub.web.deps import read_only

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
DEFAULT_NEXT = "/account"


class CsrfRejected(PermissionDenied):
    """An unsafe request without the page's CSRF token (stale page or another site's form)."""

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or was not sent from a clusterhub page (missing or wrong "
            "security token). Reload the page and try again; cookies must be allowed."
        )


def cookie_name(settings: Settings, base: str) -> str:
    """``__Host-`` prefixed names in production: browsers then refuse them without HTTPS and
    from subdomains, so a sibling site cannot plant a session or CSRF cookie."""
    return f"__Host-{base}" if settings.environment == "production" else base


def session_cookie(settings: Settings) -> str:
    """Name of the login session cookie."""
    return cookie_name(settings, "ch_session")


def nonce_cookie(settings: Settings) -> str:
    """Name of the anonymous CSRF nonce cookie."""
    return cookie_name(settings, "ch_csrf")


def csrf_token(secret: str, *, session_token: str | None, nonce: str | None) -> str:
    """The token pages must send back: bound to the session if any, else to the nonce."""
    subject = f"session:{session_token}" if session_token else f"anonymous:{nonce or ''}"
    return hmac.new(secret.encode(), subject.encode(), hashlib.sha256).hexdigest()


class CsrfCookie:
    """ASGI middleware: puts the request's CSRF token in ``request.state.csrf_token``.

    A browser with neither a session nor a nonce cookie gets a fresh nonce, sent as a cookie
    with HTML responses only (API answers may be cached and shared, cookies must not be).
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = HTTPConnection(scope).cookies
        session_token = cookies.get(session_cookie(self.settings))
        nonce = cookies.get(nonce_cookie(self.settings))
        fresh = None if (session_token or nonce) else secrets.token_urlsafe(32)
        token = csrf_token(
            self.settings.secret_key, session_token=session_token, nonce=nonce or fresh
        )
        scope.setdefault("state", {})["csrf_token"] = token
        if fresh is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.append("set-cookie", self._nonce_header(fresh))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _nonce_header(self, nonce: str) -> str:
        response = Response()
        response.set_cookie(
            nonce_cookie(self.settings), nonce, max_age=self.settings.session_days * 86400,
            httponly=True, samesite="lax", secure=_secure(self.settings), path="/",
        )  # fmt: skip
        return response.headers["set-cookie"]


def _secure(settings: Settings) -> bool:
    return settings.environment == "production"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def session_token(request: Request) -> str | None:
    """The session token the browser sent, if any."""
    return request.cookies.get(session_cookie(_settings(request)))


async def resolve_user(request: Request) -> UserPublic | None:
    """The logged-in user, also kept in ``request.state.user`` for the page header.

    Async so that anonymous requests (most API calls) cost no thread hop; the lookup runs in
    the thread pool, in a short read of its own: the request's own transaction (a writer's,
    for a form post) starts only when the handler needs it, after the body has arrived.
    """
    token = session_token(request)
    user = None
    if token:
        user = await run_in_threadpool(_user_for_token, request, token)
    request.state.user = user
    return user


def _user_for_token(request: Request, token: str) -> UserPublic | None:
    with read_only(request) as session:
        return accounts.user_for_session(session, token=token)


OptionalUser = Annotated[UserPublic | None, Depends(resolve_user)]


async def request_guard(request: Request, _user: OptionalUser) -> None:
    """Every route's guard: resolves the user for the route and the page header.

    Whether an unsafe request may be made at all (a session, the CSRF token) was decided
    before its body was read, by ``web.guard.WriteGuard``.
    """


def current_user(user: OptionalUser) -> UserPublic:
    """The logged-in user, or ``NotAuthenticated`` (401)."""
    if user is None:
        raise NotAuthenticated("Log in to do this.")
    return user


CurrentUser = Annotated[UserPublic, Depends(current_user)]


def require_role(minimum: Role) -> Callable[[UserPublic], UserPublic]:
    """A dependency admitting users with role ``minimum`` or above (services check again).

    Usage: ``admin: Annotated[UserPublic, Depends(require_role(Role.SITE_ADMIN))]``.
    """

    def dependency(user: CurrentUser) -> UserPublic:
        if not user.at_least(minimum):
            raise PermissionDenied(f"This needs the role '{minimum.label}' or above.")
        return user

    return dependency


def set_session_cookie(response: Response, new: NewSession, settings: Settings) -> None:
    """Give the browser its session token: HttpOnly, SameSite=Lax, Secure in production."""
    response.set_cookie(
        session_cookie(settings), new.token, expires=new.expires_at, httponly=True,
        samesite="lax", secure=_secure(settings), path="/",
    )  # fmt: skip


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Make the browser forget its session token."""
    response.delete_cookie(
        session_cookie(settings), httponly=True, samesite="lax", secure=_secure(settings), path="/"
    )


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run uvicorn with
    ``--proxy-headers`` and ``--forwarded-allow-ips`` so this is the real client)."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/account``: no open redirects.

    Browsers read ``//host``, ``/\\host`` and ``/<tab>/host`` as other sites, so those go too.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return DEFAULT_NEXT
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return DEFAULT_NEXT
    return target
