"""Browser tests against a real ``clusterhub serve`` process, driven by Playwright + Chromium.

Every test module here is marked ``e2e`` (``-m e2e`` selects them, ``-m "not e2e"`` leaves
them out). Each pytest worker starts one server (own SQLite database, the shared real data) and
one headless Chromium for the session, with one desktop and one phone page reused by the tests
(much faster chart pages); each test starts logged out on a page that can reach nothing but
that server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from tests.e2e.live import (
    CHROMIUM,
    DESKTOP,
    MOBILE,
    LiveServer,
    PageGuard,
    Tab,
    launch_browser,
)


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


def _new_context(browser: Browser, server: LiveServer, viewport: ViewportSize) -> BrowserContext:
    ctx = browser.new_context(
        base_url=server.url,
        viewport=viewport,
        is_mobile=viewport["width"] < 640,
        accept_downloads=True,
        locale="en-GB",
    )
    ctx.set_default_timeout(20_000)
    return ctx


@pytest.fixture(scope="session")
def desktop_tab(browser: Browser, live_server: LiveServer) -> Iterator[Tab]:
    """One 1280x800 page per worker, reused by the tests (see ``Tab``)."""
    ctx = _new_context(browser, live_server, DESKTOP)
    yield Tab(ctx, live_server.url)
    ctx.close()


@pytest.fixture(scope="session")
def mobile_tab(browser: Browser, live_server: LiveServer) -> Iterator[Tab]:
    """The same at 360x740, as a phone (the page's viewport meta tag applies)."""
    ctx = _new_context(browser, live_server, MOBILE)
    yield Tab(ctx, live_server.url)
    ctx.close()


def _checked(tab: Tab) -> Iterator[tuple[Page, PageGuard]]:
    """The tab's page for one test; afterwards it must have tried to reach nothing but the
    server and logged no console error the test did not expect."""
    page, guard = tab.start()
    yield page, guard
    problems = guard.problems()
    if problems:
        pytest.fail("page misbehaved:\n" + "\n".join(problems))


@pytest.fixture
def guarded(desktop_tab: Tab) -> Iterator[tuple[Page, PageGuard]]:
    """A guarded desktop page, logged out, on about:blank."""
    yield from _checked(desktop_tab)


@pytest.fixture
def mobile_guarded(mobile_tab: Tab) -> Iterator[tuple[Page, PageGuard]]:
    """A guarded phone-sized page, logged out, on about:blank."""
    yield from _checked(mobile_tab)


@pytest.fixture
def page(guarded: tuple[Page, PageGuard]) -> Page:
    return guarded[0]


@pytest.fixture
def guard(guarded: tuple[Page, PageGuard]) -> PageGuard:
    return guarded[1]


@pytest.fixture
def context(guarded: tuple[Page, PageGuard]) -> BrowserContext:
    """The browser profile of ``page`` (cookies, downloads)."""
    return guarded[0].context
