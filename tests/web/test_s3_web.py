"""Smart Specialisation on the web (SQLite and PostgreSQL): the strategies page, a region's
priorities beside its strong clusters with partner regions, the region page's summary, and the
JSON API; synthetic strategies say so wherever they are shown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.reference import ReferenceData
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.services.s3.seed import load_demo_strategies
from clusterhub.store.db import transaction

REGIONS = ("ES21", "PL21")


@pytest.fixture(scope="module")
def demo(client: TestClient, reference: ReferenceData) -> TestClient:
    codes = S3Codes.from_reference(reference)
    with transaction(client.app.state.write_sessions) as session:  # type: ignore[attr-defined]
        load_demo_strategies(session, codes=codes, by=BOOTSTRAP, regions=REGIONS)
    return client


def test_the_strategies_page_lists_regions_and_says_they_are_synthetic(demo: TestClient) -> None:
    page = demo.get("/s3")
    assert page.status_code == 200
    assert 'href="/s3/regions/ES21"' in page.text and 'href="/s3/regions/PL21"' in page.text
    assert "Synthetic demonstration data." in page.text
    assert page.text.count('class="badge badge-synthetic">Synthetic</span>') >= len(REGIONS)
    assert "70 regions" in page.text  # the seed's facts, with their source
    assert "names none of its regions" in page.text


def test_a_region_page_sets_priorities_beside_strong_clusters(demo: TestClient) -> None:
    api = demo.get("/api/v1/s3/regions/ES21").json()
    assert api["synthetic"] and api["strategy"]["region_code"] == "ES21"
    verdicts = {row["verdict"] for row in api["rows"]}
    assert "backed" in verdicts and "no_cluster_base" in verdicts  # as the demo builds them
    page = demo.get("/s3/regions/ES21")
    assert page.status_code == 200
    assert "This strategy was generated for demonstration" in page.text
    for row in api["rows"]:
        assert row["label"] in page.text
    assert "Regions to partner with" in page.text
    partners = demo.get("/api/v1/s3/regions/ES21/partners?top=5").json()
    assert len(partners) <= 5 and all(p["reasons"] for p in partners)
    assert all(p["region_code"] in page.text for p in partners)
    summary = demo.get("/regions/ES21")
    assert 'href="/s3/regions/ES21"' in summary.text and "A demonstration strategy" in summary.text


def test_unknown_regions_and_bad_parameters_are_clear_errors(demo: TestClient) -> None:
    missing = demo.get("/s3/regions/ZZ99")
    assert missing.status_code == 404
    api = demo.get("/api/v1/s3/regions/ZZ99")
    assert api.status_code == 404 and "ZZ99" in api.json()["error"]["message"]
    assert demo.get("/api/v1/s3/regions/DE1!").status_code in (404, 422)
    assert demo.get("/api/v1/s3/strategies?country=D1").status_code == 422
    assert demo.get("/api/v1/s3/regions/ES21/partners?top=0").status_code == 422
    no_strategy = demo.get("/api/v1/s3/regions/FR10/partners")
    assert (
        no_strategy.status_code == 404
        and "no S3 strategy" in no_strategy.json()["error"]["message"]
    )


def test_the_api_lists_strategies_partnerships_and_facts(demo: TestClient) -> None:
    listed = demo.get("/api/v1/s3/strategies").json()
    assert {s["region_code"] for s in listed} >= set(REGIONS)
    assert all(s["synthetic"] for s in listed if s["region_code"] in REGIONS)
    assert demo.get("/api/v1/s3/strategies?country=pl").json()[0]["region_code"] == "PL21"
    assert demo.get("/api/v1/s3/partnerships").json() == []
    facts = demo.get("/api/v1/s3/facts").json()
    assert facts["platforms"][0]["regions"] == 70 and facts["platforms"][0]["thematic_areas"] == 15
