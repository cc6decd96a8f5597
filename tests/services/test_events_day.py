"""The event's day on SQLite and PostgreSQL: check-in only by managers on the event's day (and
its undo), held / no-show records with their rights, and the desk's summary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events import agenda, day, meetings, requests
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world

DAY = datetime(2027, 3, 10, 8, 30, tzinfo=UTC)  # 09:30 in Brussels
EVE = datetime(2027, 3, 9, 20, tzinfo=UTC)


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("day"))


def scheduled_event(
    world: EventWorld, pairs: int = 2
) -> tuple[UserPublic, int, list[tuple[UserPublic, int]], list[int]]:
    """A scheduled event with ``pairs`` accepted meetings (one per pair of new participants)."""
    organiser, event_id = world.event(status="published")
    people = [world.join(event_id) for _ in range(2 * pairs)]
    with world.tx() as session:
        for k in range(pairs):
            (ana, _a), (ben, b) = people[2 * k], people[2 * k + 1]
            sent = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
            requests.accept_request(session, actor=ben, request_id=sent.id)
    world.status(organiser, event_id, "booking_closed")
    agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=10)
    with world.tx() as session:
        ids = [m.id for m in meetings.list_meetings(session, viewer=organiser, event_id=event_id)]
    return organiser, event_id, people, ids


def test_check_in_on_the_day_by_managers_and_undo(world: EventWorld) -> None:
    organiser, event_id, people, _ids = scheduled_event(world, pairs=1)
    (ana, a) = people[0]
    with world.tx() as session, pytest.raises(PermissionDenied):
        day.check_in(session, actor=ana, participant_id=a, now=DAY)
    with world.tx() as session, pytest.raises(InvalidInput) as wrong_day:
        day.check_in(session, actor=organiser, participant_id=a, now=EVE)
    assert wrong_day.value.problems[0].field == "now"
    assert "2027-03-10" in wrong_day.value.problems[0].message
    with world.tx() as session:
        done = day.check_in(session, actor=organiser, participant_id=a, now=DAY)
    assert done.status == "checked_in" and done.checked_in_at is not None
    with world.tx() as session, pytest.raises(InvalidInput):
        day.check_in(session, actor=organiser, participant_id=a, now=DAY)
    with world.tx() as session:
        summary = day.day_summary(session, viewer=organiser, event_id=event_id)
    assert (summary.participants, summary.checked_in) == (2, 1)
    with world.tx() as session:
        undone = day.check_in(session, actor=organiser, participant_id=a, undo=True, now=DAY)
    assert undone.status == "registered" and undone.checked_in_at is None


def test_check_in_needs_a_scheduled_event(world: EventWorld) -> None:
    organiser, event_id = world.event(status="published")
    _ana, a = world.join(event_id)
    with world.tx() as session, pytest.raises(InvalidInput) as refused:
        day.check_in(session, actor=organiser, participant_id=a, now=DAY)
    assert refused.value.problems[0].field == "status"


def test_held_and_no_show_with_their_rights(world: EventWorld) -> None:
    organiser, event_id, people, ids = scheduled_event(world)
    (ana, a), (ben, b), (cy, _c) = people[0], people[1], people[2]
    first = next(m for m in ids if {a, b} <= _pair(world, organiser, event_id, m))
    second = next(m for m in ids if m != first)
    with world.tx() as session, pytest.raises(PermissionDenied):
        day.mark_meeting(session, actor=cy, meeting_id=first, held=True)
    with world.tx() as session, pytest.raises(PermissionDenied):
        day.mark_meeting(session, actor=ana, meeting_id=first, held=False, no_show_id=b)
    with world.tx() as session:
        assert day.mark_meeting(session, actor=ben, meeting_id=first, held=True).held is True
    with world.tx() as session, pytest.raises(InvalidInput) as stranger:
        day.mark_meeting(session, actor=organiser, meeting_id=second, held=False, no_show_id=a)
    assert stranger.value.problems[0].field == "no_show_id"
    with world.tx() as session:
        c_id = people[2][1]
        missed = day.mark_meeting(session, actor=organiser, meeting_id=second, held=False,
                                  no_show_id=c_id)  # fmt: skip
    assert missed.held is False
    with world.tx() as session:
        summary = day.day_summary(session, viewer=organiser, event_id=event_id)
    assert (summary.meetings, summary.held, summary.no_show, summary.pending) == (2, 1, 1, 0)
    with world.tx() as session, pytest.raises(PermissionDenied):
        day.day_summary(session, viewer=ana, event_id=event_id)


def test_only_scheduled_meetings_are_held(world: EventWorld) -> None:
    organiser, event_id = world.event(status="published")
    (_ana, a), (_ben, b) = world.join(event_id), world.join(event_id)
    with world.tx() as session:
        m = meetings.add_meeting(session, actor=organiser, event_id=event_id, first_id=a,
                                 second_id=b).id  # fmt: skip
    with world.tx() as session, pytest.raises(InvalidInput) as early:
        day.mark_meeting(session, actor=organiser, meeting_id=m, held=True)
    assert early.value.problems[0].field == "status"


def _pair(world: EventWorld, viewer: UserPublic, event_id: int, meeting_id: int) -> set[int]:
    with world.tx() as session:
        m = next(x for x in meetings.list_meetings(session, viewer=viewer, event_id=event_id)
                 if x.id == meeting_id)  # fmt: skip
    return {m.first_id, m.second_id}
