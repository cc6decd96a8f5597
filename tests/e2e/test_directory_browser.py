"""The directory in a real browser: search for a profile, open it, log in as its admin, edit a
field and see it saved; another member gets no edit link and a 403 for the edit address.

The profile and both accounts are written into the running server's database through the
services (the server notices the directory's new generation on its next search).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.directory import profiles
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.e2e.live import MOBILE, LiveServer, PageGuard
from tests.e2e.test_accessibility import OVERFLOW_JS, OVERFLOW_TOLERANCE, STRUCTURE_JS

pytestmark = pytest.mark.e2e

PASSWORD = "violet tractor harbour umbrella"


@dataclass(frozen=True)
class Seeded:
    profile_id: int
    word: str
    owner: str
    other: str


@pytest.fixture(scope="module")
def seeded(
    live_server: LiveServer, shared_data: Path, catalogues: Catalogues, embedder: Embedder
) -> Seeded:
    """A profile owned by one new account, and a second account, in the server's database."""
    suffix = uuid.uuid4().hex[:8]
    word = f"Fjordline{suffix}"
    settings = Settings(
        database_url=f"sqlite:///{live_server.folder / 'e2e.db'}", data_mirror=shared_data
    )
    engine = make_engine(settings)
    owner, other = f"owner-{suffix}@example.org", f"other-{suffix}@example.org"
    with transaction(make_session_factory(engine)) as session:
        admin = users.create_user(
            session, email=owner, display_name="Olga Owner", password=PASSWORD
        )
        users.create_user(session, email=other, display_name="Otto Other", password=PASSWORD)
        data = profiles.validate(
            {"name": f"{word} Maritime Cluster", "country": "NO", "city": "Bergen",
             "cluster_codes": ["39"], "description": "Shipbuilders and offshore suppliers."},
            catalogues,
        )  # fmt: skip
        created = profiles.create_profile(
            session, data=data, actor=admin, catalogues=catalogues, embedder=embedder
        )
    engine.dispose()
    return Seeded(created.id, word, owner, other)


def _log_in(page: Page, email: str, then: str) -> None:
    """Fill the log-in form and wait until it has led to the path ``then`` (the form's own
    address names ``then`` too, in its ``next`` parameter: compare paths, not URLs)."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == then)


def test_search_open_edit_as_admin_and_refused_to_others(
    page: Page, guard: PageGuard, seeded: Seeded
) -> None:
    page.goto("/directory")
    expect(page.locator("h1")).to_have_text("Directory of cluster organisations")
    page.get_by_label("Keywords").check()
    page.get_by_label("Search the directory").fill(seeded.word)
    # HTMX swaps the results in while typing, and the address follows (hx-push-url).
    expect(page.get_by_role("status")).to_contain_text(f"1 profile for “{seeded.word}”")
    expect(page).to_have_url(re.compile(rf"/directory\?.*q={seeded.word}.*mode=keyword"))
    result = page.locator("#directory-results").get_by_role("link", name=re.compile(seeded.word))
    result.click()
    page.wait_for_url(re.compile(rf"/directory/{seeded.profile_id}$"))
    expect(page.locator("h1")).to_contain_text(f"{seeded.word} Maritime Cluster")
    expect(page.get_by_text("Log in to see contacts")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    page.locator("header.site").get_by_role("link", name="Log in").click()
    _log_in(page, seeded.owner, then=f"/directory/{seeded.profile_id}")
    expect(page.locator("header.site")).to_contain_text("Olga Owner")
    page.get_by_role("link", name="Edit").click()
    city = page.get_by_label("City", exact=True)
    expect(city).to_have_value("Bergen")
    city.fill("Ålesund")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf"/directory/{seeded.profile_id}\?saved=saved$"))
    expect(page.get_by_role("status")).to_have_text("The profile was saved.")
    expect(page.locator("main")).to_contain_text("Ålesund")

    page.locator("header.site").get_by_role("button", name="Log out").click()
    page.goto(f"/account/login?next=/directory/{seeded.profile_id}")
    _log_in(page, seeded.other, then=f"/directory/{seeded.profile_id}")
    expect(page.locator("header.site")).to_contain_text("Otto Other")
    expect(page.locator("main")).to_contain_text("Ålesund")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    guard.expect_error_status(403)
    answer = page.goto(f"/directory/{seeded.profile_id}/edit")
    assert answer is not None and answer.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")


def _directory_pages(seeded: Seeded) -> list[str]:
    return [
        f"/directory?q={seeded.word}&mode=keyword",
        f"/directory/{seeded.profile_id}",
        f"/directory/{seeded.profile_id}/edit",
        f"/directory/{seeded.profile_id}/history",
        f"/directory/{seeded.profile_id}/admins",
        "/directory/new",
        "/account/organisations",
        "/partnerships",
    ]


def _as_owner(page: Page, seeded: Seeded) -> None:
    page.goto("/account/login?next=/account/organisations")
    _log_in(page, seeded.owner, then="/account/organisations")


def test_directory_pages_are_labelled_with_one_h1(
    page: Page, guard: PageGuard, seeded: Seeded
) -> None:
    _as_owner(page, seeded)
    for path in _directory_pages(seeded):
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        found = page.evaluate(STRUCTURE_JS)
        assert len(found["h1"]) == 1 and found["main"] == 1, (path, found["h1"])
        assert found["unlabelledControls"] == [], (path, found["unlabelledControls"])
        assert found["imagesWithoutAlt"] == [], path


def test_directory_pages_fit_a_phone(
    mobile_guarded: tuple[Page, PageGuard], seeded: Seeded
) -> None:
    page, _guard = mobile_guarded
    _as_owner(page, seeded)
    limit = MOBILE["width"] + OVERFLOW_TOLERANCE
    for path in _directory_pages(seeded):
        page.goto(path)
        found = page.evaluate(OVERFLOW_JS, limit)
        assert found["width"] <= limit, f"{path} is {found['width']} px wide: {found['wide']}"
