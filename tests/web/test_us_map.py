"""The U.S. map: states drawn from the shipped Census boundaries, on the pages of U.S. data."""

from __future__ import annotations

import html
import json
import re

from fastapi.testclient import TestClient


def _figure(page: str) -> dict[str, object]:
    found = re.search(r'data-figure="([^"]+)"', page)
    assert found, "no figure on the page"
    figure: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return figure


def _stars(figure: dict[str, object]) -> dict[str, object]:
    """The trace of the measure (others: "no data" under it, estimated or withheld over it)."""
    traces: list[dict[str, object]] = figure["data"]  # type: ignore[assignment]
    return next(t for t in traces if "colorbar" in t)


def test_the_home_map_draws_the_states_of_the_us_data_set(client: TestClient) -> None:
    page = client.get("/", params={"dataset": "us-states"})
    assert page.status_code == 200
    assert "Where U.S. industrial clusters are" in page.text
    assert '<option value="state" selected>U.S. state</option>' in page.text
    figure = _figure(page.text)
    trace = _stars(figure)
    assert trace["geojson"] == "/geo/us-state.json"
    assert trace["featureidkey"] == "properties.code"
    assert len(trace["locations"]) == 50 and "26" in trace["locations"]  # Michigan
    assert figure["layout"]["geo"]["projection"]["type"] == "albers usa"  # type: ignore[index]


def test_a_us_cluster_page_has_the_state_map(client: TestClient) -> None:
    page = client.get("/clusters/4", params={"dataset": "us-states"})
    assert page.status_code == 200
    assert _stars(_figure(page.text))["geojson"] == "/geo/us-state.json"


def test_state_polygons_are_served_for_every_state_on_the_map(client: TestClient) -> None:
    shapes = client.get("/geo/us-state.json")
    assert shapes.status_code == 200
    assert shapes.headers["content-type"] == "application/geo+json"
    codes = {f["properties"]["code"] for f in shapes.json()["features"]}
    located = _stars(_figure(client.get("/", params={"dataset": "us-states"}).text))
    assert set(located["locations"]) <= codes  # type: ignore[arg-type]


def test_states_without_data_are_outlined_as_no_data(client: TestClient) -> None:
    shapes = client.get("/geo/us-state.json").json()
    codes = {f["properties"]["code"] for f in shapes["features"]}
    for page in (
        client.get("/", params={"dataset": "us-states"}),
        client.get("/clusters/4", params={"dataset": "us-states"}),
    ):
        traces: list[dict[str, object]] = _figure(page.text)["data"]  # type: ignore[assignment]
        blank = next(t for t in traces if t.get("name") == "no data")
        assert traces[0] is blank  # drawn first: under the data
        assert blank["hovertemplate"] == "%{location}: no data<extra></extra>"
        drawn = set(_stars({"data": traces})["locations"]) | set(blank["locations"])  # type: ignore[arg-type]
        assert drawn == codes  # every polygon, none twice
        assert not set(blank["locations"]) & set(_stars({"data": traces})["locations"])  # type: ignore[arg-type]


def test_region_types_without_polygons_get_no_map_route(client: TestClient) -> None:
    assert client.get("/geo/us-msa.json").status_code == 422
    assert client.get("/", params={"region_type": "msa"}).status_code == 422


def test_the_offline_base_maps_cover_the_us_scope(client: TestClient) -> None:
    script = client.get("/vendor/geo-assets.js").text
    assert "world_110m" in script and "usa_110m" in script
