"""``clusterhub serve``: migrate, load the data on first start, then serve the platform."""

from __future__ import annotations

from typing import Annotated, Any

import typer
import uvicorn

from clusterhub.cli._console import console, friendly_errors, reference_data, step_progress
from clusterhub.config import Settings, get_settings
from clusterhub.services.bootstrap import prepare_database


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    reload_data: Annotated[
        bool, typer.Option("--reload-data", help="Rebuild and reload the built-in data sets.")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Server processes.")] = 1,
) -> None:
    """Start the web platform (pages and JSON API) on the configured database."""
    with friendly_errors():
        settings = get_settings()
        with reference_data(settings) as reference, step_progress() as progress:
            loaded = prepare_database(settings, reference, reload=reload_data, progress=progress)
    if loaded:
        console.print(f"[green]loaded[/] {', '.join(loaded)}")
    console.print(
        f"clusterhub on [bold]http://{host}:{port}/[/] (database {settings.database_url})"
    )
    run_server(settings, host=host, port=port, workers=workers)


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve the app on a prepared database (what ``serve`` does after loading the data)."""
    # The factory string keeps the CLI free of web imports; each worker builds its own app.
    uvicorn.run(
        "clusterhub.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        **proxy_options(settings),
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-* believed from ``trusted_proxies`` only.

    uvicorn's own default believes them from 127.0.0.1, so anyone on the server itself (or a
    proxy that passes the header through unchanged) could pick the client address that the
    login rate limit counts.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}
