"""A real clusterhub web server on a database the test prepared.

``AppServer`` runs what ``clusterhub serve`` runs once the data is loaded
(``clusterhub.cli.serve.run_server``: uvicorn with the app factory and the proxy settings), on
an already migrated and seeded database of either kind. Unlike ``tests.e2e.live.LiveServer``,
which loads the built-in data on first start, it is up in seconds, so tests of concurrency,
limits and headers run against the real server stack (uvicorn's HTTP parser, its thread
pool, real connections).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.e2e.live import free_port

START_TIMEOUT = 60.0


class AppServer:
    """``uvicorn clusterhub.web.app:create_app`` on ``127.0.0.1:<free port>``; a context manager.

    ``env`` holds the ``CLUSTERHUB_*`` settings (database URL at least); nothing else of the
    caller's ``CLUSTERHUB_*`` environment leaks in.
    """

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"uvicorn-{self.port}.log"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def _environment(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERHUB_")}
        return {
            **base,
            "CLUSTERHUB_ENVIRONMENT": "test",
            "CLUSTERHUB_EMBED_IN_BACKGROUND": "false",
            "CLUSTERHUB_STATE_DIR": str(self.folder / "state"),
            **self.env,
        }

    def start(self) -> AppServer:
        command = [
            sys.executable, "-c",
            "from clusterhub.cli.serve import run_server; from clusterhub.config import "
            f"get_settings; run_server(get_settings(), host='127.0.0.1', port={self.port})",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=self._environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"uvicorn not healthy in {START_TIMEOUT} s:\n{self.log()}")

    def log(self, lines: int = 60) -> str:
        """The end of the server's output (for assertion messages)."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def pid(self) -> int:
        """The server's process id (for its memory use)."""
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
