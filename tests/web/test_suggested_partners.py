"""Suggested partners on the web: the JSON API and the profile page's section, on a database
of each kind holding the synthetic collaboration world (tests/services/recommend)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clusterhub.config import Settings
from clusterhub.services.recommend.models import NO_DATA
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation
from clusterhub.web.app import create_app
from tests.services.recommend.stored_world import store_world
from tests.services.recommend.world import world


def _app(settings: Settings, mirror: Settings) -> TestClient:
    quiet = {"warm_at_start": False, "embed_in_background": False, "events_timer_seconds": 0,
             "data_mirror": mirror.data_mirror}  # fmt: skip
    return TestClient(create_app(settings.model_copy(update=quiet)), raise_server_exceptions=False)


@pytest.fixture
def world_ids(db_settings: Settings) -> dict[str, int]:
    engine = make_engine(db_settings)
    with transaction(make_session_factory(engine)) as session:
        ids = store_world(session, world(seed=3))
    engine.dispose()
    return ids


@pytest.fixture
def learned(
    db_settings: Settings, mirror_settings: Settings, world_ids: dict[str, int]
) -> Iterator[TestClient]:
    with _app(db_settings, mirror_settings) as client:
        first = client.get(f"/api/v1/organisations/{world_ids['c0-o01']}/recommendations")
        assert first.status_code == 200 and first.json()["learning"]  # learning at start
        assert not first.json()["ready"] and first.headers["Retry-After"] == "30"
        client.app.state.partners.models.wait(120)  # type: ignore[attr-defined]
        yield client


def test_the_api_suggests_new_partners_with_reasons(
    learned: TestClient, world_ids: dict[str, int]
) -> None:
    found = learned.get(f"/api/v1/organisations/{world_ids['c0-o01']}/recommendations?top=5")
    body = found.json()
    assert found.status_code == 200 and body["ready"] and body["basis"] == "history"
    assert len(body["items"]) == 5 and "Retry-After" not in found.headers
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    assert all(i["partner"]["id"] != world_ids["c0-o01"] and i["reasons"] for i in body["items"])
    assert all(r["text"] for i in body["items"] for r in i["reasons"])
    assert body["learned_from"]["participations"] > 1000
    assert learned.get("/api/v1/organisations/999999/recommendations").status_code == 404
    assert learned.get("/api/v1/organisations/1/recommendations?top=0").status_code == 422
    assert learned.get("/api/v1/organisations/abc/recommendations").status_code == 422


def test_the_profile_page_loads_its_suggested_partners_section(
    learned: TestClient, world_ids: dict[str, int]
) -> None:
    org = world_ids["c2-o07"]
    page = learned.get(f"/directory/{org}")
    assert page.status_code == 200
    assert f'hx-get="/directory/{org}/suggested-partners"' in page.text
    section = learned.get(f"/directory/{org}/suggested-partners")
    assert section.status_code == 200 and "hx-trigger" not in section.text  # no more polling
    assert section.text.count('<li class="reason-') >= 10
    assert "World organisation" in section.text and "How suggestions are made" in section.text
    assert learned.get("/directory/999999/suggested-partners").status_code == 404


def test_without_projects_the_section_says_how_to_load_them(
    db_settings: Settings, mirror_settings: Settings
) -> None:
    with _app(db_settings, mirror_settings) as client:
        created = client.app.state.sessions  # type: ignore[attr-defined]
        with transaction(created) as session:
            org = Organisation(key="t:lonely", source="test", profile_type="cluster_organisation",
                               name="Lonely Cluster", country="PT")  # fmt: skip
            session.add(org)
            session.flush()
            org_id = org.id
        body = client.get(f"/api/v1/organisations/{org_id}/recommendations").json()
        assert body == {**body, "ready": False, "learning": False, "message": NO_DATA}
        section = client.get(f"/directory/{org_id}/suggested-partners")
        assert "clusterhub directory import --source cordis" in section.text
        assert "hx-trigger" not in section.text
