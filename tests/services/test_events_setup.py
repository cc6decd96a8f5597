"""Events: the status machine, event admins, derived slots and registration caps, on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from clusterhub.errors import InvalidInput, NotFound, PermissionDenied
from clusterhub.services.accounts.users import Role
from clusterhub.services.events import events, registration
from clusterhub.services.events.slots import event_slots
from tests.conftest import DB_KINDS
from tests.services.events_world import SESSIONS, EventWorld, event_world


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("events"))


def _field(error: pytest.ExceptionInfo[InvalidInput]) -> str | None:
    return error.value.problems[0].field


def test_slots_are_numbered_through_the_day_in_utc(world: EventWorld) -> None:
    _organiser, event_id = world.event()
    with world.tx() as session:
        slots = event_slots(session, event_id)
        public = events.get_event(session, event_id=event_id, viewer=_organiser)
    assert [s.number for s in slots] == list(range(1, 11))
    assert [s.kind for s in slots] == ["morning"] * 6 + ["afternoon"] * 4
    # 09:00 in Brussels in March is 08:00 UTC; the lunch pause is not a slot
    assert slots[0].starts_at == datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
    assert slots[6].starts_at == datetime(2027, 3, 10, 13, 0, tzinfo=UTC)
    assert slots[6].local("Europe/Brussels")[0].hour == 14
    assert [(s.first_slot, s.slots) for s in public.sessions] == [(1, 6), (7, 4)]
    assert [t.name for t in public.tables] == ["Table 1", "Table 2"]


def test_the_status_machine_moves_one_checked_step_at_a_time(world: EventWorld) -> None:
    organiser, event_id = world.event(sessions=[], table_count=None)
    with pytest.raises(InvalidInput) as empty:
        world.status(organiser, event_id, "published")
    assert _field(empty) == "sessions" and "session" in str(empty.value)
    with pytest.raises(InvalidInput) as skipping:
        world.status(organiser, event_id, "booking_closed")
    assert "draft event can move to published, not booking_closed" in str(skipping.value)
    org = _organiser_of(world, event_id)
    with world.tx() as session:
        events.update_event(session, actor=organiser, event_id=event_id, data={
            "title": "Battery brokerage", "organiser_id": org,
            "sessions": SESSIONS, "tables": [{"name": "Room A"}, {"name": "Room B"}]})  # fmt: skip
    world.status(organiser, event_id, "published")
    with pytest.raises(InvalidInput) as layout, world.tx() as session:
        events.update_event(session, actor=organiser, event_id=event_id, data={
            "title": "Battery brokerage", "organiser_id": org,
            "sessions": SESSIONS[:1], "tables": [{"name": "Room A"}]})  # fmt: skip
    assert _field(layout) == "sessions"
    with pytest.raises(InvalidInput) as rooms, world.tx() as session:
        events.update_event(session, actor=organiser, event_id=event_id, data={
            "title": "Renamed", "organiser_id": org, "sessions": SESSIONS,
            "tables": [{"name": "Room A"}]})  # fmt: skip
    assert _field(rooms) == "tables"
    with world.tx() as session:  # the text may change
        renamed = events.update_event(session, actor=organiser, event_id=event_id, data={
            "title": "Renamed", "organiser_id": org, "sessions": SESSIONS,
            "tables": [{"name": "Room A"}, {"name": "Room B"}]})  # fmt: skip
    assert renamed.title == "Renamed" and renamed.status == "published"
    with pytest.raises(InvalidInput) as by_hand:
        world.status(organiser, event_id, "scheduled")
    assert "running the scheduler" in str(by_hand.value)
    world.status(organiser, event_id, "booking_closed")
    world.status(organiser, event_id, "published")  # booking reopened
    world.status(organiser, event_id, "booking_closed")
    with pytest.raises(InvalidInput) as early:
        world.status(organiser, event_id, "held")
    assert "booking closed event can move to published, not held" in str(early.value)
    with pytest.raises(InvalidInput) as unknown:
        world.status(organiser, event_id, "finished")
    assert _field(unknown) == "status"


def _organiser_of(world: EventWorld, event_id: int) -> int:
    with world.tx() as session:
        return events.find_event(session, event_id).organiser_id


def test_managers_are_organiser_admins_and_chosen_event_admins(world: EventWorld) -> None:
    organiser, event_id = world.event()
    helper, stranger = world.user(), world.user()
    with pytest.raises(PermissionDenied):
        world.status(stranger, event_id, "published")
    with world.tx() as session, pytest.raises(NotFound):
        events.get_event(session, event_id=event_id, viewer=stranger)  # drafts are private
    with world.tx() as session:
        admins = events.add_event_admin(session, actor=organiser, event_id=event_id,
                                        email=helper.email)  # fmt: skip
    assert admins == [helper.email]
    with world.tx() as session, pytest.raises(PermissionDenied):  # admins do not choose admins
        events.add_event_admin(session, actor=helper, event_id=event_id, email=stranger.email)
    world.status(helper, event_id, "published")
    with world.tx() as session:
        events.remove_event_admin(session, actor=organiser, event_id=event_id, user_id=helper.id)
    with pytest.raises(PermissionDenied):
        world.status(helper, event_id, "booking_closed")


def test_an_event_refuses_bad_input_naming_the_field(world: EventWorld) -> None:
    organiser = world.user()
    org = world.org(organiser)
    bad = [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"sessions": [{**SESSIONS[0], "end": "09:10"}]}, "sessions.0.end"),
        ({"sessions": [SESSIONS[0], {**SESSIONS[0], "start": "11:00", "end": "13:00"}]},
         "sessions.1.start"),
        ({"booking_opens_at": "2027-03-01T10:00", "booking_closes_at": "2027-02-01T10:00"},
         "booking_closes_at"),
        ({"mode": "carrier pigeon"}, "mode"),
    ]  # fmt: skip
    for fields, field in bad:
        with world.tx() as session, pytest.raises(InvalidInput) as error:
            events.create_event(session, actor=organiser,
                                data={"title": "T", "organiser_id": org, **fields})  # fmt: skip
        assert _field(error) == field, fields
    other = world.org(world.user())
    with world.tx() as session, pytest.raises(PermissionDenied):
        events.create_event(session, actor=organiser, data={"title": "T", "organiser_id": other})


def test_registration_checks_profile_status_caps_and_slots(world: EventWorld) -> None:
    _organiser, event_id = world.event(type_caps={"sme": 1}, max_opportunities=1)
    person = world.user()
    org = world.org(person)
    data = {"organisation_id": org, "participant_type": "sme"}
    with world.tx() as session, pytest.raises(InvalidInput) as draft:
        registration.register(session, actor=person, event_id=event_id, data=data)
    assert "while the event is draft" in str(draft.value)
    world.status(_organiser, event_id, "published")
    not_mine = {**data, "organisation_id": world.org(world.user())}
    with world.tx() as session, pytest.raises(PermissionDenied):
        registration.register(session, actor=person, event_id=event_id, data=not_mine)
    two = [{"kind": "offer", "title": "a"}, {"kind": "seek", "title": "b"}]
    for fields, field in [({"unavailable_slots": [11]}, "unavailable_slots"),
                          ({"opportunities": two}, "opportunities")]:  # fmt: skip
        with world.tx() as session, pytest.raises(InvalidInput) as error:
            registration.register(session, actor=person, event_id=event_id,
                                  data={**data, **fields})  # fmt: skip
        assert _field(error) == field
    with world.tx() as session:
        mine = registration.register(session, actor=person, event_id=event_id,
                                     data={**data, "unavailable_slots": [3, 1, 3]})  # fmt: skip
    assert mine.unavailable_slots == [1, 3]
    with world.tx() as session, pytest.raises(InvalidInput) as twice:
        registration.register(session, actor=person, event_id=event_id, data=data)
    assert "registered for this event already" in str(twice.value)
    with pytest.raises(InvalidInput) as full:
        world.join(event_id, kind="sme")
    assert _field(full) == "participant_type" and "full" in str(full.value)
    world.join(event_id, kind="investor")  # other types are not capped
    with world.tx() as session:
        registration.cancel_registration(session, actor=person, participant_id=mine.id)
    person_b, _b = world.join(event_id, kind="sme", unavailable=(2,))  # the place is free again
    with world.tx() as session:
        listed = registration.list_participants(session, viewer=_organiser, event_id=event_id)
    assert sorted(p.participant_type for p in listed) == ["investor", "sme"]
    with world.tx() as session:
        seen = registration.list_participants(session, viewer=person_b, event_id=event_id)
    assert {p.user_id: p.unavailable_slots for p in seen}[person_b.id] == [2]
    assert [p.unavailable_slots for p in seen if p.user_id != person_b.id] == [[]]
    assert [p.unavailable_slots for p in listed if p.user_id == person_b.id] == [[2]]
    stranger = world.user()
    with world.tx() as session, pytest.raises(PermissionDenied):
        registration.list_participants(session, viewer=stranger, event_id=event_id)


def test_drafts_are_listed_for_their_managers_only(world: EventWorld) -> None:
    organiser, draft = world.event()
    _other, published = world.event(status="published")
    _none, bare = world.event(status="draft", sessions=[], table_count=None)
    stranger, world_admin = world.user(), world.user(Role.SITE_ADMIN)
    with world.tx() as session:
        theirs = [e.id for e in events.list_events(session, viewer=stranger)]
        mine = [e.id for e in events.list_events(session, viewer=organiser)]
    assert published in theirs and draft not in theirs and bare not in theirs
    assert draft in mine and published in mine
    with world.tx() as session:  # a site admin sees every draft, those without sessions last
        every = events.list_events(session, viewer=world_admin)
    assert every[-1].id == bare and {draft, published} <= {e.id for e in every}


def test_registration_and_booking_keep_to_their_windows(world: EventWorld) -> None:
    organiser, event_id = world.event(
        status="published", registration_opens_at="2027-01-01T09:00",
        registration_closes_at="2027-03-01T09:00", booking_opens_at="2027-02-01T09:00",
    )  # fmt: skip
    person = world.user()
    data = {"organisation_id": world.org(person), "participant_type": "sme"}
    early, late = datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 3, 2, tzinfo=UTC)
    for moment, field in [(early, "registration_opens_at"), (late, "registration_closes_at")]:
        with world.tx() as session, pytest.raises(InvalidInput) as error:
            registration.register(session, actor=person, event_id=event_id, data=data,
                                  now=moment)  # fmt: skip
        assert _field(error) == field
    with world.tx() as session:
        public = events.get_event(session, event_id=event_id, viewer=None)
    # naive times are the event's local time: 09:00 in Brussels is 08:00 UTC in winter
    assert public.registration_opens_at == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
    within = datetime(2027, 1, 15, tzinfo=UTC)
    with world.tx() as session:
        me = registration.register(session, actor=person, event_id=event_id, data=data,
                                   now=within)  # fmt: skip
    assert me.status == "registered" and organiser
