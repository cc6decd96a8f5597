"""A real clusterhub web server on a database the test prepared.

``AppServer`` runs what ``clusterhub serve`` runs once the data is loaded
(``clusterhub.cli.serve.run_server``: uvicorn with the app factory and the proxy settings), on
an already migrated and seeded database of either kind. Unlike ``tests.e2e.live.LiveServer``,
which loads the built-in data on first start, it is up in seconds, so tests of concurrency,
limits and headers run against the real server stack (uvicorn's HTTP parser, its thread
pool, real connections).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.server_process import ServerProcess


class AppServer(ServerProcess):
    """The app on the database of ``env`` (``CLUSTERHUB_*`` settings, the URL at least)."""

    label = "uvicorn"

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        super().__init__(folder, timeout=60.0)
        self.env = env

    def command(self) -> list[str]:
        return [
            sys.executable, "-c",
            "from clusterhub.cli.serve import run_server; from clusterhub.config import "
            f"get_settings; run_server(get_settings(), host='127.0.0.1', port={self.port})",
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "CLUSTERHUB_ENVIRONMENT": "test",
            "CLUSTERHUB_EMBED_IN_BACKGROUND": "false",
            "CLUSTERHUB_EVENTS_TIMER_SECONDS": "0",
            "CLUSTERHUB_STATE_DIR": str(self.folder / "state"),
            **self.env,
        }
