"""The directory's JSON API on SQLite and PostgreSQL: search shape, filters, paging, modes,
profiles, writes with their permissions and conflicts, history, partnerships, escaping."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.directory_fixtures import DirectoryWorld, csrf

API = "/api/v1/organisations"


@pytest.fixture(scope="module")
def anonymous(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.anonymous()


@pytest.fixture(scope="module")
def owner(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.logged_in(directory_world.admin_email)


@pytest.fixture(scope="module")
def other(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.logged_in(directory_world.other_email)


def _search(client: TestClient, query: str | dict[str, Any] = "") -> dict[str, Any]:
    answer = client.get(API, params=query) if isinstance(query, dict) else client.get(API + query)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _keys(body: dict[str, Any]) -> set[str]:
    return {item["key"] for item in body["items"] if item["key"].startswith("webtest:")}


def test_search_answers_the_stable_shape(anonymous: TestClient) -> None:
    body = _search(anonymous, "?q=automotive&mode=keyword")
    assert {"items", "total", "page", "page_size", "mode", "query", "facets"} <= body.keys()
    assert body["mode"] == "keyword" and body["query"] == "automotive" and body["page"] == 1
    assert body["total"] == len(body["items"]) >= 2
    first = body["items"][0]
    assert first["name"] == "Stuttgart Automotive Network"  # the name match ranks first
    assert {"id", "name", "key", "country", "cluster_codes", "score", "name_html"} <= first.keys()
    assert "<mark>Automotive</mark>" in first["name_html"]
    assert set(body["facets"]) == {
        "country", "region", "cluster", "profile_type", "label", "size_band",
    }  # fmt: skip
    clusters = {f["value"]: f["count"] for f in body["facets"]["cluster"]}
    assert clusters.get("4") == 2


def test_filters_narrow_results_and_repeat_for_several_values(anonymous: TestClient) -> None:
    german = _search(anonymous, {"country": "DE", "page_size": 100})
    assert _keys(german) == {"webtest:stuttgart-auto", "webtest:synthetic-1"}
    assert all(item["country"] == "DE" for item in german["items"])
    both = _search(anonymous, "?country=DE&country=FR&page_size=100")
    assert {item["country"] for item in both["items"]} == {"DE", "FR"}
    assert both["total"] > german["total"]
    automotive = _search(anonymous, {"cluster": "4", "profile_type": "cluster_member"})
    assert _keys(automotive) == {"webtest:torino-member"}
    real = _search(anonymous, {"synthetic": "false", "page_size": 100})
    assert "webtest:synthetic-1" not in _keys(real)
    assert all(not item["is_synthetic"] for item in real["items"])
    expired = _search(anonymous, {"label": "expired"})
    assert _keys(expired) == {"webtest:lyon-bio"}


def test_pages_split_the_results_without_overlap(anonymous: TestClient) -> None:
    one = _search(anonymous, {"sort": "name", "page_size": 2, "page": 1})
    two = _search(anonymous, {"sort": "name", "page_size": 2, "page": 2})
    assert len(one["items"]) == 2 and one["total"] == two["total"] >= 4
    assert not {i["id"] for i in one["items"]} & {i["id"] for i in two["items"]}
    names = [i["name"].casefold() for i in one["items"] + two["items"]]
    assert names == sorted(names)


def test_semantic_mode_finds_profiles_by_meaning(anonymous: TestClient) -> None:
    body = _search(anonymous, {"q": "airplanes and space industry", "mode": "semantic"})
    assert body["mode"] == "semantic" and body["items"]
    assert body["items"][0]["key"] == "webtest:madrid-aero"
    hybrid = _search(anonymous, {"q": "vaccine research", "mode": "hybrid"})
    assert hybrid["items"][0]["key"] == "webtest:lyon-bio"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?mode=fuzzy", "mode"),
        ("?page=0", "page"),
        ("?page_size=101", "page_size"),
        ("?sort=price", "sort"),
        ("?label=platinum", "label"),
        ("?country=Germany", "country"),
        ("?size_band=huge", "size_band"),
        ("?synthetic=maybe", "synthetic"),
        ("?profile_type=shop", "profile_type"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    anonymous: TestClient, query: str, field: str
) -> None:
    answer = anonymous.get(API + query)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert any(d["field"].split(".")[0] == field for d in error["details"]), error


def test_profile_by_id_hides_contacts_from_anonymous_callers(
    directory_world: DirectoryWorld, anonymous: TestClient, other: TestClient
) -> None:
    url = f"{API}/{directory_world.ids['webtest:stuttgart-auto']}"
    public = anonymous.get(url).json()
    assert public["name"] == "Stuttgart Automotive Network" and public["contact_email"] is None
    assert [c["code"] for c in public["eligibility"]] == [
        "management", "members", "member_types", "website", "label",
    ]  # fmt: skip
    assert public["partnerships"][0]["key"] == "webtest-cgi"
    member = other.get(url).json()
    assert member["contact_email"] == "erika@auto.example.org"


def test_unknown_and_malformed_ids(anonymous: TestClient) -> None:
    assert anonymous.get(f"{API}/999999").status_code == 404
    assert anonymous.get(f"{API}/999999").json()["error"]["code"] == "not_found"
    for bad in ("abc", "1.5", "0", "99999999999999999999"):
        assert anonymous.get(f"{API}/{bad}").status_code == 422, bad


def test_create_needs_a_login_and_makes_the_creator_admin(
    directory_world: DirectoryWorld, anonymous: TestClient, owner: TestClient
) -> None:
    assert anonymous.post(API, json={"name": "Nobody's cluster"}).status_code == 401
    created = directory_world.create(owner, name="Porto Sea Cluster", country="PT")
    assert created["version"] == 1 and created["country"] == "PT"
    mine = owner.get(f"{API}/{created['id']}/history")
    assert mine.status_code == 200 and mine.json()[0]["version"] == 1


def test_patch_changes_fields_and_refuses_stale_versions(
    directory_world: DirectoryWorld, owner: TestClient
) -> None:
    created = directory_world.create(owner, city="Kiel")
    url, token = f"{API}/{created['id']}", {"X-CSRF-Token": csrf(owner)}
    saved = owner.patch(url, json={"version": 1, "changes": {"city": "Lübeck"}}, headers=token)
    assert saved.status_code == 200, saved.text
    assert saved.json()["city"] == "Lübeck" and saved.json()["version"] == 2
    stale = owner.patch(url, json={"version": 1, "changes": {"city": "Kiel"}}, headers=token)
    assert stale.status_code == 409
    details = stale.json()["error"]["details"]
    assert details["current_version"] == 2 and "city" in details["changed_fields"]
    assert owner.get(url).json()["city"] == "Lübeck"
    history = owner.get(f"{url}/history").json()
    assert [r["version"] for r in history] == [2, 1]
    assert history[0]["changes"]["city"] == ["Kiel", "Lübeck"]


def test_patch_permissions_and_csrf(
    directory_world: DirectoryWorld, owner: TestClient, other: TestClient, anonymous: TestClient
) -> None:
    created = directory_world.create(owner)
    url, body = f"{API}/{created['id']}", {"version": 1, "changes": {"city": "Bremen"}}
    assert anonymous.patch(url, json=body).status_code == 401
    refused = other.patch(url, json=body, headers={"X-CSRF-Token": csrf(other)})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert other.get(f"{url}/history").status_code == 403
    assert owner.patch(url, json=body).status_code == 403  # session cookie without the token
    assert owner.get(url).json()["version"] == 1


def test_invalid_values_name_each_field(directory_world: DirectoryWorld, owner: TestClient) -> None:
    created = directory_world.create(owner)
    url, token = f"{API}/{created['id']}", {"X-CSRF-Token": csrf(owner)}
    for changes, expected in [
        ({"members_sme": -3, "name": ""}, {"members_sme", "name"}),
        ({"nuts_code": "XX99", "website": "javascript:alert(1)"}, {"nuts_code", "website"}),
    ]:
        answer = owner.patch(url, json={"version": 1, "changes": changes}, headers=token)
        assert answer.status_code == 422, answer.text
        assert {d["field"] for d in answer.json()["error"]["details"]} == expected
    unknown = owner.patch(url, json={"version": 1, "changes": {"id": 5}}, headers=token)
    assert unknown.status_code == 422
    bad_body = owner.post(API, json={"name": ""}, headers=token)
    assert bad_body.status_code == 422 and bad_body.json()["error"]["details"][0]["field"]
    assert owner.get(url).json()["version"] == 1


def test_html_in_profiles_comes_back_escaped_in_highlights(anonymous: TestClient) -> None:
    body = _search(anonymous, {"q": "mobility", "mode": "keyword"})
    hit = next(i for i in body["items"] if i["key"] == "webtest:html")
    assert hit["name"] == "Café <script>alert('x')</script> Mobility"  # data kept as typed
    assert "<script>" not in hit["name_html"] and "&lt;script&gt;" in hit["name_html"]
    assert "<img" not in (hit["snippet_html"] or "")


def test_partnerships_list_and_detail(anonymous: TestClient) -> None:
    listed = anonymous.get("/api/v1/partnerships")
    assert listed.status_code == 200
    found = next(p for p in listed.json() if p["key"] == "webtest-cgi")
    assert found["member_count"] == 1 and found["start_year"] == 2017
    detail = anonymous.get("/api/v1/partnerships/webtest-cgi").json()
    assert detail["members"][0]["role"] == "lead"
    assert detail["members"][0]["organisation"]["key"] == "webtest:stuttgart-auto"
    assert anonymous.get("/api/v1/partnerships/nope").status_code == 404


ODD_CHANGES: list[dict[str, Any]] = [
    {"nace_codes": "29.10"},
    {"cluster_codes": [4, None]},
    {"name": "x" * 10_001},
    {"latitude": "NaN"},
    {"founded_year": 1e30},
    {"ecosystems": ["x" * 5000]},
    {"contact_name": "Ann\x00"},
    {"label_valid_until": "2024-13-40"},
    {"label": "platinum"},
    {"members_total": 1, "members_sme": 5},
    {"website": "http://exa mple.org"},
    {"is_synthetic": "perhaps"},
    {"profile_type": None},
]


def _patch(owner: TestClient, organisation_id: int, changes: dict[str, Any]) -> Any:
    return owner.patch(
        f"{API}/{organisation_id}", json={"version": 1, "changes": changes},
        headers={"X-CSRF-Token": csrf(owner)},
    )  # fmt: skip


def test_odd_values_are_refused_cleanly(directory_world: DirectoryWorld, owner: TestClient) -> None:
    """Logged-in writes the fuzzer cannot reach: each odd value is a 422, never a 500, and
    leaves the profile as it was."""
    created = directory_world.create(owner)["id"]
    for changes in ODD_CHANGES:
        answer = _patch(owner, created, changes)
        assert answer.status_code == 422, (changes, answer.text)
        assert answer.json()["error"]["details"], answer.text
    assert owner.get(f"{API}/{created}").json()["version"] == 1


def test_nul_inside_a_list_item_is_refused(
    directory_world: DirectoryWorld, owner: TestClient
) -> None:
    created = directory_world.create(owner)["id"]
    assert _patch(owner, created, {"keywords": ["a\x00b"]}).status_code == 422
