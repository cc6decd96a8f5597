"""Site-wide assets and page furniture: the favicon, the API explorer and reference served from
this machine (no CDN, the strict content security policy unchanged), the phone menu, the
collapsible filters with their count, and the label badges' wording."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from clusterhub.web.assets import static_url
from clusterhub.web.headers import CONTENT_SECURITY_POLICY
from tests.web.directory_fixtures import DirectoryWorld

#: Any address off this site in a src or href attribute.
EXTERNAL = re.compile(r'(?:src|href)="(?:https?:)?//', re.I)


def test_favicon_is_served_and_linked(client: TestClient) -> None:
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    home = client.get("/regions").text
    assert '<link rel="icon" href="/favicon.ico"' in home
    assert f'<link rel="icon" href="{static_url("favicon.svg")}" type="image/svg+xml">' in home


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/api/docs", ["/vendor/api-docs/swagger-ui-bundle.js", "/vendor/api-docs/swagger-ui.css"]),
        ("/api/redoc", ["/vendor/api-docs/redoc.standalone.js"]),
    ],
)
def test_api_docs_come_from_local_assets_under_the_strict_policy(
    client: TestClient, page: str, assets: list[str]
) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    html = answer.text
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "<script>" not in html and "cdn" not in html.lower()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert 'data-openapi="/openapi.json"' in html and f'"{static_url("api-docs.js")}"' in html
    for asset in assets:
        assert f'"{asset}"' in html
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 100_000, asset
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/static/api-docs.js").status_code == 200


def test_pages_link_the_api_explorer_and_carry_the_phone_menu(client: TestClient) -> None:
    html = client.get("/regions").text
    assert '<a href="/api/docs">' in html and '<a href="/api/redoc">' in html
    # the menu button starts hidden: without JavaScript the menu is simply shown
    assert re.search(r'<button[^>]*class="menu-button"[^>]*aria-controls="site-menu" hidden>', html)
    assert 'id="site-menu"' in html and f'<script src="{static_url("menu.js")}"></script>' in html
    assert client.get("/static/menu.js").status_code == 200
    assert client.get("/static/picker.js").status_code == 200


def test_directory_filters_collapse_and_count_the_active_ones(
    directory_world: DirectoryWorld,
) -> None:
    browser = directory_world.anonymous()
    none = browser.get("/directory").text
    assert re.search(r'<details class="filters[^"]*" data-collapse-narrow open>', none)
    assert "(none active)" in none
    two = browser.get("/directory?country=DE&country=FR&cluster=4").text
    assert "(3 active)" in two
    posts = browser.get("/posts?kind=offer&country=DE").text
    assert "(2 active)" in posts and "data-collapse-narrow" in posts


def test_a_declared_label_is_never_shown_or_filtered_as_verified(
    directory_world: DirectoryWorld,
) -> None:
    """A label the profile states itself reads "declared, not verified" in a plain badge and
    falls under the "declared" filter, never under its level's verified filter."""
    browser = directory_world.logged_in(directory_world.admin_email)
    created = directory_world.create(
        browser, name="Declared Label Cluster Xq", label="gold", label_valid_until="2030-01-01"
    )
    assert created["label_review"] == "declared"
    found = browser.get("/directory?q=Xq&mode=keyword").text
    assert "Gold label: declared, not verified" in found
    assert "badge-gold" not in found and "✓ verified" not in found
    gold = browser.get("/directory?q=Xq&mode=keyword&label=gold").text
    assert "0 profiles for “Xq”" in gold
    declared = browser.get("/directory?q=Xq&mode=keyword&label=declared").text
    assert "1 profile for “Xq”" in declared and "Declared Label Cluster <mark>Xq</mark>" in declared
