"""The observatory pages render real data, link to each other, export, and never answer 500."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from clusterhub.web.assets import static_url


def test_home_shows_a_map_of_the_chosen_cluster(client: TestClient) -> None:
    page = client.get("/", params={"cluster": "4"})
    assert page.status_code == 200
    html = page.text
    assert "Automotive" in html and 'data-figure="' in html
    assert f'data-plotly="{static_url("vendor/plotly.min.js")}"' in html and "nuts2.json" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_map_fragment_for_htmx(client: TestClient) -> None:
    fragment = client.get("/_partials/map", params={"cluster": "3", "measure": "lq"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="map-area">')
    assert "Apparel" in fragment.text


def test_region_page_has_its_strong_clusters_and_comparisons(client: TestClient) -> None:
    page = client.get("/regions/DE11", params={"peers": "DE21, FR10,de11"})
    assert page.status_code == 200
    assert "Stuttgart" in page.text and "Automotive" in page.text
    assert "Oberbayern" in page.text and "Deutschland" in page.text  # peer and country


def test_cluster_page_for_both_data_sets(client: TestClient) -> None:
    assert "Automotive" in client.get("/clusters/4").text
    us = client.get("/clusters/4", params={"dataset": "us-states"})
    assert us.status_code == 200 and "Michigan" in us.text


def test_exports_hold_the_same_rows_as_the_api(client: TestClient) -> None:
    api = client.get("/api/v1/regions/DE11").json()
    raw = client.get("/regions/DE11/clusters.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert len(rows) == len(api["clusters"])
    assert rows[0]["cluster_code"] == api["clusters"][0]["cluster_code"]
    xlsx = client.get("/clusters/4/regions.xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    # One row per NUTS 2 region of the map (288 since the NUTS 2013 codes were carried to
    # NUTS 2021 and blank legacy codes left out) under the header.
    nuts2 = client.get("/api/v1/regions", params={"region_type": "nuts2", "page_size": 1}).json()[
        "total"
    ]
    assert sheet is not None and sheet.max_row == nuts2 + 1 > 280


def test_methodology_is_rendered_from_the_docs(client: TestClient) -> None:
    page = client.get("/methodology")
    assert page.status_code == 200 and "<table>" in page.text and "R-7" in page.text


def test_search_finds_regions_and_clusters(client: TestClient) -> None:
    page = client.get("/search", params={"q": "bayern"})
    assert "Oberbayern" in page.text
    assert "Automotive" in client.get("/search", params={"q": "automo"}).text


def test_static_assets_are_served_locally(client: TestClient) -> None:
    assert client.get("/vendor/plotly.min.js").status_code == 200
    assert "PlotlyGeoAssets" in client.get("/vendor/geo-assets.js").text
    geo = client.get("/geo/nuts2.json").json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) > 300


@pytest.mark.parametrize(
    "path",
    [
        "/regions/XX99",
        "/clusters/999",
        "/regions/DE11?year=abc",
        "/regions/DE11/clusters.pdf",
        "/?cluster=999",
        "/?measure=nonsense",
        "/regions/DE11?peers=<script>",
        "/no/such/page",
        "/geo/nuts9.json",
    ],
)
def test_bad_input_gets_an_error_page_not_a_500(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert "<h1>" in response.text and "<script>alert" not in response.text


@pytest.mark.parametrize(("path", "rows"), [("/regions.csv", 425 + 50), ("/clusters.csv", 50 + 67)])
def test_list_pages_export_every_row(client: TestClient, path: str, rows: int) -> None:
    merged = 0
    for dataset in ("eu-sbs", "us-states"):
        raw = client.get(path, params={"dataset": dataset}).content.decode("utf-8-sig")
        merged += len(list(csv.DictReader(io.StringIO(raw))))
    assert merged == rows


@pytest.mark.parametrize(
    "path",
    [
        "/regions?q=%00",
        "/clusters?q=%00",
        "/regions?dataset=%00",
        "/regions/DE11?dataset=%00",
        "/clusters/4?region_type=%00",
        "/metrics.csv?cluster=%00",
        "/?cluster=%00",
        "/_partials/map?cluster=%00",
    ],
)
def test_nul_characters_are_refused_on_pages_too(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert "NUL" in response.text


def test_withheld_stars_are_not_drawn_or_listed_as_no_star(client: TestClient) -> None:
    html = client.get("/clusters/4", params={"dataset": "eu-sbs"}).text
    legend = html[html.index('class="star-legend"') :].split("</p>", 1)[0]
    assert '<span class="no-star">no star</span>' in legend
    assert "≈ stars withheld" in legend  # some Automotive regions are mostly estimated
    names = [t.get("name") for f in _figures(html) for t in f["data"]]
    assert "≈ stars withheld" in names  # their own layer on the star map
    asked = client.get("/clusters/4", params={"dataset": "eu-sbs", "estimated_stars": "true"})
    assert "≈ stars withheld" not in asked.text and "more than half estimated" in asked.text


def test_the_rating_chart_counts_withheld_stars_apart_from_no_star(client: TestClient) -> None:
    cluster = client.get("/api/v1/clusters/4", params={"dataset": "eu-sbs"}).json()
    page = client.get("/clusters/4", params={"dataset": "eu-sbs"}).text
    figures = [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]+)"', page)]
    (bars,) = [f["data"][0] for f in figures if "Star ratings" in f["layout"]["title"]["text"]]
    assert bars["x"][0] == "no star" and bars["x"][-1] == "stars withheld"
    assert bars["y"][-1] == cluster["withheld_regions"] > 0
    assert sum(bars["y"]) == sum(cluster["star_counts"].values())  # every region once
    assert len(set(bars["marker"]["color"])) == len(bars["x"])  # no two bars alike


def _figures(page: str) -> list[dict[str, Any]]:
    """The Plotly figures of a page (``data-figure`` attributes)."""
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]+)"', page)]


def test_a_row_without_stars_says_no_star_rather_than_nothing(client: TestClient) -> None:
    cluster = client.get("/api/v1/clusters/4", params={"dataset": "us-states"}).json()
    shown = cluster["regions"][:25]
    starless = [r for r in shown if r["stars"] == 0 and not r["stars_withheld"]]
    assert starless, "some leading states earn no star"
    page = client.get("/clusters/4", params={"dataset": "us-states"}).text
    cells = page.count('<span class="no-star" aria-hidden="true">no star</span>')
    assert cells >= len(starless)
