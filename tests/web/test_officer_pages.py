"""Programme officer pages and label verification on SQLite and PostgreSQL.

Officers (and site admins) get ``/officer``: the partnerships with their members, the indicator
upload as a page form, and the queue of declared labels, which they verify with evidence or
reject with a reason. Pages, search and the eligibility checklist tell declared labels from
verified ones.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role
from clusterhub.store.db import transaction
from clusterhub.store.models import AuditEntry, User
from tests.web.directory_fixtures import PASSWORD, DirectoryWorld, csrf

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
VALID_UNTIL = (date.today() + timedelta(days=300)).isoformat()


def _user(world: DirectoryWorld, role: Role) -> str:
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    with transaction(world.app.state.sessions) as session:
        users.create_user(
            session, email=email, display_name=f"{role.label} {email[:12]}", password=PASSWORD,
            role=role,
        )  # fmt: skip
    return email


@pytest.fixture(scope="module")
def officer(directory_world: DirectoryWorld) -> TestClient:
    return directory_world.logged_in(_user(directory_world, Role.PROGRAMME_OFFICER))


def _form_token(page: str) -> str:
    found = TOKEN.search(page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _audit(world: DirectoryWorld, action: str, entity_id: str | None = None) -> list[Any]:
    with world.app.state.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        return list(session.scalars(query.order_by(AuditEntry.id)))


# --- the section ---------------------------------------------------------------------------------


def test_only_officers_and_site_admins_have_the_officer_pages(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    pages = ("/officer", "/officer/partnerships", "/officer/indicators", "/officer/labels")
    anonymous = directory_world.anonymous()
    member = directory_world.logged_in(directory_world.other_email)
    for path in pages:
        assert anonymous.get(path).status_code == 401, path
        assert member.get(path).status_code == 403, path
        assert officer.get(path).status_code == 200, path
    assert 'href="/officer"' in officer.get("/account").text  # linked from the account menu
    assert 'href="/officer"' not in member.get("/account").text
    admin = directory_world.logged_in(_user(directory_world, Role.SITE_ADMIN))
    assert admin.get("/officer/labels").status_code == 200


def test_partnerships_page_lists_members_with_their_profiles(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    page = officer.get("/officer/partnerships").text
    stuttgart = directory_world.ids["webtest:stuttgart-auto"]
    block = page[page.index("Electromobility Goes Global") :]
    assert f'href="/directory/{stuttgart}">Stuttgart Automotive Network</a>' in block
    assert "<td>lead</td>" in block and 'href="/partnerships/webtest-cgi"' in page


# --- indicator upload ----------------------------------------------------------------------------


def test_upload_form_sends_the_csrf_token_before_the_file(officer: TestClient) -> None:
    page = officer.get("/officer/indicators").text
    form = page[page.index('action="/officer/indicators"') :]
    assert 'enctype="multipart/form-data"' in page
    assert form.index('name="csrf_token"') < form.index('type="file"')


def test_an_officer_uploads_indicators_through_the_page(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    token = _form_token(officer.get("/officer/indicators").text)
    good = b"region,indicator,year,value\nFI1B,eqi,2021,1.25\n"
    done = officer.post(
        "/officer/indicators",
        data={"csrf_token": token},
        files={"file": ("quality.csv", good, "text/csv")},
    )
    assert done.status_code == 200, done.text
    assert "Imported quality.csv" in done.text and "1 values of 1 indicator (eqi)" in done.text
    [entry] = _audit(directory_world, "scoreboard.import", "user:quality.csv")
    assert entry.actor == f"user:{entry.user_id}" and entry.user_id is not None
    bad = officer.post(
        "/officer/indicators",
        data={"csrf_token": token},
        files={"file": ("bad.csv", b"region,indicator,year,value\nFI1B,eqi,2021,high\n")},
    )
    assert bad.status_code == 422 and "bad.csv:2" in bad.text, bad.text[bad.text.find("<main") :]
    assert _audit(directory_world, "scoreboard.import", "user:bad.csv") == []
    no_file = officer.post("/officer/indicators", data={"csrf_token": token})
    assert no_file.status_code == 422 and "choose a file" in no_file.text
    forged = officer.post("/officer/indicators", files={"file": ("x.csv", good)})
    assert forged.status_code == 403


def test_members_cannot_upload_indicators(directory_world: DirectoryWorld) -> None:
    member = directory_world.logged_in(directory_world.other_email)
    token = csrf(member)
    answer = member.post(
        "/officer/indicators",
        data={"csrf_token": token},
        files={"file": ("x.csv", b"region,indicator,year,value\nFI1B,eqi,2021,2\n")},
    )
    assert answer.status_code == 403


# --- labels --------------------------------------------------------------------------------------


def _labelled(world: DirectoryWorld, owner: TestClient, **fields: Any) -> dict[str, Any]:
    return world.create(
        owner, name=f"Label test {uuid.uuid4().hex[:6]}", profile_type="cluster_organisation",
        label="gold", label_valid_until=VALID_UNTIL, website="https://label.example.org",
        **fields,
    )  # fmt: skip


def _queue_item(officer: TestClient, organisation_id: int, path: str = "/officer/labels") -> str:
    page = officer.get(path).text
    start = page.index(f'id="org-{organisation_id}"')
    return page[start : page.index("</li>", start)]


def _decide(
    officer: TestClient,
    organisation_id: int,
    outcome: str,
    note: str,
    version: int | None = None,
    path: str = "/officer/labels",
) -> Any:
    item = _queue_item(officer, organisation_id, path)
    if version is None:
        found = re.search(r'name="version" value="(\d+)"', item)
        assert found
        version = int(found.group(1))
    field = "evidence" if outcome == "verify" else "reason"
    return officer.post(
        f"/officer/labels/{organisation_id}/{outcome}",
        data={"csrf_token": _form_token(item), "version": str(version), field: note},
        follow_redirects=False,
    )


def test_a_declared_label_is_shown_as_declared_everywhere(
    directory_world: DirectoryWorld,
) -> None:
    anonymous = directory_world.anonymous()
    stuttgart = directory_world.ids["webtest:stuttgart-auto"]
    page = anonymous.get(f"/directory/{stuttgart}").text
    assert "Gold label: declared, not verified" in page and "badge-gold" not in page
    assert "not verified by a programme officer yet" in page
    assert "gold label declared, not verified yet" in page  # the eligibility checklist
    results = anonymous.get("/directory?q=Stuttgart+Automotive&mode=keyword").text
    assert "declared, not verified" in results and "badge-gold" not in results
    api = anonymous.get(f"/api/v1/organisations/{stuttgart}").json()
    assert (api["label"], api["label_review"]) == ("gold", "declared")
    check = next(c for c in api["eligibility"] if c["code"] == "label")
    assert check["passed"] is None
    gold = anonymous.get("/api/v1/organisations?label=gold&page_size=100").json()
    assert stuttgart not in {hit["id"] for hit in gold["items"]}
    declared = anonymous.get("/api/v1/organisations?label=declared&page_size=100").json()
    assert stuttgart in {hit["id"] for hit in declared["items"]}
    owner = directory_world.logged_in(directory_world.admin_email)
    claimed = owner.patch(  # the review is not a field its editors may set
        f"/api/v1/organisations/{stuttgart}",
        json={"version": api["version"], "changes": {"label_review": "verified"}},
        headers={"X-CSRF-Token": csrf(owner)},
    )
    assert claimed.status_code == 422
    assert claimed.json()["error"]["details"][0]["field"] == "label_review"


def test_an_officer_verifies_a_label_with_evidence_and_an_edit_makes_it_declared_again(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    owner = directory_world.logged_in(directory_world.admin_email)
    profile = _labelled(directory_world, owner)
    pid = profile["id"]
    assert "Gold" in _queue_item(officer, pid)
    assert _decide(officer, pid, "verify", "   ").status_code == 422  # evidence required
    evidence = "https://www.cluster-analysis.org/labels/gold-0001"
    verified = _decide(officer, pid, "verify", evidence)
    assert verified.status_code == 303 and verified.headers["location"].endswith("done=verified")
    assert f'id="org-{pid}"' not in officer.get("/officer/labels").text  # left the queue
    anonymous = directory_world.anonymous()
    page = anonymous.get(f"/directory/{pid}").text
    assert "Gold label ✓ verified" in page and "badge-gold" in page and evidence in page
    api = anonymous.get(f"/api/v1/organisations/{pid}").json()
    assert api["label_review"] == "verified" and api["label_review_note"] == evidence
    assert next(c for c in api["eligibility"] if c["code"] == "label")["passed"] is True
    gold = anonymous.get("/api/v1/organisations?label=gold&page_size=100").json()
    assert pid in {hit["id"] for hit in gold["items"]}
    [entry] = _audit(directory_world, "label.verify", str(pid))
    assert entry.details["note"] == evidence and entry.actor == f"user:{entry.user_id}"
    # the owner changes the date: the verification was about the old one
    current = anonymous.get(f"/api/v1/organisations/{pid}").json()
    later = (date.today() + timedelta(days=700)).isoformat()
    edited = owner.patch(
        f"/api/v1/organisations/{pid}",
        json={"version": current["version"], "changes": {"label_valid_until": later}},
        headers={"X-CSRF-Token": csrf(owner)},
    )
    assert edited.status_code == 200 and edited.json()["label_review"] == "declared"
    assert edited.json()["label_review_note"] is None
    assert f'id="org-{pid}"' in officer.get("/officer/labels").text  # back in the queue
    history = owner.get(f"/api/v1/organisations/{pid}/history").json()
    assert history[0]["changes"]["label_review"] == ["verified", "declared"]


def test_a_rejection_keeps_its_reason_for_the_owner_and_officers(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    owner = directory_world.logged_in(directory_world.admin_email)
    pid = _labelled(directory_world, owner)["id"]
    rejected = _decide(officer, pid, "reject", "No certificate found in the label registry.")
    assert rejected.status_code == 303
    for viewer, sees in ((owner, True), (officer, True), (directory_world.anonymous(), False)):
        page = viewer.get(f"/directory/{pid}").text
        assert "Gold label: rejected" in page and "badge-gold" not in page
        assert ("No certificate found" in page) is sees
    assert len(_audit(directory_world, "label.reject", str(pid))) == 1


def test_refusals_are_shown_in_the_queue(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    owner = directory_world.logged_in(directory_world.admin_email)
    pid = _labelled(directory_world, owner)["id"]
    stale = _decide(officer, pid, "verify", "seen the certificate", version=1_000)
    assert stale.status_code == 409 and "changed since the queue was shown" in stale.text
    # an officer who administers a profile cannot verify its own label
    email = _user(directory_world, Role.PROGRAMME_OFFICER)
    own_officer = directory_world.logged_in(email)
    mine = _labelled(directory_world, own_officer)["id"]
    refused = _decide(own_officer, mine, "verify", "my own certificate")
    assert refused.status_code == 403 and "another programme officer" in refused.text
    with directory_world.app.state.sessions() as session:
        assert session.scalar(select(User.role).where(User.email == email)) == "programme_officer"
    assert _audit(directory_world, "label.verify", str(mine)) == []


def test_a_decision_is_revised_from_the_profile(
    directory_world: DirectoryWorld, officer: TestClient
) -> None:
    owner = directory_world.logged_in(directory_world.admin_email)
    pid = _labelled(directory_world, owner)["id"]
    assert _decide(officer, pid, "verify", "certificate seen").status_code == 303
    profile = officer.get(f"/directory/{pid}").text
    assert f'href="/officer/labels/{pid}">Review this label</a>' in profile
    assert "Review this label" not in directory_world.anonymous().get(f"/directory/{pid}").text
    single = f"/officer/labels/{pid}"
    assert "now verified" in officer.get(single).text
    withdrawn = _decide(officer, pid, "reject", "certificate withdrawn", path=single)
    assert withdrawn.status_code == 303
    assert "Gold label: rejected" in officer.get(f"/directory/{pid}").text
    unlabelled = directory_world.ids["webtest:madrid-aero"]
    assert officer.get(f"/officer/labels/{unlabelled}").status_code == 409
    assert officer.get("/officer/labels/999999").status_code == 404
