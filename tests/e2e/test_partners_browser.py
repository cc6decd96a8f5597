"""Suggested partners on a profile page, and the S3 pages a first start fills, in a real browser.

The profile page's section says the model is learning, asks again by itself (HTMX) and shows the
partners with their reasons once it has learned; it fits a phone's width. Its server runs on a
database holding the synthetic collaboration world: learning takes seconds, not the minute the
whole Horizon 2020 graph takes (the live server of the other browser tests has the recommender
switched off, so that two workers do not each learn it). The S3 test reads the live server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from clusterhub.services.s3.seed import DEMO_REGIONS
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.conftest import migrated_database
from tests.e2e.live import DESKTOP, MOBILE, PageGuard
from tests.e2e.test_accessibility import OVERFLOW_JS, OVERFLOW_TOLERANCE
from tests.live_app import AppServer
from tests.services.recommend.stored_world import store_world
from tests.services.recommend.world import world

pytestmark = pytest.mark.e2e
#: Milliseconds the page may wait for the model (seconds of learning, at low priority).
LEARNING_MS = 120_000


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[AppServer, dict[str, int]]]:
    folder = tmp_path_factory.mktemp("partners-browser")
    with migrated_database("sqlite", folder) as settings:
        engine = make_engine(settings)
        with transaction(make_session_factory(engine)) as session:
            ids = store_world(session, world(seed=3))
        engine.dispose()
        env = {"CLUSTERHUB_DATABASE_URL": settings.database_url,
               "CLUSTERHUB_DATA_MIRROR": str(shared_data), "CLUSTERHUB_RECOMMEND": "true",
               "CLUSTERHUB_WARM_AT_START": "false"}  # fmt: skip
        with AppServer(folder, env) as running:
            yield running, ids


def _page(browser: Browser, url: str, width: int) -> Page:
    viewport = DESKTOP if width > 640 else MOBILE
    context = browser.new_context(base_url=url, viewport=viewport, is_mobile=width < 640)
    context.set_default_timeout(20_000)
    return context.new_page()


def test_the_profile_page_shows_suggested_partners_with_reasons(
    browser: Browser, server: tuple[AppServer, dict[str, int]]
) -> None:
    running, ids = server
    org = ids["c2-o04"]
    page = _page(browser, running.url, DESKTOP["width"])
    page.goto(f"/directory/{org}")
    section = page.locator("section.suggested-partners")
    expect(section.get_by_role("heading", name="Suggested partners")).to_be_visible()
    items = section.locator("ol.suggestions > li")
    expect(items).to_have_count(10, timeout=LEARNING_MS)
    expect(section).to_contain_text("Suggestions learned from its Horizon 2020 projects")
    expect(section.get_by_role("link", name="How suggestions are made")).to_be_visible()
    for i in range(10):
        assert items.nth(i).locator("ul.reasons > li").count() >= 2
        href = items.nth(i).get_by_role("link").first.get_attribute("href")
        assert href and href.startswith("/directory/") and href != f"/directory/{org}"
    expect(items.first).to_contain_text("World organisation")
    page.context.close()


def test_the_section_fits_a_phone(
    browser: Browser, server: tuple[AppServer, dict[str, int]]
) -> None:
    running, ids = server
    page = _page(browser, running.url, MOBILE["width"])
    page.goto(f"/directory/{ids['c1-o09']}")
    items = page.locator("section.suggested-partners ol.suggestions > li")
    expect(items).to_have_count(10, timeout=LEARNING_MS)
    limit = MOBILE["width"] + OVERFLOW_TOLERANCE
    found = page.evaluate(OVERFLOW_JS, limit)
    assert found["width"] <= limit, f"page is {found['width']} px wide: {found['wide']}"
    page.context.close()


def test_a_first_start_shows_synthetic_s3_strategies_said_to_be_synthetic(
    page: Page, guard: PageGuard
) -> None:
    page.goto("/s3")
    expect(page.locator("h1")).to_have_text("Smart Specialisation strategies")
    rows = page.locator("#main table tbody tr")
    expect(rows).to_have_count(len(DEMO_REGIONS))
    for i in range(len(DEMO_REGIONS)):
        expect(rows.nth(i)).to_contain_text("Synthetic")
    rows.first.get_by_role("link").click()
    expect(page.locator(".note").first).to_contain_text("generated for demonstration")
