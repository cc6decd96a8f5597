"""A visitor's path through the observatory in a real browser, with no network but the server.

Home page map → pick another cluster (HTMX swaps the map in place) → open a region from the
table → download its table as CSV. The page fixture fails any test whose page tried to reach
another host or logged a console error.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.live import LiveServer, PageGuard, wait_for_chart

pytestmark = pytest.mark.e2e

#: A NUTS 2 choropleth of Europe draws one SVG path per region (~240) plus axes and legend.
MIN_MAP_PATHS = 100


def test_home_draws_the_map(page: Page) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("industrial clusters")
    paths = wait_for_chart(page, "#map-area .map", MIN_MAP_PATHS)
    assert paths > MIN_MAP_PATHS
    # The default cluster is Automotive (code 4); its map is labelled for screen readers.
    expect(page.locator("#map-area .map")).to_have_attribute("aria-label", re.compile("Automotive"))


def test_picking_a_cluster_swaps_the_map_in_place(page: Page) -> None:
    page.goto("/")
    wait_for_chart(page, "#map-area .map", MIN_MAP_PATHS)
    page.evaluate("window.__sameDocument = true")
    old_map = page.locator("#map-area .map").element_handle()
    assert old_map is not None

    with page.expect_response(re.compile(r"/_partials/map\?")) as swap:
        page.select_option("#cluster", label="Apparel")
    response = swap.value
    assert response.status == 200
    assert "cluster=3" in response.url

    new_map = page.locator("#map-area .map")
    expect(new_map).to_have_attribute("aria-label", re.compile("Apparel"))
    assert wait_for_chart(page, "#map-area .map", MIN_MAP_PATHS) > MIN_MAP_PATHS
    assert old_map.evaluate("el => el.isConnected") is False  # replaced, not restyled
    assert page.evaluate("window.__sameDocument") is True  # no page load: an HTMX swap
    assert urlsplit(page.url).path == "/"  # hx-push-url="false": the address stays
    expect(page.locator("#map-area caption")).to_contain_text("Apparel")


def test_changing_the_measure_recolours_the_map(page: Page) -> None:
    page.goto("/")
    wait_for_chart(page, "#map-area .map", MIN_MAP_PATHS)
    with page.expect_response(re.compile(r"measure=lq")):
        page.select_option("#measure", "lq")
    expect(page.locator("#map-area .map")).to_have_attribute("aria-label", re.compile(r"\blq\b"))
    assert wait_for_chart(page, "#map-area .map", MIN_MAP_PATHS) > MIN_MAP_PATHS
    title = page.locator("#map-area .map .gtitle").text_content() or ""
    assert "location quotient" in title


def test_open_a_region_from_the_table_and_export_csv(page: Page, tmp_path: Path) -> None:
    page.goto("/")
    wait_for_chart(page, "#map-area .map", MIN_MAP_PATHS)
    first = page.locator("#map-area tbody tr").first.locator("a")
    name = (first.text_content() or "").strip()
    assert name

    first.click()
    page.wait_for_url(re.compile(r"/regions/[A-Z0-9]+\?dataset=eu-sbs$"))
    code = page.url.split("/regions/")[1].split("?")[0]
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("h1")).to_contain_text(f"({code})")
    for chart in page.locator(".chart").all():
        chart.locator("svg path").first.wait_for(state="attached")
    rows_on_page = page.locator("#all ~ .table-wrap tbody tr").count()
    assert rows_on_page > 10

    with page.expect_download() as pending:
        page.get_by_role("link", name="Download CSV").click()
    download = pending.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows, "the CSV has a header but no rows"
    assert {"region_code", "cluster_code", "employment", "lq", "stars"} <= set(rows[0])
    assert {r["region_code"] for r in rows} == {code}
    assert len(rows) == rows_on_page  # the download holds the table shown


def test_cluster_profile_draws_map_and_star_chart(page: Page) -> None:
    page.goto("/clusters/4")
    expect(page.locator("h1")).to_contain_text("Automotive")
    assert wait_for_chart(page, ".map", MIN_MAP_PATHS) > MIN_MAP_PATHS
    assert wait_for_chart(page, "#ratings + .chart-scroll .chart", 1) >= 1
    # Automotive rests on divisions shared among clusters (mostly estimated): by default its
    # stars are withheld, so asking for them shows one bar per star count that occurs.
    page.goto("/clusters/4?estimated_stars=true")
    assert wait_for_chart(page, "#ratings + .chart-scroll .chart", 1) >= 1
    bars = page.locator("#ratings + .chart-scroll .chart .barlayer .point path").count()
    assert bars >= 2


def test_region_peers_are_compared(page: Page) -> None:
    page.goto("/regions/DE11")
    page.fill("#peers", "DE21, FR10")
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").click()
    assert "peers=DE21" in page.url
    chart = page.locator("#compare ~ .chart-scroll .chart").first
    chart.locator("svg path").first.wait_for(state="attached")
    legend = chart.locator(".legend").text_content() or ""
    assert "Oberbayern" in legend and "Stuttgart" in legend


def test_the_network_guard_blocks_and_records_other_hosts(
    page: Page, guard: PageGuard, live_server: LiveServer
) -> None:
    """The fences every other test relies on: a request to another host fails and is seen.

    Our pages forbid it themselves (Content-Security-Policy ``connect-src 'self'``); a page
    without that policy shows that the test's own fence blocks and records it too."""
    fetch = "fetch('https://cdn.example.org/lib.js').then(() => 'loaded', () => 'failed')"
    guard.expect_console_error("cdn.example.org")  # the failed fetches are logged; the point
    page.goto("/")
    assert page.evaluate(fetch) == "failed"
    assert guard.blocked == []  # refused by the page's policy before any request was made
    local = page.evaluate("fetch('/healthz').then(r => r.status)")
    assert local == 200 and live_server.url.startswith("http://127.0.0.1:")
    page.goto("about:blank")
    assert page.evaluate(fetch) == "failed"
    assert guard.blocked == ["https://cdn.example.org/lib.js"]
    guard.blocked.clear()
