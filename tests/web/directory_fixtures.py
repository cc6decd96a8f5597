"""Directory profiles, accounts and a partnership in the package's web databases (both kinds).

``directory_world`` seeds the databases of the package-scoped ``client`` once: a handful of
real-looking profiles (one synthetic, one with HTML in its text), an admin who owns one of them,
a second member who owns nothing, and a partnership. Tests that change profiles create their own
through the API first, so no test depends on another's edits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.directory import profiles as directory
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import transaction
from clusterhub.store.models import Organisation, Partnership, PartnershipMember

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')
TODAY = date.today()

PROFILES: list[dict[str, Any]] = [
    {
        "key": "webtest:stuttgart-auto", "name": "Stuttgart Automotive Network",
        "acronym": "SAN", "country": "DE", "nuts_code": "DE111", "city": "Stuttgart",
        "website": "https://auto.example.org", "cluster_codes": ["4"],
        "nace_codes": ["29.10"], "technologies": ["electric drivetrains", "battery systems"],
        "description": "Car makers and suppliers developing electric vehicles together.",
        "members_sme": 80, "members_large": 12, "members_research": 9, "management_fte": 4.5,
        "label": "gold", "label_valid_until": (TODAY + timedelta(days=400)).isoformat(),
        "contact_name": "Erika Muster", "contact_email": "erika@auto.example.org",
    },
    {
        "key": "webtest:lyon-bio", "name": "Lyon Biotech Alliance", "country": "FR",
        "nuts_code": "FRK26", "city": "Lyon", "cluster_codes": ["5"],
        "description": "Vaccines, diagnostics and biopharmaceutical research in Lyon.",
        "members_sme": 40, "label": "silver",
        "label_valid_until": (TODAY - timedelta(days=30)).isoformat(),
    },
    {
        "key": "webtest:madrid-aero", "name": "Madrid Aerospace Cluster", "country": "ES",
        "nuts_code": "ES30", "cluster_codes": ["1"], "website": "https://aero.example.es",
        "description": "Aircraft structures, satellites and defence electronics.",
        "members_sme": 30, "members_large": 5, "management_fte": 2,
    },
    {
        "key": "webtest:torino-member", "name": "Torino Gear Works", "country": "IT",
        "profile_type": "cluster_member", "cluster_codes": ["4"],
        "description": "A supplier of gearboxes for the car industry.",
    },
    {
        "key": "webtest:synthetic-1", "name": "Demo Textile Cluster Nordwest", "country": "DE",
        "cluster_codes": ["3"], "description": "Invented textile cluster for demonstrations.",
        "is_synthetic": True,
    },
    {
        "key": "webtest:html", "name": "Café <script>alert('x')</script> Mobility",
        "country": "AT", "description": "Bicycles & <b>bold</b> urban mobility <img src=x>.",
    },
]  # fmt: skip

FACTS = {
    "pic": 999123456, "type": "PRC", "projects": 12, "coordinated": 3,
    "eu_contribution": 1234567.891, "first_year": 2014, "programme_parts": {"H2020-EU.2.1.1": 4},
}  # fmt: skip


@dataclass
class DirectoryWorld:
    """The seeded app: profile ids by key, and who is who."""

    app: FastAPI
    ids: dict[str, int]
    admin_email: str
    other_email: str
    owned_key: str = "webtest:stuttgart-auto"

    def anonymous(self) -> TestClient:
        """A fresh browser without cookies."""
        return TestClient(self.app, raise_server_exceptions=False)

    def logged_in(self, email: str) -> TestClient:
        """A fresh browser logged in as ``email``."""
        browser = self.anonymous()
        page = browser.get("/account/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
        assert token, "no CSRF token on the login page"
        answer = browser.post(
            "/account/login",
            data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return browser

    def create(self, browser: TestClient, **fields: Any) -> dict[str, Any]:
        """A new profile owned by the logged-in ``browser`` (through the API)."""
        body = {"name": f"Fresh profile {uuid.uuid4().hex[:8]}", "country": "DE", **fields}
        answer = browser.post(
            "/api/v1/organisations", json=body, headers={"X-CSRF-Token": csrf(browser)}
        )
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created


def csrf(browser: TestClient) -> str:
    """The CSRF token of ``browser``'s session, as pages give it to HTMX."""
    found = TOKEN.search(browser.get("/directory?q=&page_size=1").text)
    assert found, "no CSRF token on the directory page"
    return found.group(1)


def _seed(app: FastAPI, catalogues: Catalogues, embedder: Embedder) -> DirectoryWorld:
    suffix = uuid.uuid4().hex[:8]
    admin_email, other_email = f"owner-{suffix}@example.org", f"other-{suffix}@example.org"
    with transaction(app.state.sessions) as session:
        admin = users.create_user(
            session, email=admin_email, display_name="Olga Owner", password=PASSWORD
        )
        users.create_user(session, email=other_email, display_name="Otto Other", password=PASSWORD)
        records = [directory.validate(p, catalogues) for p in PROFILES]
        directory.upsert_profiles(
            session, records=records, source="webtest", catalogues=catalogues, embedder=embedder
        )
        ids = {p["key"]: directory.find_by_key(session, key=p["key"]) for p in PROFILES}
        site_admin = users.create_user(
            session, email=f"site-{suffix}@example.org", display_name="Site",
            password=PASSWORD, role=Role.SITE_ADMIN,
        )  # fmt: skip
        _own(session, ids["webtest:stuttgart-auto"], admin, site_admin)
        session.get(Organisation, ids["webtest:madrid-aero"]).facts = FACTS  # as imports do
        partnership = Partnership(
            key="webtest-cgi", name="Electromobility Goes Global", acronym="EGG",
            programme="COSME ESCP-4i", sectors=["Automotive"], cluster_codes=["4"],
            start_year=2017, end_year=2019, source="webtest",
        )  # fmt: skip
        session.add(partnership)
        session.flush()
        session.add(
            PartnershipMember(
                partnership_id=partnership.id,
                organisation_id=ids["webtest:stuttgart-auto"],
                role="lead",
            )
        )
    return DirectoryWorld(app=app, ids=ids, admin_email=admin_email, other_email=other_email)


def _own(session: Any, organisation_id: int, owner: UserPublic, site_admin: UserPublic) -> None:
    directory.add_admin(
        session, organisation_id=organisation_id, email=owner.email, actor=site_admin
    )


@pytest.fixture(scope="package")
def directory_world(
    client: TestClient, catalogues: Catalogues, embedder: Embedder
) -> Iterator[DirectoryWorld]:
    """The package's web app (per database kind) with the directory seeded."""
    yield _seed(client.app, catalogues, embedder)  # type: ignore[arg-type]
