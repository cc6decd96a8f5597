"""A small cast for the events tests (and the write-actions walk): accounts, the directory
profiles they administer, and events built through the services.

Profiles are stored as rows with their admin link (what ``directory.create_profile`` leaves
behind), so these tests need no reference catalogues.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.events import events, registration
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation, OrganisationAdmin
from tests.conftest import migrated_database

PASSWORD = "a long enough passphrase"
#: One day in Brussels: 09:00-12:00 in 30-minute slots (1-6), 14:00-16:00 (7-10).
SESSIONS = [
    {"date": "2027-03-10", "start": "09:00", "end": "12:00", "slot_minutes": 30},
    {"date": "2027-03-10", "start": "14:00", "end": "16:00", "slot_minutes": 30},
]


@dataclass
class EventWorld:
    """A database and a counter that keeps names unique across the tests of a module."""

    factory: sessionmaker[Session]
    settings: Settings
    serial: int = 0

    def tx(self) -> AbstractContextManager[Session]:
        return transaction(self.factory)

    def user(self, role: Role = Role.MEMBER) -> UserPublic:
        self.serial += 1
        with self.tx() as session:
            return users.create_user(
                session, email=f"e{self.serial}@example.org", display_name=f"Person {self.serial}",
                password=PASSWORD, role=role,
            )  # fmt: skip

    def org(self, owner: UserPublic) -> int:
        self.serial += 1
        with self.tx() as session:
            org = Organisation(key=f"test:{self.serial}", source="user",
                               profile_type="cluster_organisation", name=f"Org {self.serial}",
                               country="DE")  # fmt: skip
            session.add(org)
            session.flush()
            session.add(OrganisationAdmin(organisation_id=org.id, user_id=owner.id))
            return org.id

    def event(
        self, organiser: UserPublic | None = None, *, status: str = "draft", **fields: Any
    ) -> tuple[UserPublic, int]:
        """An event of a new organiser profile, moved on to ``status`` (up to booking_closed)."""
        organiser = organiser or self.user()
        data = {"title": "Battery brokerage", "organiser_id": self.org(organiser),
                "sessions": SESSIONS, "table_count": 2, **fields}  # fmt: skip
        with self.tx() as session:
            event_id = events.create_event(session, actor=organiser, data=data).id
        path = ["published", "booking_closed"]
        for step in path[: path.index(status) + 1] if status in path else []:
            self.status(organiser, event_id, step)
        return organiser, event_id

    def status(self, actor: UserPublic, event_id: int, status: str) -> None:
        with self.tx() as session:
            events.change_status(session, actor=actor, event_id=event_id, status=status)

    def join(
        self, event_id: int, *, kind: str = "sme", unavailable: tuple[int, ...] = ()
    ) -> tuple[UserPublic, int]:
        """A new person registered on behalf of a new profile; their participant id."""
        person = self.user()
        org = self.org(person)
        with self.tx() as session:
            p = registration.register(
                session, actor=person, event_id=event_id,
                data={"organisation_id": org, "participant_type": kind, "offer": "test beds",
                      "unavailable_slots": list(unavailable)},
            )  # fmt: skip
        return person, p.id


def event_world(kind: str, folder: Any) -> Iterator[EventWorld]:
    """A migrated database of ``kind`` with cheap password hashing (argon2 is the slow part)."""
    cheap = pytest.MonkeyPatch()
    cheap.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
    with migrated_database(kind, folder) as settings:
        engine = make_engine(settings)
        yield EventWorld(make_session_factory(engine), settings)
        engine.dispose()
    cheap.undo()
