"""Static files: content-hashed names cached for a year, compression as the browser accepts,
revalidation of plain names, compressed public data, and a plotly.js bundle that knows every
trace type the pages draw."""

from __future__ import annotations

import hashlib
import html
import json
import re

import brotli
import pytest
from fastapi.testclient import TestClient

from clusterhub.web.assets import IMMUTABLE, PLOTLY, asset_store, static_url
from clusterhub.web.compression import accepted_encoding
from clusterhub.web.headers import CONTENT_SECURITY_POLICY

HASHED_URL = re.compile(r'(?:src|href|data-plotly)="(/static/[^"]+\.([0-9a-f]{10})\.[a-z]+)"')


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
        ("gzip;q=0, br;q=0", None),
        ("br;q=nonsense", None),
    ],
)
def test_the_encoding_follows_accept_encoding(header: str, expected: str | None) -> None:
    assert accepted_encoding(header) == expected


@pytest.mark.parametrize("encoding", ["br", "gzip", "identity"])
def test_plotly_is_sent_compressed_as_accepted_with_a_year_of_cache(
    client: TestClient, encoding: str
) -> None:
    url = static_url(PLOTLY)
    answer = client.get(url, headers={"Accept-Encoding": encoding})
    assert answer.status_code == 200
    sent = int(answer.headers["content-length"])
    plain = asset_store().assets[PLOTLY].body
    assert answer.content == plain  # the client decoded what was sent
    if encoding == "identity":
        assert "content-encoding" not in answer.headers and sent == len(plain)
    else:
        assert answer.headers["content-encoding"] == encoding and sent < len(plain) / 2.5
    assert answer.headers["cache-control"] == IMMUTABLE
    assert answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_every_hashed_address_on_a_page_serves_the_content_it_names(client: TestClient) -> None:
    page = client.get("/regions/DE11").text
    found = HASHED_URL.findall(page)
    names = {url.split("/static/", 1)[1] for url, _ in found}
    assert {"clusterhub.css", "menu.js", "charts.js", "vendor/plotly.min.js"} <= {
        re.sub(r"\.[0-9a-f]{10}(\.[a-z]+)$", r"\1", n) for n in names
    }
    for url, digest in found:
        answer = client.get(url, headers={"Accept-Encoding": "identity"})
        assert answer.status_code == 200, url
        assert hashlib.sha256(answer.content).hexdigest().startswith(digest), url
        assert answer.headers["cache-control"] == IMMUTABLE


def test_plain_names_revalidate_and_outdated_hashes_redirect(client: TestClient) -> None:
    first = client.get("/static/clusterhub.css", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert first.headers["cache-control"] == "public, no-cache"
    again = client.get(
        "/static/clusterhub.css",
        headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    # another encoding is another representation: no 304 for the gzip ETag
    other = client.get(
        "/static/clusterhub.css",
        headers={"Accept-Encoding": "br", "If-None-Match": first.headers["etag"]},
    )
    assert other.status_code == 200 and other.headers["content-encoding"] == "br"
    old = client.get("/static/clusterhub.0000000000.css", follow_redirects=False)
    assert old.status_code == 302 and old.headers["location"] == static_url("clusterhub.css")
    assert (
        client.get("/vendor/plotly.min.js")
        .headers["etag"]
        .strip('"')
        .startswith(asset_store().assets[PLOTLY].digest)
    )
    assert client.get("/static/no-such-file.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_public_data_is_compressed_and_pages_are_not(client: TestClient) -> None:
    plain = client.get("/api/v1/regions?page_size=200", headers={"Accept-Encoding": "identity"})
    packed = client.get("/api/v1/regions?page_size=200", headers={"Accept-Encoding": "br"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "br"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    assert packed.json() == plain.json()
    geo = client.get("/geo/nuts2.json", headers={"Accept-Encoding": "gzip"})
    assert geo.headers["content-encoding"] == "gzip" and geo.json()["type"] == "FeatureCollection"
    # pages carry the CSRF token beside text the visitor chose: never compressed (BREACH)
    page = client.get("/search?q=bayern", headers={"Accept-Encoding": "br, gzip"})
    assert page.status_code == 200 and "content-encoding" not in page.headers


def test_the_plotly_bundle_draws_every_trace_type_the_pages_use(client: TestClient) -> None:
    """The bundle holds a few trace types; one it lacks would leave a chart empty."""
    used: set[str] = set()
    for path in ("/?cluster=4", "/clusters/4", "/regions/DE11", "/regions/DE11?peers=FR10"):
        page = client.get(path).text
        for figure in re.findall(r'data-figure="([^"]+)"', page):
            used |= {
                trace.get("type", "scatter") for trace in json.loads(html.unescape(figure))["data"]
            }
    assert {"bar", "choropleth"} <= used
    bundle = asset_store().assets[PLOTLY].body.decode()
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle))
    assert used <= registered, used - registered
    # the stored file is the brotli variant itself, not compressed again per process
    assert brotli.decompress(asset_store().assets[PLOTLY].encoded("br")) == bundle.encode()
