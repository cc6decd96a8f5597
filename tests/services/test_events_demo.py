"""The synthetic demo event, built through the real use cases from the synthetic directory
profiles: content in every state, a valid schedule, marked synthetic, built once, removable,
and an existing account can be let in to manage it. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from clusterhub.demo import load_demo
from clusterhub.scheduling.validate import check
from clusterhub.services.accounts import users
from clusterhub.services.audit import Actor
from clusterhub.services.events import agenda, demo, events
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.events import Event, EventParticipant, Meeting, MeetingOutcome, MeetingRequest
from clusterhub.store.models import User
from tests.conftest import DB_KINDS, migrated_database


@pytest.fixture(scope="module", params=DB_KINDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    reference: ReferenceData,
) -> Iterator[tuple[object, demo.DemoReport]]:  # fmt: skip
    cheap = pytest.MonkeyPatch()
    cheap.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
    with migrated_database(request.param, tmp_path_factory.mktemp("demo")) as settings:
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            load_demo(session, reference=reference, count=40, embedder=None,
                      by=Actor.command_line())  # fmt: skip
            report = demo.build_demo_event(session)
        assert report is not None
        yield factory, report
        engine.dispose()
    cheap.undo()


def test_the_demo_event_has_every_state_and_a_valid_schedule(built: tuple) -> None:
    factory, report = built
    with factory() as session:
        event = session.get(Event, report.event_id)
        assert event.synthetic and event.title.startswith("[Synthetic demo]")
        assert event.status == "held"
        statuses = Counter(session.scalars(select(MeetingRequest.status).where(
            MeetingRequest.event_id == event.id)))  # fmt: skip
        assert {"accepted", "declined", "withdrawn", "expired"} <= set(statuses), statuses
        assert session.scalar(select(func.count()).select_from(MeetingRequest).where(
            MeetingRequest.event_id == event.id, MeetingRequest.mutual.is_(True))) >= 1  # fmt: skip
        people = session.scalars(select(EventParticipant).where(
            EventParticipant.event_id == event.id)).all()  # fmt: skip
        assert len(people) == demo.PARTICIPANTS
        assert Counter(p.status for p in people)["checked_in"] == demo.PARTICIPANTS - 3
        placed = session.scalars(select(Meeting).where(Meeting.event_id == event.id,
                                                       Meeting.active.is_(True))).all()  # fmt: skip
        assert report.scheduled == sum(m.slot is not None for m in placed) > 40
        held = Counter(m.held for m in placed if m.slot is not None)
        assert held[True] == report.held > 0 and held[False] > 0  # held and no-shows
        assert any(m.origin == "organiser" and m.fixed_slot == 2 for m in placed)
        prepared = agenda.instance_for(session, event_id=event.id)
        slots = [m.slot for m in placed]
        order = {m.id: i for i, m in enumerate(placed)}
        tables = [None] * len(prepared.meeting_ids)
        chosen = [None] * len(prepared.meeting_ids)
        for i, mid in enumerate(prepared.meeting_ids):
            chosen[i] = slots[order[mid]]
            tables[i] = (
                prepared.table_ids.index(placed[order[mid]].table_id) + 1
                if (placed[order[mid]].table_id)
                else None
            )
        assert check(prepared.instance, chosen, tables).valid
        outcomes = Counter(session.scalars(select(MeetingOutcome.outcome).where(
            MeetingOutcome.event_id == event.id)))  # fmt: skip
        assert sum(outcomes.values()) == report.answers > 10 and len(outcomes) >= 3
        accounts = session.scalars(select(User.email).where(
            User.email.like(f"%@{demo.DOMAIN}"))).all()  # fmt: skip
        assert len(accounts) == demo.PARTICIPANTS + 1


def test_the_demo_is_built_once_opens_to_an_admin_and_is_removed(built: tuple) -> None:
    factory, report = built
    with transaction(factory) as session:
        assert demo.build_demo_event(session) is None  # a second start adds nothing
        newcomer = users.create_user(session, email="newcomer@example.org",
                                     display_name="New Comer", password="x" * 12)  # fmt: skip
        admins = demo.add_demo_admin(session, email=newcomer.email, by=Actor.command_line())
        assert "newcomer@example.org" in admins
        assert events.get_event(session, event_id=report.event_id, viewer=newcomer).can_manage
    with transaction(factory) as session:
        assert demo.remove_demo_event(session, by=Actor.command_line())
    with factory() as session:
        assert session.get(Event, report.event_id) is None
        assert not session.scalars(select(User.id).where(
            User.email.like(f"%@{demo.DOMAIN}"))).all()  # fmt: skip
        assert session.scalar(select(func.count()).select_from(MeetingOutcome)) == 0
    with transaction(factory) as session:
        assert not demo.remove_demo_event(session, by=Actor.command_line())
