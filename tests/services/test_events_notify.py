"""Event notifications on SQLite and PostgreSQL: each request step and the published schedule
tell the right account, the mail copy leaves only after the commit, and a refused write
leaves no notification behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from clusterhub.errors import InvalidInput
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events import agenda, notify, requests
from clusterhub.services.mail import OutgoingMail
from clusterhub.store.events import MeetingRequest
from clusterhub.store.models import Notification, utcnow
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("notify"))


def _kinds(world: EventWorld, user: UserPublic) -> list[str]:
    with world.tx() as session:
        return list(session.scalars(select(Notification.kind).where(
            Notification.user_id == user.id).order_by(Notification.id)))  # fmt: skip


class Outbox:
    """A mailer that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)


def test_request_steps_and_agenda_notify_the_right_side(world: EventWorld) -> None:
    organiser, event_id = world.event(status="published")
    (ana, _a), (ben, b), (cy, c) = (world.join(event_id) for _ in range(3))
    with world.tx() as session:
        first = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
        second = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=c)
        third = requests.send_request(session, actor=ben, event_id=event_id, receiver_id=c)
    assert _kinds(world, ben) == ["event_request"]
    with world.tx() as session:
        requests.accept_request(session, actor=ben, request_id=first.id)
        requests.decline_request(session, actor=cy, request_id=second.id)
        session.get(MeetingRequest, third.id).expires_at = utcnow() - timedelta(hours=1)  # type: ignore[union-attr]
        requests.expire_due(session)
    assert _kinds(world, ana) == ["event_request_accepted", "event_request_declined"]
    assert _kinds(world, ben)[-1] == "event_request_expired"
    world.status(organiser, event_id, "booking_closed")
    agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=10)
    assert _kinds(world, ana)[-1] == "event_agenda" and _kinds(world, ben)[-1] == "event_agenda"
    assert "event_agenda" not in _kinds(world, cy)


def test_mail_after_commit_and_nothing_on_rollback(world: EventWorld) -> None:
    _organiser, event_id = world.event(status="published")
    (ana, a), (ben, b) = world.join(event_id), world.join(event_id)
    mailer = Outbox()
    with world.tx() as session:
        probe = MeetingRequest(event_id=event_id, sender_id=a, receiver_id=b,
                               expires_at=utcnow())  # fmt: skip
        assert notify.request_received(session, probe, mailer=mailer) == [ben.id]
        assert mailer.sent == []
    assert [m.to for m in mailer.sent] == [ben.email]
    before = _kinds(world, ben)
    with pytest.raises(InvalidInput), world.tx() as session:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b,
                              message="x" * 10_000)  # fmt: skip
    assert _kinds(world, ben) == before
