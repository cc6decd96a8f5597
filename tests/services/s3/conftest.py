"""Fixtures of the S3 tests: the code lists, the assistant with and without its model, and a
migrated database of each kind with an officer, a member and a small cluster map."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.s3.coding import CodingAssistant
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.store.db import make_engine, make_session_factory, transaction

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "s3"


@pytest.fixture(scope="session")
def codes(reference: ReferenceData, catalogues: Catalogues) -> S3Codes:
    return S3Codes.from_reference(reference, catalogues)


@pytest.fixture(scope="session")
def semantic(reference: ReferenceData, codes: S3Codes, embedder: Embedder) -> CodingAssistant:
    return CodingAssistant(reference, codes.mapping, codes.vocabularies, embedder)


@pytest.fixture(scope="session")
def keyword(reference: ReferenceData, codes: S3Codes) -> CodingAssistant:
    return CodingAssistant(reference, codes.mapping, codes.vocabularies, None)


@dataclass
class Db:
    """A migrated database with an officer and a member."""

    factory: sessionmaker[Session]
    officer: UserPublic
    member: UserPublic


@pytest.fixture
def db(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Db]:
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
    engine = make_engine(db_settings)
    factory = make_session_factory(engine)
    people = []
    with transaction(factory) as session:
        for n, role in enumerate((Role.PROGRAMME_OFFICER, Role.MEMBER)):
            people.append(users.create_user(
                session, email=f"p{n}@example.org", display_name=f"P{n}",
                password="correct horse battery staple", role=role,
            ))  # fmt: skip
    yield Db(factory, *people)
    engine.dispose()
