"""``clusterhub serve``: migrate, load the data on first start, then serve the platform."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from clusterhub.cli._console import console, friendly_errors, reference_data, step_progress
from clusterhub.config import get_settings
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
    settings = get_settings()
    with friendly_errors(), reference_data(settings) as reference, step_progress() as progress:
        loaded = prepare_database(settings, reference, reload=reload_data, progress=progress)
    if loaded:
        console.print(f"[green]loaded[/] {', '.join(loaded)}")
    console.print(
        f"clusterhub on [bold]http://{host}:{port}/[/] (database {settings.database_url})"
    )
    # The factory string keeps the CLI free of web imports; each worker builds its own app.
    uvicorn.run(
        "clusterhub.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
    )
