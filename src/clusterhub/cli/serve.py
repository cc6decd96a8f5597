"""``clusterhub serve``: migrate, load the data on first start, then serve the platform."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clusterhub.cli._console import console, friendly_errors, reference_data, step_progress

if TYPE_CHECKING:
    from clusterhub.config import Settings


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    reload_data: Annotated[
        bool, typer.Option("--reload-data", help="Rebuild and reload the built-in data sets.")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Server processes.")] = 1,
) -> None:
    """Start the web platform (pages and JSON API) on the configured database."""
    from clusterhub.config import get_settings
    from clusterhub.services.bootstrap import prepare_database

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
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    # The factory string keeps the CLI free of web imports; each worker builds its own app.
    options: dict[str, Any] = {
        "factory": True, "host": host, "port": port, "workers": workers, "log_level": "info",
        **proxy_options(settings),
    }  # fmt: skip
    if workers == 1:
        uvicorn.run("clusterhub.web.app:create_app", **options)
        return
    config = uvicorn.Config("clusterhub.web.app:create_app", **options)
    Multiprocess(config, sockets=[tcp_listener(config.bind_socket())]).run()


def tcp_listener(bound: socket.socket) -> socket.socket:
    """``bound`` (a listening TCP socket) as a socket that says it speaks TCP.

    uvicorn binds the socket it hands its worker processes with ``proto`` 0, accepted
    connections inherit that, and asyncio turns Nagle's algorithm off (``TCP_NODELAY``) only on
    sockets whose ``proto`` is TCP: every keep-alive request after the first then waited ~44 ms
    for the client's delayed ACK (measured: /healthz 47 ms with two workers, 1 ms with one;
    uvicorn issue 3149). Same descriptor, same address; only the Python object's protocol.
    """
    if bound.family not in (socket.AF_INET, socket.AF_INET6):
        return bound
    return socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-* believed from ``trusted_proxies`` only.

    uvicorn's own default believes them from 127.0.0.1, so anyone on the server itself (or a
    proxy that passes the header through unchanged) could pick the client address that the
    login rate limit counts.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}
