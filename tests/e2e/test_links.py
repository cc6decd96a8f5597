"""Same-site links on each page kind lead somewhere (no 404 a visitor can click into).

Links of one shape (same route, same query keys — e.g. the hundred region links of a table)
come from one template line, so a dozen of each shape are followed, not all.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import parse_qs, urldefrag, urlsplit

import pytest
from playwright.sync_api import Page

from tests.e2e.live import LiveServer

pytestmark = pytest.mark.e2e

PAGES = [
    pytest.param("/", id="home"),
    pytest.param("/regions/DE11", id="region"),
    pytest.param("/clusters/4", id="cluster"),
    pytest.param("/regions", id="regions"),
    pytest.param("/clusters", id="clusters"),
    pytest.param("/search?q=bayern", id="search"),
    pytest.param("/methodology", id="methodology"),
    pytest.param("/account/login", id="login"),
]
PER_SHAPE = 12


def _sample(urls: list[str]) -> list[str]:
    """At most ``PER_SHAPE`` links of each shape (first path segment, depth, query keys)."""
    shapes: dict[tuple[str, int, tuple[str, ...]], list[str]] = defaultdict(list)
    for url in sorted(urls):
        parts = urlsplit(url)
        segments = parts.path.strip("/").split("/")
        shapes[segments[0], len(segments), tuple(sorted(parse_qs(parts.query)))].append(url)
    return [url for group in shapes.values() for url in group[:PER_SHAPE]]


@pytest.mark.parametrize("path", PAGES)
def test_same_site_links_answer(page: Page, live_server: LiveServer, path: str) -> None:
    page.goto(path)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    targets = sorted(
        {urldefrag(h).url for h in hrefs if h.startswith(live_server.url + "/")}
        - {urldefrag(page.url).url}
    )
    assert len(targets) >= 5, "too few links to mean anything"
    broken = []
    for url in _sample(targets):
        answer = page.request.get(url, max_redirects=0)
        if answer.status >= 400:
            broken.append(f"{url.removeprefix(live_server.url)} -> {answer.status}")
    assert broken == []
