"""A server in a subprocess of its own, for the tests that need a real one.

``ServerProcess`` starts a command in its own process group on a free loopback port, waits
until ``/healthz`` answers, keeps the output in a log file for assertion messages, and stops
the whole group afterwards. ``tests.e2e.live.LiveServer`` (``clusterhub serve`` with the data
loaded on first start) and ``tests.live_app.AppServer`` (the server on a prepared database)
say which command and environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self


def free_port() -> int:
    """A TCP port nobody listens on at the moment (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """A server command on ``127.0.0.1:<free port>``; a context manager."""

    #: What the log and errors call it.
    label = "server"

    def __init__(self, folder: Path, *, timeout: float) -> None:
        self.folder = folder
        self.timeout = timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"{self.label.replace(' ', '-')}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that serves on ``self.port``."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """The process's environment (none of the caller's ``CLUSTERHUB_*`` leaks in)."""
        return {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERHUB_")}

    def start(self) -> Self:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"{self.label} exited with {code}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.label} not healthy in {self.timeout} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        """The server's process id (for its memory use)."""
        assert self.process is not None
        return self.process.pid

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's output (for assertion messages)."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
