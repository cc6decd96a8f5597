"""Partner-search and notification API on SQLite and PostgreSQL: rights, CSRF, bad input, privacy.

Runs on the package's seeded directory (``directory_world``): its admin owns the Stuttgart
profile and publishes; the other member follows and expresses interest. Every test publishes
its own posts.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.directory_fixtures import DirectoryWorld, csrf


@pytest.fixture(scope="module", name="admin")
def admin_browser(directory_world: DirectoryWorld) -> Iterator[TestClient]:
    """The Stuttgart profile's admin, logged in, sending the CSRF header with every request."""
    with directory_world.logged_in(directory_world.admin_email) as browser:
        browser.headers["X-CSRF-Token"] = csrf(browser)
        yield browser


@pytest.fixture(scope="module", name="other")
def other_browser(directory_world: DirectoryWorld) -> Iterator[TestClient]:
    """A member who administers no profile of the seed, logged in, with the CSRF header."""
    with directory_world.logged_in(directory_world.other_email) as browser:
        browser.headers["X-CSRF-Token"] = csrf(browser)
        yield browser


def publish(browser: TestClient, world: DirectoryWorld, **fields: Any) -> dict[str, Any]:
    """A new post of the Stuttgart profile, through the API; its title is unique."""
    body = {
        "organisation_id": world.ids[world.owned_key], "kind": "request",
        "title": f"Partners wanted {uuid.uuid4().hex[:8]}", "body": "Battery recycling.",
        **fields,
    }  # fmt: skip
    answer = browser.post("/api/v1/posts", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _notes(browser: TestClient, post_id: int) -> list[dict[str, Any]]:
    answer = browser.get("/api/v1/notifications", params={"page_size": 100})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return [n for n in items if n["link"].split("#")[0] == f"/posts/{post_id}"]


def test_publish_then_read_and_list(admin: TestClient, directory_world: DirectoryWorld) -> None:
    post = publish(
        admin, directory_world, kind="offer", cluster_codes=["Automotive"],
        target_countries=["gr"], keywords=["e-mobility"],
    )  # fmt: skip
    assert post["cluster_codes"] == ["4"] and post["target_countries"] == ["EL"]
    assert post["organisation_name"] == "Stuttgart Automotive Network"
    assert post["status"] == "open" and post["organisation_country"] == "DE"
    anonymous = directory_world.anonymous()
    listed = anonymous.get("/api/v1/posts", params={"q": post["title"].upper(), "kind": "offer"})
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == [post["id"]]
    assert set(listed.json()) == {"items", "total", "page", "page_size"}
    for params in ({"cluster": "4"}, {"target_country": "EL"}, {"country": "de"}):
        found = anonymous.get("/api/v1/posts", params={"q": post["title"], **params})
        assert found.json()["total"] == 1, params
    assert (
        anonymous.get("/api/v1/posts", params={"q": post["title"], "kind": "request"}).json()[
            "total"
        ]
        == 0
    )
    detail = anonymous.get(f"/api/v1/posts/{post['id']}").json()
    assert detail["interests"] is None and not detail["can_edit"]
    assert not detail["can_express_interest"]  # visitors must log in first
    assert admin.get(f"/api/v1/posts/{post['id']}").json()["can_edit"]


def test_writes_need_login_csrf_and_admin_rights(
    admin: TestClient, other: TestClient, directory_world: DirectoryWorld
) -> None:
    body = {"organisation_id": directory_world.ids[directory_world.owned_key], "kind": "offer",
            "title": "Test rigs"}  # fmt: skip
    anonymous = directory_world.anonymous()
    assert anonymous.post("/api/v1/posts", json=body).status_code == 401
    refused = other.post("/api/v1/posts", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    no_token = admin.post("/api/v1/posts", json=body, headers={"X-CSRF-Token": ""})
    assert no_token.status_code == 403 and "security token" in no_token.json()["error"]["message"]
    post = publish(admin, directory_world)
    change = {"kind": "offer", "title": "Changed by a stranger"}
    assert other.put(f"/api/v1/posts/{post['id']}", json=change).status_code == 403
    assert other.post(f"/api/v1/posts/{post['id']}/close").status_code == 403
    assert anonymous.post(f"/api/v1/posts/{post['id']}/follow").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"body": "b" * 5001}, "body"),
        ({"kind": "deal"}, "kind"),
        ({"keywords": "one, two"}, "keywords"),
        ({"keywords": [["nested"]]}, "keywords.0"),
        ({"cluster_codes": ["Underwater basket weaving"]}, "cluster_codes"),
        ({"target_countries": ["ZZ"]}, "target_countries"),
        ({"expires_on": "2001-01-01"}, "expires_on"),
        ({"expires_on": "not a date"}, "expires_on"),
        ({"organisation_id": 2**63}, "organisation_id"),
        ({"organisation_id": "seven"}, "organisation_id"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_bad_posts_are_422_naming_the_field(
    admin: TestClient, directory_world: DirectoryWorld, change: dict[str, Any], field: str
) -> None:
    body = {"organisation_id": directory_world.ids[directory_world.owned_key], "kind": "offer",
            "title": "Fine", **change}  # fmt: skip
    answer = admin.post("/api/v1/posts", json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in [d["field"] for d in error["details"]], error


def test_odd_requests_never_answer_500(admin: TestClient, other: TestClient) -> None:
    unreadable = admin.post(
        "/api/v1/posts", content=b"{no", headers={"content-type": "application/json"}
    )
    assert unreadable.status_code == 400, unreadable.text
    assert unreadable.json()["error"]["code"] == "bad_request"
    assert "not valid JSON" in unreadable.json()["error"]["message"]
    odd = [
        admin.post("/api/v1/posts", json=[1, 2]),
        admin.post("/api/v1/posts", json={"title": "x" * 1_000_000}),
        other.post("/api/v1/posts/1/interest", json={"message": 5}),
        other.post("/api/v1/posts/1/interest", json={"message": "hi", "organisation_id": -1}),
        other.post("/api/v1/notifications/read", json={"ids": ["x"]}),
        other.post("/api/v1/notifications/read", json={"ids": [2**40]}),
        admin.get("/api/v1/posts/abc"),
        admin.get(f"/api/v1/posts/{2**40}"),
        admin.get("/api/v1/posts?page=0"),
        admin.get("/api/v1/posts?q=%00"),
        admin.get("/api/v1/posts?country=%E2%82%AC"),
        admin.get("/api/v1/posts?organisation_id=99999999999"),
    ]  # fmt: skip
    for answer in odd:
        assert answer.status_code == 422, (answer.request.url, answer.text)
        assert answer.json()["error"]["code"] == "invalid_input"
    missing = admin.get(f"/api/v1/posts/{2**31 - 1}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert other.post("/api/v1/notifications/read", json={"ids": [2**31 - 1]}).status_code == 404


def test_interest_follow_and_notifications(
    admin: TestClient,
    other: TestClient,
    directory_world: DirectoryWorld,
    caplog: pytest.LogCaptureFixture,
) -> None:
    post = publish(admin, directory_world)
    url = f"/api/v1/posts/{post['id']}"
    assert other.post(f"{url}/follow").json() == {"post_id": post["id"], "following": True}
    assert admin.post(f"{url}/interest", json={"message": "Me too"}).status_code == 403
    with caplog.at_level(logging.INFO, logger="clusterhub.mail"):
        sent = other.post(f"{url}/interest", json={"message": "We can help <b>today</b>."})
    assert sent.status_code == 201, sent.text
    assert sent.json()["message"] == "We can help <b>today</b>."
    mails = [r.getMessage() for r in caplog.records if r.name == "clusterhub.mail"]
    assert any(directory_world.admin_email in m and "Interest in your request" in m for m in mails)
    again = other.post(f"{url}/interest", json={"message": "Hello again"})
    assert (
        again.status_code == 409
        and "already expressed interest" in again.json()["error"]["message"]
    )
    [note] = _notes(admin, post["id"])
    assert note["kind"] == "interest" and "We can help" in note["message"]
    assert note["read_at"] is None and note["link"] == f"/posts/{post['id']}#interests"
    assert _notes(other, post["id"]) == []  # the sender is not told about their own interest
    # Who is interested is for the publishers only, whatever was asked before (no shared cache).
    [interest] = admin.get(url).json()["interests"]
    assert interest["user_email"] == directory_world.other_email
    seen_by_other = other.get(url).json()
    assert seen_by_other["interests"] is None and seen_by_other["interested"]
    assert directory_world.anonymous().get(url).json()["interests"] is None
    # Marking read: only one's own notifications.
    assert other.post("/api/v1/notifications/read", json={"ids": [note["id"]]}).status_code == 404
    marked = admin.post("/api/v1/notifications/read", json={"ids": [note["id"]]})
    assert marked.status_code == 200 and marked.json()["marked"] == 1
    assert _notes(admin, post["id"])[0]["read_at"] is not None
    everything = admin.post("/api/v1/notifications/read", json={})
    assert everything.json()["unread"] == 0
    assert admin.get("/api/v1/notifications?unread_only=true").json()["total"] == 0
    assert directory_world.anonymous().get("/api/v1/notifications").status_code == 401
    followed = other.get("/api/v1/posts", params={"followed": "true", "page_size": 100}).json()
    assert post["id"] in [p["id"] for p in followed["items"]]
    assert other.delete(f"{url}/follow").json()["following"] is False


def test_edit_and_close_tell_followers_and_end_interest(
    admin: TestClient, other: TestClient, directory_world: DirectoryWorld
) -> None:
    post = publish(admin, directory_world)
    url = f"/api/v1/posts/{post['id']}"
    other.post(f"{url}/follow")
    edited = admin.put(url, json={"kind": "offer", "title": post["title"], "body": "New text"})
    assert edited.status_code == 200 and edited.json()["kind"] == "offer"
    closed = admin.post(f"{url}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert [n["kind"] for n in _notes(other, post["id"])] == ["post_closed", "post_changed"]
    late = other.post(f"{url}/interest", json={"message": "Too late?"})
    assert late.status_code == 409 and "closed" in late.json()["error"]["message"]
    assert admin.put(url, json={"kind": "offer", "title": "Reopen"}).status_code == 409
    listed = other.get("/api/v1/posts", params={"q": post["title"]}).json()
    assert listed["total"] == 0
    everything = other.get("/api/v1/posts", params={"q": post["title"], "include_expired": True})
    assert [p["status"] for p in everything.json()["items"]] == ["closed"]
