"""The JSON API: stable paths, the metrics and ratings, pagination, one error shape, no 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clusterhub.web.caching import ApiCache


def test_region_answers_metrics_and_ratings(client: TestClient) -> None:
    response = client.get("/api/v1/regions/DE11")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Stuttgart" and body["dataset"] == "eu-sbs"
    automotive = next(c for c in body["clusters"] if c["cluster_code"] == "4")
    assert automotive["lq"] > 3 and automotive["strong10"] is True
    assert {"employment", "lq", "strong", "strong10", "stars", "star_flags"} <= set(automotive)
    # Division 29 is shared among six clusters by fixed keys (70 % to automotive): the cell is an
    # estimate, so its stars are withheld unless asked for.
    assert automotive["estimated_share"] > 0.5 and automotive["mostly_estimated"]
    assert automotive["stars"] == 0 and automotive["stars_withheld"] is True
    asked = client.get("/api/v1/regions/DE11", params={"estimated_stars": True}).json()
    automotive = next(c for c in asked["clusters"] if c["cluster_code"] == "4")
    assert automotive["stars"] >= 1 and automotive["stars_withheld"] is False


def test_max_estimated_outside_0_1_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/regions/DE11", params={"max_estimated": 1.5})
    assert response.status_code == 422
    assert "max_estimated" in response.text


def test_cluster_answers_regions_and_star_counts(client: TestClient) -> None:
    body = client.get("/api/v1/clusters/4", params={"limit": 5}).json()
    assert body["name"] == "Automotive" and body["region_type"] == "nuts2"
    assert len(body["regions"]) == 5
    assert sum(body["star_counts"].values()) > 250


def test_us_cluster_of_the_us_data_set(client: TestClient) -> None:
    body = client.get("/api/v1/clusters/1", params={"dataset": "us-states"}).json()
    assert body["region_type"] == "state"
    assert sum(body["star_counts"].values()) == 50


def test_metrics_are_filtered_and_paged(client: TestClient) -> None:
    first = client.get("/api/v1/metrics", params={"country": "de", "min_stars": 2, "page_size": 5})
    second = client.get(
        "/api/v1/metrics", params={"country": "de", "min_stars": 2, "page_size": 5, "page": 2}
    )
    assert first.status_code == second.status_code == 200
    one, two = first.json(), second.json()
    assert one["total"] == two["total"] > 5
    assert {m["region_code"] + m["cluster_code"] for m in one["items"]}.isdisjoint(
        {m["region_code"] + m["cluster_code"] for m in two["items"]}
    )


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/api/v1/regions/XX99", "no region with code 'XX99'"),
        ("/api/v1/clusters/999", "no cluster with code '999'"),
        ("/api/v1/regions/DE11?dataset=nope", "no data set 'nope'"),
    ],
)
def test_unknown_codes_answer_404_with_the_error_shape(
    client: TestClient, path: str, fragment: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and fragment in error["message"]


def test_a_close_code_is_suggested(client: TestClient) -> None:
    message = client.get("/api/v1/regions/DE1Z").json()["error"]["message"]
    assert "did you mean" in message and "DE1" in message


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/metrics?page=0", "page"),
        ("/api/v1/metrics?page_size=100000", "page_size"),
        ("/api/v1/metrics?year=abc", "year"),
        ("/api/v1/metrics?strong=maybe", "strong"),
        ("/api/v1/regions/DE11?limit=-1", "limit"),
        ("/api/v1/clusters/4?year=1800", "year"),
    ],
)
def test_malformed_parameters_answer_422_naming_the_field(
    client: TestClient, path: str, field: str
) -> None:
    response = client.get(path)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert any(d["field"] == field for d in error["details"])


def test_openapi_documents_the_stable_paths(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/regions/{nuts_code}",
        "/api/v1/clusters/{cluster_code}",
        "/api/v1/metrics",
    ):
        assert path in spec["paths"]


def test_api_answers_are_cached_and_timed(client: TestClient) -> None:
    path = "/api/v1/clusters/7?limit=3&region_type=nuts1"
    first, second = client.get(path), client.get(path)
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
    assert first.json() == second.json()
    assert second.headers["content-type"] == "application/json"
    assert first.headers["server-timing"].startswith("app;dur=")
    assert second.headers.get_list("server-timing") == [second.headers["server-timing"]]
    missing = client.get("/api/v1/clusters/777")
    again = client.get("/api/v1/clusters/777")
    assert missing.status_code == again.status_code == 404
    assert again.headers["x-cache"] == "miss"  # errors are never cached


def test_datasets_do_not_reveal_server_paths(client: TestClient) -> None:
    datasets = client.get("/api/v1/datasets").json()
    assert {d["source"] for d in datasets} == {
        "sbs_r_nuts06_r2_2015.csv",
        "clustermapping_states_2016.csv",
    }
    assert not any("/work/" in note or "/shared/" in note for d in datasets for note in d["notes"])


def test_only_observatory_answers_are_cached() -> None:
    """Directory answers change at any time and some depend on who asks: never cached."""
    cache = ApiCache(app=lambda *_: None, ttl=300)  # type: ignore[arg-type,return-value]

    def cacheable(path: str) -> bool:
        return cache._cacheable({"type": "http", "method": "GET", "path": path})

    assert cacheable("/api/v1/clusters/7") and cacheable("/api/v1/metrics")
    for path in ("/api/v1/organisations", "/api/v1/notifications", "/api/v1/posts/1"):
        assert not cacheable(path)
