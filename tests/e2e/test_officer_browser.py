"""Programme officer pages and the audit log in a real browser: an officer verifies a declared
label from the queue and the profile then shows it verified; a site admin filters the audit log
to that decision; every page has one h1, labelled controls, and fits a phone."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role
from clusterhub.services.directory import profiles
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.e2e.live import MOBILE, LiveServer, PageGuard
from tests.e2e.test_accessibility import OVERFLOW_JS, OVERFLOW_TOLERANCE, STRUCTURE_JS

pytestmark = pytest.mark.e2e

PASSWORD = "violet tractor harbour umbrella"


@dataclass(frozen=True)
class Seeded:
    profile_id: int
    officer: str
    admin: str


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer, shared_data: Path, catalogues: Catalogues) -> Seeded:
    """An officer, a site admin, and a profile of a third account declaring a gold label."""
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=f"sqlite:///{live_server.folder / 'e2e.db'}", data_mirror=shared_data
    )
    engine = make_engine(settings)
    officer, admin = f"officer-{suffix}@example.org", f"admin-{suffix}@example.org"
    with transaction(make_session_factory(engine)) as session:
        for email, role in ((officer, Role.PROGRAMME_OFFICER), (admin, Role.SITE_ADMIN)):
            users.create_user(
                session, email=email, display_name=role.label, password=PASSWORD, role=role
            )
        owner = users.create_user(
            session, email=f"owner-{suffix}@example.org", display_name="Owner", password=PASSWORD
        )
        data = profiles.validate(
            {"name": f"Labelled {suffix} Cluster", "country": "AT", "label": "gold",
             "label_valid_until": (date.today() + timedelta(days=200)).isoformat()},
            catalogues,
        )  # fmt: skip
        created = profiles.create_profile(
            session, data=data, actor=owner, catalogues=catalogues, embedder=None
        )
    engine.dispose()
    return Seeded(created.id, officer, admin)


def _log_in(page: Page, email: str, then: str) -> None:
    page.goto(f"/account/login?next={then}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == then)


def test_an_officer_verifies_a_label_and_an_admin_finds_it_in_the_audit_log(
    page: Page, guard: PageGuard, seeded: Seeded
) -> None:
    _log_in(page, seeded.officer, then="/account")
    page.locator("header.site").get_by_role("link", name="Officer", exact=True).click()
    page.get_by_role("navigation", name="Programme officer pages").get_by_role(
        "link", name="Label verification"
    ).click()
    item = page.locator(f"#org-{seeded.profile_id}")
    expect(item).to_contain_text("Gold, valid until")
    item.get_by_label("Evidence of the certificate").fill("Certificate GOLD-2026-17 seen")
    item.get_by_role("button", name="Verify the label").click()
    expect(page.get_by_role("status")).to_have_text("The label was verified.")
    expect(page.locator(f"#org-{seeded.profile_id}")).to_have_count(0)
    page.goto(f"/directory/{seeded.profile_id}")
    expect(page.locator(".badges")).to_contain_text("Gold label ✓ verified")
    expect(page.locator("main")).to_contain_text("Certificate GOLD-2026-17 seen")

    page.locator("header.site").get_by_role("button", name="Log out").click()
    _log_in(page, seeded.admin, then="/account/audit")
    page.get_by_label("Action").fill("label.verify")
    page.get_by_label("Entity id").fill(str(seeded.profile_id))
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"action=label\.verify.*entity_id="))
    table = page.locator("table.audit-table")
    expect(table.locator("caption")).to_have_text("1 matching entry")
    expect(table).to_contain_text(seeded.officer)


def _pages(seeded: Seeded) -> list[tuple[str, str]]:
    officer = ["/officer", "/officer/partnerships", "/officer/indicators", "/officer/labels"]
    return [(seeded.officer, path) for path in officer] + [(seeded.admin, "/account/audit")]


def test_officer_and_audit_pages_have_one_h1_and_labelled_controls(
    page: Page, seeded: Seeded
) -> None:
    for email, path in _pages(seeded):
        _log_in(page, email, then=path)
        found = page.evaluate(STRUCTURE_JS)
        assert len(found["h1"]) == 1 and found["main"] == 1, (path, found["h1"])
        assert found["unlabelledControls"] == [], (path, found["unlabelledControls"])
        page.context.clear_cookies()


def test_officer_and_audit_pages_fit_a_phone(
    mobile_guarded: tuple[Page, PageGuard], seeded: Seeded
) -> None:
    page, _guard = mobile_guarded
    limit = MOBILE["width"] + OVERFLOW_TOLERANCE
    for email, path in _pages(seeded):
        _log_in(page, email, then=path)
        found = page.evaluate(OVERFLOW_JS, limit)
        assert found["width"] <= limit, f"{path} is {found['width']} px wide: {found['wide']}"
        page.context.clear_cookies()
