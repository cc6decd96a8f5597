"""Event notifications on SQLite and PostgreSQL: each request step and the published schedule
tell the right account, the mail copy leaves only after the commit, and a refused write
leaves no notification behind."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from clusterhub.errors import InvalidInput
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events import agenda, notify, requests
from clusterhub.services.mail import FileMailer
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


@pytest.fixture
def mailbox(world: EventWorld, tmp_path: Path) -> Iterator[Path]:
    """The world's sessions mail through the real file mailer into a folder, links at
    https://hub.example.org (as ``create_app`` sets up the server's)."""
    notify.mail_with(world.factory, notify.Mailing(FileMailer(tmp_path), "https://hub.example.org"))
    yield tmp_path
    world.factory.configure(info={})


def mails(folder: Path) -> list[tuple[str, str, str]]:
    """(to, subject, body) of each mail written, oldest first; the files are then removed."""
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        body = message.get_payload(decode=True)
        assert isinstance(body, bytes)
        found.append((str(message["To"]), str(message["Subject"]), body.decode()))
        path.unlink()
    return found


def test_each_step_is_mailed_after_the_commit(world: EventWorld, mailbox: Path) -> None:
    organiser, event_id = world.event(status="published")
    (ana, _a), (ben, b), (cy, c) = (world.join(event_id) for _ in range(3))
    page = f"https://hub.example.org/events/{event_id}#requests"  # the page exists (a GET)
    with world.tx() as session:
        first = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b,
                                      message="Shall we talk cells?")  # fmt: skip
        second = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=c)
        third = requests.send_request(session, actor=ben, event_id=event_id, receiver_id=c)
        assert mails(mailbox) == []  # nothing leaves before the commit
    sent = mails(mailbox)
    assert [to for to, _s, _b in sent] == [ben.email, cy.email, cy.email]
    _to, subject, body = sent[0]
    assert "asks to meet you at Battery brokerage" in subject
    assert "Shall we talk cells?" in body and "UTC" in body and page in body
    with world.tx() as session:
        requests.accept_request(session, actor=ben, request_id=first.id)
        requests.decline_request(session, actor=cy, request_id=second.id)
        session.get(MeetingRequest, third.id).expires_at = utcnow() - timedelta(hours=1)  # type: ignore[union-attr]
        requests.expire_due(session)
    answered = mails(mailbox)
    said = [(to, subject.split(" ", 2)[-1]) for to, subject, _b in answered]
    assert said[:2] == [(ana.email, "accepted your meeting request."),
                        (ana.email, "declined your meeting request.")]  # fmt: skip
    assert said[2][0] == ben.email and said[2][1].endswith("expired unanswered.")
    assert all(page in body for _t, _s, body in answered)
    world.status(organiser, event_id, "booking_closed")
    agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=10)
    ready = mails(mailbox)
    assert sorted(to for to, _s, _b in ready) == sorted([ana.email, ben.email])
    assert all(s == "Your agenda for Battery brokerage is ready." for _t, s, _b in ready)
    assert f"https://hub.example.org/events/{event_id}/agenda" in ready[0][2]
    world.status(organiser, event_id, "published")  # late changes: reopen, close, run again
    world.status(organiser, event_id, "booking_closed")
    agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=10)
    changed = {s for _t, s, _b in mails(mailbox)}
    assert changed == {"Your agenda for Battery brokerage has changed."}


def test_a_rolled_back_write_mails_nothing(world: EventWorld, mailbox: Path) -> None:
    _organiser, event_id = world.event(status="published")
    (ana, _a), (ben, b) = world.join(event_id), world.join(event_id)
    before = _kinds(world, ben)
    with pytest.raises(RuntimeError), world.tx() as session:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
        raise RuntimeError("a later step of the same write fails")
    with pytest.raises(InvalidInput), world.tx() as session:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b,
                              message="x" * 10_000)  # fmt: skip
    assert mails(mailbox) == [] and _kinds(world, ben) == before
