"""The audit log over the web on SQLite and PostgreSQL: profile edits are recorded; the page,
``GET /api/v1/audit`` and the CSV download page through and filter the entries alike; only site
admins read them."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clusterhub.services import audit
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role
from clusterhub.store.db import transaction
from clusterhub.store.models import AuditEntry, User
from tests.web.directory_fixtures import PASSWORD, DirectoryWorld, csrf

BULK = 120


def _user(world: DirectoryWorld, role: Role) -> str:
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    with transaction(world.app.state.sessions) as session:
        users.create_user(
            session, email=email, display_name=role.label, password=PASSWORD, role=role
        )
    return email


@pytest.fixture(scope="module")
def bulk(directory_world: DirectoryWorld) -> str:
    """``BULK`` entries of an action of their own (ids 0 … BULK-1, the last written newest)."""
    action = f"test.bulk{uuid.uuid4().hex[:6]}"
    with transaction(directory_world.app.state.sessions) as session:
        for number in range(BULK):
            audit.record(
                session, actor_id=None, action=action, entity_type="test", entity_id=number
            )
    return action


@pytest.fixture(scope="module")
def admin(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.logged_in(_user(directory_world, Role.SITE_ADMIN))


def _entries(world: DirectoryWorld, entity_id: int) -> list[tuple[str, int | None]]:
    with world.app.state.sessions() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.user_id)
            .where(AuditEntry.entity_type == "organisation")
            .where(AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
        return [(action, user_id) for action, user_id in rows]


def test_creating_and_editing_a_profile_through_the_api_is_audited(
    directory_world: DirectoryWorld,
) -> None:
    browser = directory_world.logged_in(directory_world.other_email)
    created = directory_world.create(browser, city="Bonn")
    changed = browser.patch(
        f"/api/v1/organisations/{created['id']}",
        json={"version": created["version"], "changes": {"city": "Köln"}},
        headers={"X-CSRF-Token": csrf(browser)},
    )
    assert changed.status_code == 200, changed.text
    with directory_world.app.state.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == directory_world.other_email))
    assert _entries(directory_world, created["id"]) == [
        ("directory.create", user_id), ("directory.update", user_id)
    ]  # fmt: skip


def test_the_audit_page_pages_through_filtered_entries(admin: TestClient, bulk: str) -> None:
    first = admin.get(f"/account/audit?action={bulk}")
    assert first.status_code == 200
    assert f"{BULK} matching entries; page 1 of 3" in first.text
    assert first.text.count(f">{bulk}</a>") == 50
    assert "page=2" in first.text and f"action={bulk}" in first.text  # filters kept in links
    last = admin.get(f"/account/audit?action={bulk}&page=3")
    assert last.text.count(f">{bulk}</a>") == BULK - 100
    assert ">0</a>" in last.text  # the oldest entry is on the last page
    newest = admin.get(f"/account/audit?action={bulk}&entity_type=test&entity_id={BULK - 1}")
    assert "1 matching entry" in newest.text


def test_the_audit_page_filters_by_date_and_says_what_is_wrong(
    admin: TestClient, bulk: str
) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = admin.get(f"/account/audit?action={bulk}&since={tomorrow}")
    assert future.status_code == 200 and "No entry matches these filters." in future.text
    today = date.today().isoformat()
    assert f"{BULK} matching" in admin.get(f"/account/audit?action={bulk}&until={today}").text
    backwards = admin.get(f"/account/audit?since={tomorrow}&until={today}")
    assert backwards.status_code == 422
    assert "&#39;since&#39; is after &#39;until&#39;" in backwards.text
    assert admin.get("/account/audit?since=2026-02-30").status_code == 422


def test_the_audit_api_and_download_share_the_filters(admin: TestClient, bulk: str) -> None:
    answer = admin.get(f"/api/v1/audit?action={bulk}&page=3&page_size=50")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["page"], len(body["items"])) == (BULK, 3, BULK - 100)
    ids = [item["entity_id"] for item in body["items"]]
    assert ids == [str(n) for n in range(BULK - 101, -1, -1)]  # newest first
    assert body["items"][0]["actor"] == "anonymous"
    download = admin.get(f"/api/v1/audit.csv?action={bulk}")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == BULK and rows[0]["entity_id"] == str(BULK - 1)
    assert set(rows[0]) == {
        "id", "at", "actor", "user_id", "user_email", "action", "entity_type", "entity_id",
        "details",
    }  # fmt: skip
    bad = admin.get("/api/v1/audit?since=yesterday")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_input"
    assert bad.json()["error"]["details"][0]["field"] == "since"


def test_only_site_admins_read_the_audit_log(directory_world: DirectoryWorld) -> None:
    anonymous = directory_world.anonymous()
    assert anonymous.get("/api/v1/audit").status_code == 401
    assert anonymous.get("/api/v1/audit").json()["error"]["code"] == "not_authenticated"
    for role in (Role.MEMBER, Role.PROGRAMME_OFFICER):
        browser = directory_world.logged_in(_user(directory_world, role))
        assert browser.get("/account/audit").status_code == 403
        assert browser.get("/api/v1/audit").status_code == 403
        assert browser.get("/api/v1/audit.csv").status_code == 403
        assert 'href="/account/audit"' not in browser.get("/account").text


def test_the_audit_api_is_documented(directory_world: DirectoryWorld) -> None:
    spec = directory_world.anonymous().get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/audit"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"actor", "action", "entity_type", "entity_id", "since", "until", "page"} <= names
    assert {"401", "403", "422"} <= set(operation["responses"])
    assert "/api/v1/audit.csv" in spec["paths"]


def test_following_and_reading_notifications_are_audited(
    directory_world: DirectoryWorld,
) -> None:
    owner = directory_world.logged_in(directory_world.admin_email)
    reader = directory_world.logged_in(directory_world.other_email)
    post = owner.post(
        "/api/v1/posts",
        json={"organisation_id": directory_world.ids[directory_world.owned_key],
              "kind": "offer", "title": f"Audit follow {uuid.uuid4().hex[:6]}"},
        headers={"X-CSRF-Token": csrf(owner)},
    )  # fmt: skip
    assert post.status_code == 201, post.text
    path = f"/api/v1/posts/{post.json()['id']}"
    token = {"X-CSRF-Token": csrf(reader)}
    assert reader.post(f"{path}/follow", headers=token).status_code == 200
    assert owner.post(f"{path}/close", headers={"X-CSRF-Token": csrf(owner)}).status_code == 200
    assert reader.post("/api/v1/notifications/read", json={}, headers=token).status_code == 200
    assert reader.delete(f"{path}/follow", headers=token).status_code == 200
    with directory_world.app.state.sessions() as session:
        reader_id = session.scalar(select(User.id).where(User.email == directory_world.other_email))
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.user_id == reader_id)
            .where(AuditEntry.action.in_(["posts.follow", "posts.unfollow", "notifications.read"]))
            .order_by(AuditEntry.id)
        ).all()
    assert actions[-3:] == ["posts.follow", "notifications.read", "posts.unfollow"]
