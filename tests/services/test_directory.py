"""The directory service on SQLite and PostgreSQL: validation, eligibility, labels, admins,
optimistic locking, revisions and keyed upserts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.directory import facts, profiles
from clusterhub.services.directory.schemas import OrganisationInput
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation

PROFILE: dict[str, Any] = {
    "name": "Baden Automotive Cluster",
    "nuts_code": "DE12",
    "website": "https://bac.example.org",
    "cluster_codes": ["Automotive"],
    "nace_codes": ["29.10"],
    "members_sme": 30,
    "members_research": 4,
    "management_fte": 2,
    "contact_email": "office@bac.example.org",
}


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def user(factory: sessionmaker[Session], email: str, role: Role = Role.MEMBER) -> UserPublic:
    with transaction(factory) as session:
        return users.create_user(
            session,
            email=email,
            display_name=email.split("@", maxsplit=1)[0],
            password="x" * 12,
            role=role,
        )


@pytest.fixture
def owned(factory: sessionmaker[Session], catalogues: Catalogues) -> tuple[int, UserPublic]:
    """A profile created by its first admin."""
    owner = user(factory, "owner@example.org")
    with transaction(factory) as session:
        created = profiles.create_profile(
            session,
            data=OrganisationInput.model_validate(PROFILE),
            actor=owner,
            catalogues=catalogues,
            embedder=None,
        )
    return created.id, owner


def test_validation_reports_every_problem_with_file_line_and_field(
    catalogues: Catalogues,
) -> None:
    bad = {
        "name": "X",
        "country": "FR",
        "nuts_code": "DE21",
        "nace_codes": ["29.10", "99.99"],
        "cluster_codes": ["Quantum Knitting"],
        "website": "ftp://example.org",
        "contact_email": "nobody",
        "languages": ["xx"],
        "label": "gold",
        "members_sme": 20,
        "members_total": 5,
    }
    with pytest.raises(InvalidInput) as caught:
        profiles.validate(bad, catalogues, file="f.csv", line=7)
    fields = {p.field for p in caught.value.problems}
    assert fields == {
        "nuts_code",
        "nace_codes",
        "cluster_codes",
        "website",
        "contact_email",
        "languages",
        "label_valid_until",
        "members_total",
    }
    assert all((p.file, p.line) == ("f.csv", 7) for p in caught.value.problems)
    with pytest.raises(InvalidInput) as caught:
        profiles.validate({"name": "", "members_sme": -1}, catalogues, file="g.json", line=2)
    assert {(p.field, p.file, p.line) for p in caught.value.problems} == {
        ("name", "g.json", 2),
        ("members_sme", "g.json", 2),
    }
    clean = profiles.validate(
        {**PROFILE, "country": "gr", "nuts_code": None, "cluster_codes": ["4", "Automotive"]},
        catalogues,
    )
    assert clean.country == "EL" and clean.cluster_codes == ["4"] and clean.members_total == 34


def test_eligibility_label_status_and_size_band(
    factory: sessionmaker[Session], owned: tuple[int, UserPublic]
) -> None:
    with factory() as session:
        org = session.get(Organisation, owned[0])
        assert org is not None
        assert [c.passed for c in facts.eligibility(org)] == [True] * 4 + [False]
        # a declared label is not counted: unknown until a programme officer verifies it
        org.label, org.label_valid_until = "gold", date(2099, 1, 1)
        assert facts.eligibility(org)[-1].passed is None
        org.members_research = 0
        org.management_fte = 0.4
        org.label_review = "verified"
        checks = {c.code: c.passed for c in facts.eligibility(org)}
        assert checks == {"management": False, "members": True, "member_types": False,
                          "website": True, "label": True}  # fmt: skip
        org.label_review = "rejected"
        assert facts.eligibility(org)[-1].passed is False
        org.label_review, org.label_valid_until = "verified", date(2020, 1, 1)
        assert facts.eligibility(org)[-1].detail == "gold label expired on 2020-01-01"
        org.label = None
        assert facts.eligibility(org)[-1].passed is False
        org.profile_type = "project_partner"
        assert facts.eligibility(org) == []
    today = date(2026, 1, 1)
    assert facts.label_status("gold", date(2025, 12, 31), today) == "expired"
    assert facts.label_status("gold", date(2026, 1, 1), today) == "valid"
    assert facts.label_status(None, None, today) == "none"
    assert [facts.size_band(n) for n in (None, 0, 14, 15, 150, 499, 500)] == [
        "unknown", "unknown", "1–14", "15–49", "150–499", "150–499", "500+",
    ]  # fmt: skip


def test_stale_edits_are_refused_with_what_changed(
    factory: sessionmaker[Session], catalogues: Catalogues, owned: tuple[int, UserPublic]
) -> None:
    org_id, owner = owned

    def edit(changes: dict[str, Any], version: int) -> Any:
        with transaction(factory) as session:
            return profiles.update_profile(
                session,
                organisation_id=org_id,
                changes=changes,
                expected_version=version,
                actor=owner,
                catalogues=catalogues,
                embedder=None,
            )

    assert edit({"city": "Karlsruhe"}, 1).version == 2
    with pytest.raises(Conflict) as caught:
        edit({"description": "mine"}, 1)
    assert caught.value.details == {"current_version": 2, "changed_fields": ["city"]}
    with pytest.raises(InvalidInput):
        edit({"source": "hacked"}, 2)
    with pytest.raises(InvalidInput) as invalid:
        edit({"nuts_code": "FR10"}, 2)
    assert invalid.value.problems[0].field == "nuts_code"
    assert edit({"city": "Karlsruhe"}, 2).version == 2  # no change, no new version
    with factory() as session:
        history = profiles.history(session, organisation_id=org_id, actor=owner)
    assert [r.version for r in history] == [2, 1]
    assert history[0].changes == {"city": [None, "Karlsruhe"]}
    assert history[0].user == "owner"


def test_only_admins_and_site_admins_may_edit(
    factory: sessionmaker[Session], catalogues: Catalogues, owned: tuple[int, UserPublic]
) -> None:
    org_id, owner = owned
    stranger = user(factory, "stranger@example.org")
    boss = user(factory, "boss@example.org", Role.SITE_ADMIN)

    def edit(actor: UserPublic | None, version: int) -> Any:
        with transaction(factory) as session:
            return profiles.update_profile(
                session,
                organisation_id=org_id,
                changes={"acronym": f"V{version}"},
                expected_version=version,
                actor=actor,
                catalogues=catalogues,
                embedder=None,
            )

    for actor in (stranger, None):
        with pytest.raises(PermissionDenied):
            edit(actor, 1)
    with factory() as session, pytest.raises(PermissionDenied):
        profiles.history(session, organisation_id=org_id, actor=stranger)
    assert edit(boss, 1).version == 2
    with transaction(factory) as session, pytest.raises(PermissionDenied):
        profiles.add_admin(session, organisation_id=org_id, email=stranger.email, actor=stranger)
    with transaction(factory) as session:
        profiles.add_admin(session, organisation_id=org_id, email="Stranger@Example.org",
                            actor=owner)  # fmt: skip
    assert edit(stranger, 2).version == 3
    with factory() as session:
        assert profiles.can_edit(session, actor=stranger, organisation_id=org_id)
        assert [p.id for p in profiles.my_profiles(session, actor=stranger)] == [org_id]
        public = profiles.get_profile(session, organisation_id=org_id, viewer=None)
        assert public.contact_email is None
        seen = profiles.get_profile(session, organisation_id=org_id, viewer=stranger)
        assert seen.contact_email == PROFILE["contact_email"]
    with transaction(factory) as session, pytest.raises(NotFound):
        profiles.add_admin(session, organisation_id=org_id, email="nobody@example.org",
                            actor=owner)  # fmt: skip


def test_upserts_by_key_create_then_change_nothing_then_update(
    factory: sessionmaker[Session], catalogues: Catalogues
) -> None:
    records = [
        profiles.validate({**PROFILE, "key": f"k-{n}", "name": f"Cluster {n}"}, catalogues)
        for n in range(3)
    ]

    def upsert(batch: list[OrganisationInput]) -> tuple[int, int, int]:
        with transaction(factory) as session:
            return profiles.upsert_profiles(
                session, records=batch, source="test", catalogues=catalogues, embedder=None
            )

    assert upsert(records) == (3, 0, 0)
    assert upsert(list(reversed(records))) == (0, 0, 3)
    changed = records[0].model_copy(update={"cluster_codes": ["4", "1"]})
    assert upsert([changed, *records[1:]]) == (0, 1, 2)
    with factory() as session:
        assert profiles.find_by_key(session, key="k-0") > 0
        with pytest.raises(NotFound):
            profiles.find_by_key(session, key="k-9")
    with transaction(factory) as session:
        assert profiles.remove_all_from_source(session, source="test") == 3
    with pytest.raises(InvalidInput):
        upsert([OrganisationInput(name="no key")])


def test_people_cannot_mark_profiles_synthetic(
    factory: sessionmaker[Session], catalogues: Catalogues, owned: tuple[int, UserPublic]
) -> None:
    """Whether a profile is invented is the importer's statement, not an editable field."""
    organisation_id, owner = owned
    with pytest.raises(InvalidInput) as refused, transaction(factory) as session:
        profiles.update_profile(
            session,
            organisation_id=organisation_id,
            changes={"is_synthetic": True},
            expected_version=1,
            actor=owner,
            catalogues=catalogues,
            embedder=None,
        )
    assert refused.value.problems[0].field == "is_synthetic"
    with pytest.raises(InvalidInput) as refused, transaction(factory) as session:
        profiles.create_profile(
            session,
            data=OrganisationInput.model_validate({**PROFILE, "is_synthetic": True}),
            actor=owner,
            catalogues=catalogues,
            embedder=None,
        )
    assert refused.value.problems[0].field == "is_synthetic"
    with transaction(factory) as session:
        assert session.get(Organisation, organisation_id).is_synthetic is False  # type: ignore[union-attr]
