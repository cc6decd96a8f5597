"""The API explorer (Swagger UI at ``/api/docs``) and reference (ReDoc at ``/api/redoc``), and
the favicon, all served from this machine.

FastAPI's own documentation pages load their scripts from a CDN and start them with an inline
script; both break the content security policy (``web.headers``) and intranet installs. Here
the Swagger UI and ReDoc bundles come from the ``fastapi-offline`` package (Swagger UI:
Apache-2.0, ReDoc: MIT), mounted under ``/vendor/api-docs``, and ``static/api-docs.js`` starts
them, so the policy needs no exception for these pages.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

API_DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
FAVICON_ICO = Path(__file__).resolve().parent / "static" / "favicon.ico"

router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI: try every API call from the browser."""
    return _page(request, "api/swagger.html")


@router.get("/api/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc: the API reference, one page."""
    return _page(request, "api/redoc.html")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page links; the SVG is in /static."""
    return FileResponse(
        FAVICON_ICO, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


def _page(request: Request, template: str) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, {"openapi_url": request.app.openapi_url}
    )
    return response


def install(app: FastAPI) -> None:
    """Mount the bundles and add the pages to ``app``."""
    app.mount("/vendor/api-docs", StaticFiles(directory=API_DOCS_ASSETS), name="api-docs")
    app.include_router(router)
