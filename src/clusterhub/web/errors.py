"""One translator from errors to responses: a JSON body under /api, an HTML page elsewhere.

Every error body has the same shape, ``{"error": {"code", "message", "details"}}``, so API
clients handle all failures alike; a test pins it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from clusterhub.errors import (
    ClusterhubError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)


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
}
CODES = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid_input",
    429: "too_many_requests",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The single error shape of the JSON API."""
    return {"error": {"code": code, "message": message, "details": details}}


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ClusterhubError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]


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
    status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
    details = getattr(exc, "details", None)
    if isinstance(exc, InvalidInput):
        details = [
            {"field": p.field, "message": p.message, "value": p.value, "line": p.line}
            for p in exc.problems
        ]
        message = exc.summary
    else:
        message = str(exc)
    return _respond(request, status, CODES.get(status, "bad_request"), message, details)


async def _validation(request: Request, exc: RequestValidationError) -> Response:
    details = [
        {
            "field": ".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0]),
            "message": err["msg"],
        }
        for err in exc.errors()
    ]
    fields = ", ".join(d["field"] for d in details)
    return _respond(request, 422, "invalid_input", f"invalid value for: {fields}", details)


async def _http(request: Request, exc: StarletteHTTPException) -> Response:
    message = str(exc.detail) if exc.detail else "error"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no page at {request.url.path}"
    code = CODES.get(exc.status_code, "http_error")
    return _respond(request, exc.status_code, code, message, None)
