"""One translator from errors to responses: a JSON body under /api, an HTML page elsewhere.

Every error body has the same shape, ``{"error": {"code", "message", "details"}}``, so API
clients handle all failures alike; a test pins it. That includes what middleware refuses
before any route runs (oversized or forged requests) and the 500 of an unexpected failure.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clusterhub.errors import (
    MAX_PROBLEMS,
    ClusterhubError,
    Conflict,
    DataSourceError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)

log = logging.getLogger("clusterhub.web")


def reason(exc: ClusterhubError) -> str:
    """One line for a page section that cannot be shown: an invalid input's first problem
    (its field and value included), else the message's first line."""
    if isinstance(exc, InvalidInput) and exc.problems:
        return str(exc.problems[0])
    return str(exc).splitlines()[0]


#: Most specific first: NotAuthenticated is a PermissionDenied.
STATUS: dict[type[ClusterhubError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    Unavailable: 503,
    RateLimited: 429,
    DataSourceError: 503,  # Eurostat, GISCO or CORDIS out of reach: not the reader's fault
}
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The single error shape of the JSON API."""
    return {"error": {"code": code, "message": message, "details": details}}


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ClusterhubError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]


def error_response(scope: Scope, exc: ClusterhubError | StarletteHTTPException) -> Response:
    """The response for ``exc`` outside any route (middleware refusing a request)."""
    request = Request(scope)
    if isinstance(exc, ClusterhubError):
        return _domain_response(request, exc)
    return _http_response(request, exc)


def _respond(request: Request, status: int, code: str, message: str, details: Any) -> Response:
    if (
        request.url.path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    ):
        return JSONResponse(error_body(code, message, details), status_code=status)
    templates = request.app.state.templates
    html = templates.get_template("pages/error.html").render(
        request=request, status=status, message=message, details=details, user=None
    )
    return HTMLResponse(html, status_code=status)


async def _domain(request: Request, exc: ClusterhubError) -> Response:
    return _domain_response(request, exc)


def _domain_response(request: Request, exc: ClusterhubError) -> Response:
    status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
    details = getattr(exc, "details", None)
    if isinstance(exc, InvalidInput):
        # At most MAX_PROBLEMS are kept; the summary says how many there were in all.
        details = [
            {"field": p.field, "message": p.message, "value": p.value, "line": p.line}
            for p in exc.problems
        ]
        message = exc.summary
    else:
        message = str(exc)
    response = _respond(request, status, CODES.get(status, "bad_request"), message, details)
    if isinstance(exc, Unavailable | RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _validation(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    unreadable = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if unreadable is not None:
        problem = unreadable.get("ctx", {}).get("error", "not JSON")
        position = unreadable["loc"][-1]
        message = f"the request body is not valid JSON ({problem} at character {position})"
        return _respond(
            request, 400, "bad_request", message, [{"field": "body", "message": message}]
        )
    details = [
        {
            "field": ".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0]),
            "message": err["msg"],
        }
        for err in errors[:MAX_PROBLEMS]
    ]
    fields = ", ".join(dict.fromkeys(d["field"] for d in details))
    return _respond(request, 422, "invalid_input", f"invalid value for: {fields}", details)


async def _http(request: Request, exc: StarletteHTTPException) -> Response:
    return _http_response(request, exc)


def _http_response(request: Request, exc: StarletteHTTPException) -> Response:
    message = str(exc.detail) if exc.detail else "error"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no page at {request.url.path}"
    code = CODES.get(exc.status_code, "http_error")
    response = _respond(request, exc.status_code, code, message, None)
    response.headers.update(exc.headers or {})
    return response


class WatchedSend:
    """A ``send`` that remembers whether the response has started: middleware that answers
    for the app (an error, a refusal) may do so only before it has."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


class UnexpectedErrors:
    """ASGI middleware: an unexpected exception becomes a logged 500 in the documented shape.

    Starlette's own last resort answers in plain text; API clients then cannot read the
    error like any other. Nothing about the failure reaches the client but the fact.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watched = WatchedSend(send)
        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            if watched.started:
                raise
            request = Request(scope)
            message = "Something went wrong on our side; it has been logged. Try again later."
            await _respond(request, 500, "internal_error", message, None)(scope, receive, send)
