"""Writing and reading the audit log on SQLite and PostgreSQL: actors, filters, pages, download."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput
from clusterhub.services import audit
from clusterhub.services.accounts import audit_log, users
from clusterhub.services.accounts.audit_log import AuditQuery
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.audit import Actor
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry


@pytest.fixture
def factory(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def admin(factory: sessionmaker[Session]) -> UserPublic:
    with transaction(factory) as session:
        return users.create_user(
            session, email="Root@Example.org", display_name="Root",
            password="correct horse battery staple", role=Role.SITE_ADMIN,
        )  # fmt: skip


def _write(factory: sessionmaker[Session], *entries: tuple[Actor, str, str, datetime]) -> None:
    with transaction(factory) as session:
        for actor, action, entity_id, _at in entries:
            audit.record(session, actor=actor, action=action, entity_type="thing",
                         entity_id=entity_id)  # fmt: skip
    with transaction(factory) as session:  # the times the entries claim, for the date filters
        for number, (*_, at) in enumerate(entries):
            session.execute(
                update(AuditEntry).where(AuditEntry.entity_id == f"{number}").values(at=at)
            )


def _ids(factory: sessionmaker[Session], admin: UserPublic, **filters: Any) -> list[str]:
    with factory() as session:
        page = audit_log.search(
            session, actor=admin, query=AuditQuery.parse(filters), page_size=500
        )
    return [str(e.entity_id) for e in page.items if e.entity_type == "thing"]


def test_actors_are_named_whatever_they_are(factory: sessionmaker[Session]) -> None:
    assert Actor.command_line().name == f"cli:{getpass.getuser()}"
    assert (Actor.of_user(7).name, Actor.of_user(7).user_id) == ("user:7", 7)
    with transaction(factory) as session, pytest.raises(ValueError, match="contradicts"):
        audit.record(session, actor_id=3, actor=Actor.of_user(4), action="x", entity_type="t",
                     entity_id=None)  # fmt: skip


def test_filters_combine_and_dates_are_whole_utc_days(
    factory: sessionmaker[Session], admin: UserPublic
) -> None:
    cli, system = Actor("cli:alice"), audit.BOOTSTRAP
    day = datetime(2026, 3, 10, tzinfo=UTC)
    _write(
        factory,
        (cli, "thing.make", "0", day.replace(hour=0)),
        (cli, "thing.break", "1", day.replace(hour=23, minute=59)),
        (system, "thing.make", "2", day.replace(day=11)),
        (Actor.of_user(admin.id), "thing.make", "3", day.replace(day=9, hour=23)),
    )
    assert _ids(factory, admin) == ["3", "2", "1", "0"]  # newest written first
    assert _ids(factory, admin, actor="cli:alice") == ["1", "0"]
    assert _ids(factory, admin, actor="root@example.org") == ["3"]  # by the account's e-mail
    assert _ids(factory, admin, actor=" ROOT@example.org ") == ["3"]
    assert _ids(factory, admin, action="thing.make", actor="system:bootstrap") == ["2"]
    assert _ids(factory, admin, since="2026-03-10", until="2026-03-10") == ["1", "0"]
    assert _ids(factory, admin, since="2026-03-11") == ["2"]
    assert _ids(factory, admin, until="2026-03-09") == ["3"]
    assert _ids(factory, admin, entity_type="thing", entity_id="2") == ["2"]


def test_pages_count_every_match(factory: sessionmaker[Session], admin: UserPublic) -> None:
    now = datetime.now(UTC)
    _write(factory, *((Actor("cli:bob"), "thing.make", str(n), now) for n in range(7)))
    query = AuditQuery(actor="cli:bob")
    with factory() as session:
        pages = [
            audit_log.search(session, actor=admin, query=query, page=n, page_size=3)
            for n in (1, 2, 3, 4)
        ]
        with pytest.raises(InvalidInput):
            audit_log.search(session, actor=admin, query=query, page_size=501)
    assert [len(p.items) for p in pages] == [3, 3, 1, 0] and {p.total for p in pages} == {7}
    seen = [e.entity_id for p in pages for e in p.items]
    assert seen == [str(n) for n in range(6, -1, -1)]


def test_bad_filters_name_their_field() -> None:
    for filters, field in (
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"actor": "a@b"}, "actor"),
        ({"action": "login\nx"}, "action"),
        ({"entity_id": "x" * 129}, "entity_id"),
        ({"colour": "red"}, "colour"),
    ):
        with pytest.raises(InvalidInput) as caught:
            AuditQuery.parse(filters)
        assert caught.value.problems[0].field == field, filters
    assert AuditQuery.parse({"actor": "", "since": None}) == AuditQuery()


def test_the_download_holds_details_as_json_and_stops_at_its_cap(
    factory: sessionmaker[Session], admin: UserPublic, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(factory) as session:
        for n in range(4):
            audit.record(session, actor=Actor("cli:c"), action="thing.make", entity_type="thing",
                         entity_id=n, details={"n": n, "name": "Zoë"})  # fmt: skip
    monkeypatch.setattr(audit_log, "MAX_EXPORT_ROWS", 3)
    with factory() as session:
        rows = audit_log.export_rows(session, actor=admin, query=AuditQuery(actor="cli:c"))
    assert [r["entity_id"] for r in rows] == ["3", "2", "1"]
    assert json.loads(rows[0]["details"]) == {"n": 3, "name": "Zoë"}
    assert set(rows[0]) == set(audit_log.EXPORT_COLUMNS)
    assert date.fromisoformat(rows[0]["at"][:10]) == datetime.now(UTC).date()
