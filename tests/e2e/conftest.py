"""Browser tests against a real ``clusterhub serve`` process, driven by Playwright + Chromium.

Every test module here is marked ``e2e`` (``-m e2e`` selects them, ``-m "not e2e"`` leaves
them out). Each pytest worker starts one server (own SQLite database, the shared real data) and
one headless Chromium for the session; each test gets a fresh browser context whose page can
reach nothing but that server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.live import CHROMIUM, DESKTOP, LiveServer, PageGuard, guard_page, launch_browser


@pytest.fixture(scope="session")
def live_server(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``clusterhub serve`` on a free loopback port, healthy, stopped after the session."""
    with LiveServer(tmp_path_factory.mktemp("e2e-server"), shared_data) as server:
        yield server


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CLUSTERHUB_REQUIRE_BROWSER"):
            pytest.fail(f"{reason}, and CLUSTERHUB_REQUIRE_BROWSER is set (CI installs it)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the worker's session."""
    chromium = launch_browser(playwright_instance)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh profile (no cookies) at desktop size, downloads accepted."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, accept_downloads=True, locale="en-GB"
    )
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


@pytest.fixture
def guarded(context: BrowserContext, live_server: LiveServer) -> Iterator[tuple[Page, PageGuard]]:
    """A page that can reach only the server; after the test, it must have tried nothing else
    and logged no console error."""
    page, guard = guard_page(context, live_server.url)
    yield page, guard
    problems = guard.problems()
    if problems:
        pytest.fail("page misbehaved:\n" + "\n".join(problems))


@pytest.fixture
def page(guarded: tuple[Page, PageGuard]) -> Page:
    return guarded[0]


@pytest.fixture
def guard(guarded: tuple[Page, PageGuard]) -> PageGuard:
    return guarded[1]
