"""Meeting requests on SQLite and PostgreSQL: answer, expire, withdraw, mutual requests,
auto-accept, caps, and what a participant may see and do with other people's requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from clusterhub.errors import InvalidInput, NotFound, PermissionDenied
from clusterhub.services.events import meetings, registration, requests
from clusterhub.store.events import Event
from clusterhub.store.models import utcnow
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("requests"))


def _version(world: EventWorld, event_id: int) -> int:
    with world.tx() as session:
        event = session.get(Event, event_id)
        assert event is not None
        return event.version


def test_a_request_is_accepted_or_declined_by_its_receiver_only(world: EventWorld) -> None:
    _organiser, event_id = world.event(status="published")
    (ana, a), (ben, b), (cy, _c) = (world.join(event_id) for _ in range(3))
    before = _version(world, event_id)
    with world.tx() as session:
        sent = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b,
                                     message="Let us talk about cells.")  # fmt: skip
        declined = requests.send_request(session, actor=cy, event_id=event_id, receiver_id=b)
    assert sent.status == "sent" and sent.meeting_id is None
    assert _version(world, event_id) > before
    with world.tx() as session, pytest.raises(PermissionDenied):
        requests.accept_request(session, actor=ana, request_id=sent.id)  # the sender
    with world.tx() as session, pytest.raises(NotFound):
        requests.get_request(session, viewer=cy, request_id=sent.id)  # a third participant
    with world.tx() as session, pytest.raises(PermissionDenied):
        requests.accept_request(session, actor=cy, request_id=sent.id)
    with world.tx() as session:
        theirs = requests.list_requests(session, viewer=cy, event_id=event_id)
    assert [r.id for r in theirs] == [declined.id]  # only their own
    with world.tx() as session:
        accepted = requests.accept_request(session, actor=ben, request_id=sent.id)
        no = requests.decline_request(session, actor=ben, request_id=declined.id)
    assert accepted.status == "accepted" and accepted.meeting_id is not None
    assert no.status == "declined"
    with world.tx() as session, pytest.raises(InvalidInput) as twice:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
    assert "already" in str(twice.value)
    with world.tx() as session:  # a declined pair may ask again
        again = requests.send_request(session, actor=cy, event_id=event_id, receiver_id=b)
        mine = meetings.list_meetings(session, viewer=ana, event_id=event_id)
    assert again.status == "sent"
    assert [(m.first_id, m.second_id, m.priority) for m in mine] == [(a, b, False)]
    with world.tx() as session, pytest.raises(InvalidInput) as self_request:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=a)
    assert self_request.value.problems[0].field == "receiver_id"


def test_unanswered_requests_expire_after_the_events_hours(world: EventWorld) -> None:
    _organiser, event_id = world.event(status="published", request_expiry_hours=2)
    (ana, _a), (ben, b) = world.join(event_id), world.join(event_id)
    start = utcnow()
    with world.tx() as session:
        sent = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b,
                                     now=start)  # fmt: skip
    with world.tx() as session:
        assert requests.expire_due(session, now=start + timedelta(hours=1)) == 0
    with world.tx() as session, pytest.raises(InvalidInput) as late:
        requests.accept_request(session, actor=ben, request_id=sent.id,
                                now=start + timedelta(hours=3))  # fmt: skip
    assert "expired" in str(late.value)
    with world.tx() as session:
        assert requests.expire_due(session, now=start + timedelta(hours=3)) >= 1
        assert requests.get_request(session, viewer=ana, request_id=sent.id).status == "expired"
    with world.tx() as session:  # the pair may ask again
        assert requests.send_request(session, actor=ana, event_id=event_id,
                                     receiver_id=b).status == "sent"  # fmt: skip


def test_either_side_withdraws_before_scheduling(world: EventWorld) -> None:
    _organiser, event_id = world.event(status="published")
    (ana, a), (ben, b), (cy, c) = (world.join(event_id) for _ in range(3))
    with world.tx() as session:
        to_ben = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
        to_cy = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=c)
    with world.tx() as session, pytest.raises(InvalidInput) as receiver:
        requests.withdraw_request(session, actor=cy, request_id=to_cy.id)
    assert "decline" in str(receiver.value)
    with world.tx() as session:
        assert requests.withdraw_request(session, actor=ana, request_id=to_cy.id).status == (
            "withdrawn"
        )
        requests.accept_request(session, actor=ben, request_id=to_ben.id)
    with world.tx() as session:  # the receiver withdraws the accepted one: no meeting left
        assert requests.withdraw_request(session, actor=ben, request_id=to_ben.id).status == (
            "withdrawn"
        )
        assert meetings.list_meetings(session, viewer=ana, event_id=event_id) == []
    with world.tx() as session, pytest.raises(InvalidInput):
        requests.withdraw_request(session, actor=ana, request_id=to_ben.id)
    assert a != b


def test_a_mutual_request_makes_one_meeting_with_priority(world: EventWorld) -> None:
    _organiser, event_id = world.event(status="published")
    (ana, a), (ben, b) = world.join(event_id), world.join(event_id)
    with world.tx() as session:
        first = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
        second = requests.send_request(session, actor=ben, event_id=event_id, receiver_id=a)
    assert second.status == "accepted" and second.mutual
    with world.tx() as session:
        assert requests.get_request(session, viewer=ana, request_id=first.id).status == ("accepted")
        found = meetings.list_meetings(session, viewer=ben, event_id=event_id)
    assert [(m.origin, m.priority) for m in found] == [("mutual", True)]


def test_auto_accept_and_the_meetings_cap(world: EventWorld) -> None:
    organiser, event_id = world.event(status="published", request_mode="auto_accept",
                                      max_meetings=1)  # fmt: skip
    (ana, _a), (_ben, b), (_cy, c) = (world.join(event_id) for _ in range(3))
    with world.tx() as session:
        made = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
    assert made.status == "accepted" and made.meeting_id is not None
    with world.tx() as session, pytest.raises(InvalidInput) as cap:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=c)
    assert cap.value.problems[0].field == "max_meetings"
    with world.tx() as session, pytest.raises(InvalidInput):
        meetings.add_meeting(session, actor=organiser, event_id=event_id, first_id=b,
                             second_id=c)  # b is at the cap  # fmt: skip


def test_booking_closes_with_the_status_and_cancelling_frees_meetings(world: EventWorld) -> None:
    organiser, event_id = world.event(status="published")
    (ana, _a), (ben, b) = world.join(event_id), world.join(event_id)
    with world.tx() as session:
        sent = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
        requests.accept_request(session, actor=ben, request_id=sent.id)
    world.status(organiser, event_id, "booking_closed")
    with world.tx() as session, pytest.raises(InvalidInput) as closed:
        requests.send_request(session, actor=ben, event_id=event_id, receiver_id=sent.sender_id)
    assert "booking closed" in str(closed.value)
    with world.tx() as session:
        registration.cancel_registration(session, actor=ben, participant_id=b)
        left = meetings.list_meetings(session, viewer=organiser, event_id=event_id)
    assert left == []


def test_booking_window_and_message_checks(world: EventWorld) -> None:
    _organiser, event_id = world.event(status="published",
                                       booking_closes_at="2027-03-01T00:00")  # fmt: skip
    (ana, _a), (_ben, b) = world.join(event_id), world.join(event_id)
    late = datetime(2027, 3, 2, tzinfo=UTC)
    with world.tx() as session, pytest.raises(InvalidInput) as closed:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b, now=late)
    assert closed.value.problems[0].field == "booking_closes_at"
    with world.tx() as session, pytest.raises(InvalidInput) as control:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b,
                              message="hi\x00", now=late - timedelta(days=2))  # fmt: skip
    assert control.value.problems[0].field == "message"
    outsider = world.user()
    with world.tx() as session, pytest.raises(PermissionDenied):
        requests.send_request(session, actor=outsider, event_id=event_id, receiver_id=b)
