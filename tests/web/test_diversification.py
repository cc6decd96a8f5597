"""Diversification paths of real regions: the service on the loaded EU and U.S. maps (SQLite
and PostgreSQL, through the web test app's database), the JSON API and the region-page section."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient

from clusterhub.classify import is_extra_regio
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.diversification import region_diversification
from clusterhub.services.observatory.schemas import DiversificationPublic
from clusterhub.stats.complexity import complexity
from clusterhub.stats.relatedness import engine_input


@pytest.fixture(scope="module")
def stuttgart(client: TestClient) -> DiversificationPublic:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return region_diversification(session, code="DE11")


def _engine_year(table: pl.DataFrame, region_type: str) -> tuple[list[str], list[str], np.ndarray]:
    """The engine run on the map's own frame (not the database), through the one rule that
    turns a long frame into the engine's input."""
    cells = table.select(
        region="region_code",
        region_type="region_type",
        industry="cluster_code",
        year="year",
        value="employment",
    )
    year = complexity(engine_input(cells, region_type).cells).years[int(table["year"].max())]
    return year.regions, year.industries, year.proximity


def test_paths_are_the_clusters_not_specialised_in_by_density(
    stuttgart: DiversificationPublic,
) -> None:
    assert (stuttgart.region_type, stuttgart.year, stuttgart.dataset) == ("nuts2", 2015, "eu-sbs")
    held = {s.cluster_code for s in stuttgart.specialisations}
    assert "4" in held  # Automotive
    paths = stuttgart.paths
    assert len(paths) + len(held) == stuttgart.clusters_compared == 50
    assert not held & {p.cluster_code for p in paths}
    assert all(p.rca < 1 for p in paths) and all(s.rca >= 1 for s in stuttgart.specialisations)
    keys = [(-p.density, -p.cog) for p in paths]
    assert keys == sorted(keys)


def test_neighbours_are_specialisations_with_the_engines_proximity(
    stuttgart: DiversificationPublic, eu_map: ClusterMap
) -> None:
    regions, industries, proximity = _engine_year(eu_map.table, "nuts2")
    held = {s.cluster_code for s in stuttgart.specialisations}
    for path in stuttgart.paths[:10]:
        assert 1 <= len(path.neighbours) <= 3
        values = [n.proximity for n in path.neighbours]
        assert values == sorted(values, reverse=True)
        for n in path.neighbours:
            assert n.cluster_code in held
            expected = proximity[
                industries.index(path.cluster_code), industries.index(n.cluster_code)
            ]
            assert n.proximity == pytest.approx(expected, abs=1e-12)
        others = held - {n.cluster_code for n in path.neighbours}
        weakest = min(values)
        target = industries.index(path.cluster_code)
        assert all(proximity[target, industries.index(c)] <= weakest for c in others)
    assert "DE11" in regions


def test_strong_regions_abroad_are_in_other_countries(stuttgart: DiversificationPublic) -> None:
    found = [r for p in stuttgart.paths for r in p.strong_elsewhere]
    assert found
    for region in found:
        # A region of another country (first two letters), never an Extra-Regio code (ELZZ
        # has 4 characters and once was listed) and never the region itself.
        assert region.code != "DE11" and region.code[:2] != "DE" and region.country != "DE"
        assert not is_extra_regio(region.code) and re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2}", region.code)
    for path in stuttgart.paths:
        rcas = [r.rca for r in path.strong_elsewhere]
        assert len(rcas) <= 5 and rcas == sorted(rcas, reverse=True)
        assert all(r.rca >= 1 for r in path.strong_elsewhere)


def test_extra_regio_codes_are_not_in_the_matrix(stuttgart: DiversificationPublic) -> None:
    # The SBS file's NUTS 2 regions with employment, carried to NUTS 2021 (289: see the NUTS
    # coverage benchmark); its 8 Extra-Regio codes are left out of the map and the matrix.
    assert stuttgart.regions_compared == 289
    listed = {r.code for p in stuttgart.paths for r in p.strong_elsewhere}
    assert listed and not {c for c in listed if is_extra_regio(c)}


def test_an_extra_regio_code_is_not_a_region(client: TestClient) -> None:
    answer = client.get("/api/v1/regions/ELZZ/diversification", params={"dataset": "eu-sbs"})
    assert answer.status_code == 404
    assert "ELZZ" in answer.json()["error"]["message"]


def test_a_state_gets_other_states_and_no_local_clusters(client: TestClient) -> None:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        michigan = region_diversification(session, code="26", limit=5)
    assert michigan.region_type == "state" and michigan.regions_compared == 50
    assert michigan.clusters_compared == 51 and len(michigan.paths) == 5
    codes = {p.cluster_code for p in michigan.paths} | {
        s.cluster_code for s in michigan.specialisations
    }
    assert all(int(c) <= 51 for c in codes)
    strong = [r for p in michigan.paths for r in p.strong_elsewhere]
    assert strong and all(r.code != "26" and re.fullmatch(r"\d\d", r.code) for r in strong)


def test_api_answers_the_paths(client: TestClient) -> None:
    answer = client.get("/api/v1/regions/DE11/diversification", params={"limit": 3})
    assert answer.status_code == 200
    body = answer.json()
    assert body["region_code"] == "DE11" and len(body["paths"]) == 3
    assert {"density", "cog", "pci", "neighbours", "strong_elsewhere"} <= set(body["paths"][0])
    us = client.get("/api/v1/regions/26/diversification", params={"dataset": "us-states"})
    assert us.status_code == 200 and us.json()["region_name"] == "Michigan"


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/regions/ZZ99/diversification", {}, 404),
        ("/api/v1/regions/DE11/diversification", {"dataset": "nope"}, 404),
        ("/api/v1/regions/DE11/diversification", {"year": 1999}, 404),
        ("/api/v1/regions/DE11/diversification", {"limit": 0}, 422),
        ("/api/v1/regions/DE11/diversification", {"year": "soon"}, 422),
        ("/api/v1/regions/DE%2011/diversification", {}, 422),
    ],
)
def test_api_errors_have_the_error_shape(
    client: TestClient, path: str, params: dict[str, object], status: int
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == status
    assert set(answer.json()["error"]) >= {"code", "message"}


def test_openapi_documents_the_path(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/regions/{nuts_code}/diversification"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"nuts_code", "dataset", "year", "limit"}
    assert "DiversificationPublic" in spec["components"]["schemas"]


def test_region_page_has_the_section_with_links_abroad(client: TestClient) -> None:
    page = client.get("/regions/DE11")
    assert page.status_code == 200
    section = page.text[page.text.index('id="diversification"') :]
    section = section[: section.index("</table>")]
    links = re.findall(r'href="/regions/([A-Z0-9]+)\?dataset=eu-sbs"', section)
    assert links and all(code[:2] != "DE" and not is_extra_regio(code) for code in links)
    assert "Density" in section and "Automotive" in page.text
    assert "Strong in other countries" in section and "DE11" not in links


def test_region_page_of_a_state_names_other_states(client: TestClient) -> None:
    page = client.get("/regions/26", params={"dataset": "us-states"})
    assert page.status_code == 200 and "Diversification paths" in page.text
    section = page.text[page.text.index('id="diversification"') :]
    section = section[: section.index("</table>")]
    assert "Strong in other states" in section and "Strong elsewhere" not in section
    links = re.findall(r'href="/regions/([0-9A-Z]+)\?dataset=us-states"', section)
    assert links and all(re.fullmatch(r"\d\d", code) and code != "26" for code in links)
