"""A real clusterhub server and an offline headless Chromium, for browser tests and screenshots.

``LiveServer`` runs ``clusterhub serve`` in a subprocess on a free loopback port with its own
SQLite database (the command migrates it and loads the real EU and U.S. data on first start),
waits until ``/healthz`` answers, and stops the process afterwards.

``launch_browser`` starts the machine's Debian Chromium through Playwright (``playwright
install`` cannot download browsers here). ``guard_page`` makes a page that can reach nothing but
the server: every other request is aborted by a route handler and recorded, and console errors
and uncaught exceptions are collected, so tests can assert that none happened.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    ViewportSize,
)

from tests.server_process import ServerProcess

CHROMIUM = Path(os.environ.get("CLUSTERHUB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A second fence behind the route handler: no host name but the loopback resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
#: First start migrates and loads both data sets (about 8 s here); leave room on slow CI.
START_TIMEOUT = 120.0
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
MOBILE: ViewportSize = {"width": 360, "height": 740}


def _executable() -> list[str]:
    """The ``clusterhub`` console script of the running environment (uv's venv)."""
    script = Path(sys.executable).with_name("clusterhub")
    if script.exists():
        return [str(script)]
    found = shutil.which("clusterhub")
    if found:
        return [found]
    return [sys.executable, "-c", "from clusterhub.cli import main; main()"]


class LiveServer(ServerProcess):
    """``clusterhub serve`` on ``127.0.0.1:<free port>``, data in ``folder``; a context manager."""

    label = "clusterhub serve"

    def __init__(self, folder: Path, data_mirror: Path) -> None:
        super().__init__(folder, timeout=START_TIMEOUT)
        self.data_mirror = data_mirror

    def command(self) -> list[str]:
        return [*_executable(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "CLUSTERHUB_DATABASE_URL": f"sqlite:///{self.folder / 'e2e.db'}",
            "CLUSTERHUB_DATA_MIRROR": str(self.data_mirror),
            "CLUSTERHUB_STATE_DIR": str(self.folder / "state"),
            "CLUSTERHUB_CACHE_DIR": str(self.folder / "cache"),
            "CLUSTERHUB_MAIL_BACKEND": "file",
            "CLUSTERHUB_ENVIRONMENT": "test",
            # Browser tests time pages; minutes of background embedding would compete for cores.
            "CLUSTERHUB_EMBED_IN_BACKGROUND": "false",
            # two workers would each learn the recommender from the whole graph: its browser
            # test has a server of its own (test_partners_browser.py)
            "CLUSTERHUB_RECOMMEND": "false",
            "NO_COLOR": "1",
        }


def launch_browser(playwright: Playwright) -> Browser:
    """Headless Debian Chromium with background networking off."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


@dataclass
class PageGuard:
    """What a page tried that it must not: requests off the server, console errors."""

    origin: str
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    expected_console: set[str] = field(default_factory=set)

    def route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and (
            f"{parts.scheme}://{parts.netloc}" != self.origin
        ):
            self.blocked.append(url)
            route.abort("blockedbyclient")
            return
        route.continue_()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def page_error(self, error: Exception) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def expect_console_error(self, fragment: str) -> None:
        """Accept console errors containing ``fragment``: ones the test provokes on purpose
        (they may be logged a moment after the action, so they are filtered at the end)."""
        self.expected_console.add(fragment)

    def expect_error_status(self, status: int) -> None:
        """Accept the console's report of an error status the test provokes (the browser logs
        every 4xx response, the page itself included)."""
        self.expect_console_error(f"status of {status} ")

    def reset(self) -> None:
        """Forget everything recorded (a new test starts on the same page)."""
        self.blocked.clear()
        self.console_errors.clear()
        self.expected_console.clear()

    def problems(self) -> list[str]:
        errors = [
            e
            for e in self.console_errors
            if not any(fragment in e for fragment in self.expected_console)
        ]
        return [f"request off the server: {u}" for u in self.blocked] + [
            f"console error: {e}" for e in errors
        ]


def guard_page(context: BrowserContext, origin: str) -> tuple[Page, PageGuard]:
    """A new page in ``context`` whose every request off ``origin`` is aborted and recorded."""
    guard = PageGuard(origin)
    context.route("**/*", guard.route)
    page = context.new_page()
    page.on("console", guard.console)
    page.on("pageerror", guard.page_error)
    return page, guard


class Tab:
    """One guarded page kept open in ``context`` across tests.

    A page that stays open keeps its renderer's compiled plotly.js: a chart page then loads
    in about a third of the time a new page needs. ``start`` hands the page to the next test
    logged out (no cookies), on ``about:blank``, with a clean guard.
    """

    def __init__(self, context: BrowserContext, origin: str) -> None:
        self.context = context
        self.guard = PageGuard(origin)
        context.route("**/*", self.guard.route)
        self.page = self._open()

    def _open(self) -> Page:
        page = self.context.new_page()
        page.on("console", self.guard.console)
        page.on("pageerror", self.guard.page_error)
        return page

    def start(self) -> tuple[Page, PageGuard]:
        if self.page.is_closed():
            self.page = self._open()
        for other in self.context.pages:
            if other is not self.page:
                other.close()
        self.context.clear_cookies()
        self.page.goto("about:blank")
        self.guard.reset()
        return self.page, self.guard


def wait_for_chart(page: Page, selector: str, min_paths: int = 1, timeout: float = 30_000) -> int:
    """Wait until Plotly has drawn at least ``min_paths`` SVG paths inside ``selector``."""
    page.wait_for_function(
        "([sel, n]) => { const el = document.querySelector(sel);"
        " return !!el && el.querySelectorAll('svg path').length >= n; }",
        arg=[selector, min_paths],
        timeout=timeout,
    )
    count: int = page.eval_on_selector(selector, "el => el.querySelectorAll('svg path').length")
    return count
