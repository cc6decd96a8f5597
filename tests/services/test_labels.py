"""Excellence labels on SQLite and PostgreSQL: declared until an officer verifies or rejects them
with a note, declared again when edited; the queue, the rules and what each viewer sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import Conflict, InvalidInput, PermissionDenied
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.directory import labels, profiles
from clusterhub.services.reference import Catalogues
from clusterhub.services.search.queries import DirectoryIndex, SearchRequest
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry, Organisation, OrganisationRevision

SOON = (date.today() + timedelta(days=60)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


class People:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.count = 0

    def make(self, role: Role = Role.MEMBER) -> UserPublic:
        self.count += 1
        with transaction(self.factory) as session:
            return users.create_user(
                session, email=f"p{self.count}@example.org", display_name=f"P{self.count}",
                password="correct horse battery staple", role=role,
            )  # fmt: skip


@pytest.fixture
def people(factory: sessionmaker[Session]) -> People:
    return People(factory)


def _profile(
    factory: sessionmaker[Session], catalogues: Catalogues, owner: UserPublic, **fields: Any
) -> int:
    values = {"name": "Silicon Saxony", "country": "DE", "label": "gold",
              "label_valid_until": SOON, **fields}  # fmt: skip
    with transaction(factory) as session:
        return profiles.create_profile(
            session, data=profiles.validate(values, catalogues), actor=owner,
            catalogues=catalogues, embedder=None,
        ).id  # fmt: skip


def _version(factory: sessionmaker[Session], organisation_id: int) -> int:
    with factory() as session:
        org = session.get(Organisation, organisation_id)
        assert org is not None
        return org.version


def _verify(
    factory: sessionmaker[Session], org: int, officer: UserPublic, evidence: str = "EUCLES 123"
) -> Any:
    with transaction(factory) as session:
        return labels.verify(
            session, organisation_id=org, expected_version=_version(factory, org),
            evidence=evidence, actor=officer,
        )  # fmt: skip


def test_verification_is_recorded_with_who_when_and_evidence(
    factory: sessionmaker[Session], catalogues: Catalogues, people: People
) -> None:
    owner, officer = people.make(), people.make(Role.PROGRAMME_OFFICER)
    org = _profile(factory, catalogues, owner)
    before = _version(factory, org)
    summary = _verify(factory, org, officer, "  https://eucles.example/gold/17  ")
    assert summary.label_review == "verified"
    with factory() as session:
        stored = session.get(Organisation, org)
        assert stored is not None
        assert (stored.label_review, stored.label_reviewed_by) == ("verified", officer.id)
        assert stored.label_review_note == "https://eucles.example/gold/17"
        assert stored.label_reviewed_at is not None and stored.version == before + 1
        revision = session.scalars(
            select(OrganisationRevision).where(OrganisationRevision.version == before + 1)
        ).one()
        assert (revision.source, revision.user_id) == ("label.verify", officer.id)
        assert revision.changes == {"label_review": ["declared", "verified"]}
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "label.verify")).one()
        assert entry.details == {"label": "gold", "valid_until": SOON,
                                 "note": "https://eucles.example/gold/17"}  # fmt: skip


def test_editing_the_label_or_its_date_makes_it_declared_again(
    factory: sessionmaker[Session], catalogues: Catalogues, people: People
) -> None:
    owner, officer = people.make(), people.make(Role.PROGRAMME_OFFICER)
    org = _profile(factory, catalogues, owner)
    _verify(factory, org, officer)
    for changes, review in (
        ({"city": "Dresden"}, "verified"),  # another field: the verification stands
        ({"label_valid_until": (date.today() + timedelta(days=99)).isoformat()}, "declared"),
    ):
        with transaction(factory) as session:
            saved = profiles.update_profile(
                session, organisation_id=org, changes=changes,
                expected_version=_version(factory, org), actor=owner, catalogues=catalogues,
                embedder=None,
            )  # fmt: skip
        assert saved.label_review == review
    with factory() as session:
        stored = session.get(Organisation, org)
        assert stored is not None
        assert stored.label_reviewed_by is None and stored.label_review_note is None


def test_the_queue_holds_valid_declared_labels_oldest_first(
    factory: sessionmaker[Session], catalogues: Catalogues, people: People
) -> None:
    owner, officer = people.make(), people.make(Role.PROGRAMME_OFFICER)
    first = _profile(factory, catalogues, owner, name="First")
    later = (date.today() + timedelta(days=900)).isoformat()
    second = _profile(factory, catalogues, owner, name="Second", label_valid_until=later)
    _profile(factory, catalogues, owner, name="Expired", label_valid_until=PAST)
    _profile(factory, catalogues, owner, name="Unlabelled", label=None, label_valid_until=None)
    done = _profile(factory, catalogues, owner, name="Done")
    _verify(factory, done, officer)
    with factory() as session:
        queue = labels.queue(session, actor=officer)
        assert [item.profile.id for item in queue.items] == [first, second] and queue.total == 2
        for who in (owner, None):
            with pytest.raises(PermissionDenied):
                labels.queue(session, actor=who)


def test_what_cannot_be_reviewed_is_refused_and_nothing_is_written(
    factory: sessionmaker[Session], catalogues: Catalogues, people: People
) -> None:
    owner, officer = people.make(), people.make(Role.PROGRAMME_OFFICER)
    org = _profile(factory, catalogues, owner)
    expired = _profile(factory, catalogues, owner, label_valid_until=PAST)
    bare = _profile(factory, catalogues, owner, label=None, label_valid_until=None)
    own = _profile(factory, catalogues, officer)  # the officer administers this one
    version = _version(factory, org)
    refusals: list[tuple[dict[str, Any], type[Exception]]] = [
        ({"organisation_id": org, "expected_version": version + 1}, Conflict),
        ({"organisation_id": expired, "expected_version": 1}, Conflict),
        ({"organisation_id": bare, "expected_version": 1}, Conflict),
        ({"organisation_id": own, "expected_version": 1}, PermissionDenied),
        ({"organisation_id": org, "expected_version": version, "actor": owner}, PermissionDenied),
        ({"organisation_id": org, "expected_version": version, "evidence": " "}, InvalidInput),
        ({"organisation_id": org, "expected_version": version, "evidence": "x" * 2001},
         InvalidInput),
        ({"organisation_id": org, "expected_version": version, "evidence": "a\x00b"},
         InvalidInput),
    ]  # fmt: skip
    for arguments, error in refusals:
        call = {"evidence": "seen", "actor": officer, **arguments}
        with pytest.raises(error), transaction(factory) as session:
            labels.verify(session, **call)
    with factory() as session:
        assert (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "label.verify")).all()
            == []
        )
        assert session.get(Organisation, org).label_review == "declared"  # type: ignore[union-attr]


def test_a_rejection_reason_is_shown_to_the_owner_and_officers_only(
    factory: sessionmaker[Session], catalogues: Catalogues, people: People
) -> None:
    owner, officer, member = people.make(), people.make(Role.PROGRAMME_OFFICER), people.make()
    org = _profile(factory, catalogues, owner)
    with transaction(factory) as session:
        labels.reject(
            session, organisation_id=org, expected_version=_version(factory, org),
            reason="The registry lists a bronze label.", actor=officer,
        )  # fmt: skip
    with factory() as session:
        for viewer, sees in ((owner, True), (officer, True), (member, False), (None, False)):
            shown = profiles.get_profile(session, organisation_id=org, viewer=viewer)
            assert shown.label_review == "rejected"
            assert (shown.label_review_note is not None) is sees
    _verify(factory, org, officer, "Certificate seen after all")  # a decision can be revised
    with factory() as session:
        shown = profiles.get_profile(session, organisation_id=org, viewer=None)
        assert shown.label_review_note == "Certificate seen after all"  # evidence is public


def test_search_counts_a_level_only_once_verified(
    factory: sessionmaker[Session], catalogues: Catalogues, people: People
) -> None:
    owner, officer = people.make(), people.make(Role.PROGRAMME_OFFICER)
    org = _profile(factory, catalogues, owner)
    index = DirectoryIndex(cluster_names=catalogues.clusters)

    def ids(label: str) -> list[int]:
        with factory() as session:
            found = index.search(session, SearchRequest(label=[label]), embedder=None)
        return [hit.id for hit in found.items]

    assert (ids("gold"), ids("declared")) == ([], [org])
    _verify(factory, org, officer)  # the index notices without being told
    assert (ids("gold"), ids("declared")) == ([org], [])
