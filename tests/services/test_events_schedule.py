"""Schedule runs on SQLite and PostgreSQL: a small event scheduled end to end and re-checked by
the independent validator, re-scheduling that keeps published meetings, a run refused when
the event changed while it solved, and a failed run that changes nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from clusterhub.errors import Conflict, InvalidInput, PermissionDenied
from clusterhub.scheduling.validate import check
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events import agenda, meetings, precedences, registration, requests
from clusterhub.store.events import Event, Meeting, ScheduleRun
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world

LIMIT = 20.0


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("schedule"))


def _small_event(world: EventWorld) -> tuple[UserPublic, int, list[tuple[UserPublic, int]]]:
    """Four participants (the first unavailable in slots 1-2) and five accepted meetings, one
    of them mutual; booking closed."""
    organiser, event_id = world.event(status="published")
    people = [world.join(event_id, unavailable=(1, 2)), *(world.join(event_id) for _ in range(3))]
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)]
    with world.tx() as session:
        for x, y in pairs:
            sent = requests.send_request(session, actor=people[x][0], event_id=event_id,
                                         receiver_id=people[y][1])  # fmt: skip
            requests.accept_request(session, actor=people[y][0], request_id=sent.id)
        requests.send_request(session, actor=people[3][0], event_id=event_id,
                              receiver_id=people[1][1])  # fmt: skip
        requests.send_request(session, actor=people[1][0], event_id=event_id,
                              receiver_id=people[3][1])  # mutual  # fmt: skip
    world.status(organiser, event_id, "booking_closed")
    return organiser, event_id, people


def _placements(world: EventWorld, event_id: int) -> dict[int, tuple[Any, Any, Any]]:
    with world.tx() as session:
        rows = session.scalars(select(Meeting).where(Meeting.event_id == event_id))
        return {m.id: (m.slot, m.table_id, m.status) for m in rows}


def _runs(world: EventWorld, event_id: int) -> int:
    with world.tx() as session:
        count = session.scalar(
            select(func.count()).select_from(ScheduleRun).where(ScheduleRun.event_id == event_id)
        )
        return count or 0


def test_a_small_event_is_scheduled_end_to_end_and_valid(world: EventWorld) -> None:
    organiser, event_id, people = _small_event(world)
    with pytest.raises(PermissionDenied):
        agenda.run_schedule(world.factory, actor=people[0][0], event_id=event_id,
                            time_limit=LIMIT)  # fmt: skip
    run = agenda.run_schedule(world.factory, actor=organiser, event_id=event_id,
                              time_limit=LIMIT)  # fmt: skip
    assert (run.status, run.meetings, run.scheduled, run.breaks, run.bound) == (
        "optimal", 6, 6, 0, 0)  # fmt: skip
    with world.tx() as session:
        prepared = agenda.instance_for(session, event_id=event_id)
        event = session.get(Event, event_id)
        assert event is not None and event.status == "scheduled"
        stored = [session.get(Meeting, mid) for mid in prepared.meeting_ids]
        mine = agenda.agenda_of(session, viewer=people[0][0], event_id=event_id)
        latest = agenda.latest_run(session, viewer=organiser, event_id=event_id)
    slots = [m.slot if m else None for m in stored]
    tables = [prepared.table_ids.index(m.table_id) + 1 if m and m.table_id else None
              for m in stored]  # fmt: skip
    result = check(prepared.instance, slots, tables)
    assert result.valid, result.violations
    assert result.unscheduled == () and result.total_breaks == run.breaks
    assert [item.slot for item in mine] == sorted(item.slot for item in mine)
    assert len(mine) == 3 and all(item.slot > 2 for item in mine)  # unavailable in 1-2
    assert mine[0].local_start.startswith("2027-03-10T") and mine[0].table.startswith("Table")
    assert latest is not None and latest.id == run.id
    with world.tx() as session, pytest.raises(PermissionDenied):
        agenda.agenda_of(session, viewer=organiser, event_id=event_id)  # not a participant
    with world.tx() as session:
        plan = agenda.table_plan(session, viewer=organiser, event_id=event_id)
        own = registration.my_registration(session, viewer=people[0][0], event_id=event_id)
    assert len(plan) == 10 * 2 and sum(row.meeting_id is not None for row in plan) == 6
    assert {row.meeting_id for row in plan if row.meeting_id} == set(prepared.meeting_ids)
    assert own is not None and own.id == people[0][1]
    with world.tx() as session, pytest.raises(PermissionDenied):
        agenda.table_plan(session, viewer=people[0][0], event_id=event_id)


def test_rescheduling_keeps_published_meetings_where_they_are(world: EventWorld) -> None:
    organiser, event_id, people = _small_event(world)
    agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=LIMIT)
    published = _placements(world, event_id)
    world.status(organiser, event_id, "published")  # booking reopened for late requests
    with world.tx() as session:
        mine = agenda.agenda_of(session, viewer=people[1][0], event_id=event_id)
    with world.tx() as session, pytest.raises(InvalidInput) as clash:  # a published slot
        registration.update_registration(
            session, actor=people[1][0], participant_id=people[1][1],
            data={"participant_type": "sme", "unavailable_slots": [mine[0].slot]},
        )  # fmt: skip
    assert clash.value.problems[0].field == "unavailable_slots"
    late, late_id = world.join(event_id)
    with world.tx() as session:
        sent = requests.send_request(session, actor=late, event_id=event_id,
                                     receiver_id=people[0][1])  # fmt: skip
        requests.accept_request(session, actor=people[0][0], request_id=sent.id)
        added = meetings.add_meeting(session, actor=organiser, event_id=event_id,
                                     first_id=late_id, second_id=people[2][1],
                                     rules={"priority": False})  # fmt: skip
    with world.tx() as session, pytest.raises(InvalidInput):  # the pair meets already
        meetings.add_meeting(session, actor=organiser, event_id=event_id,
                             first_id=people[1][1], second_id=people[0][1])  # fmt: skip
    assert added.slot is None
    world.status(organiser, event_id, "booking_closed")
    run = agenda.run_schedule(world.factory, actor=organiser, event_id=event_id,
                              time_limit=LIMIT)  # fmt: skip
    after = _placements(world, event_id)
    assert run.moved == 0 and run.meetings == 8 and run.scheduled == 8
    assert {k: v for k, v in after.items() if k in published} == published


def test_a_change_between_read_and_write_refuses_the_run(world: EventWorld) -> None:
    organiser, event_id, people = _small_event(world)
    before = _placements(world, event_id)
    with world.factory() as session:
        prepared = agenda.prepare_run(session, actor=organiser, event_id=event_id)
    result = agenda.solve_run(prepared, time_limit=LIMIT)
    assert result.scheduled == len(prepared.meeting_ids)
    with world.tx() as session:  # the organiser cancels a meeting meanwhile
        meetings.cancel_meeting(session, actor=organiser, meeting_id=prepared.meeting_ids[0])
    changed = _placements(world, event_id)
    with pytest.raises(Conflict) as refused, world.tx() as session:
        agenda.store_run(session, actor=organiser, prepared=prepared, result=result,
                         time_limit=LIMIT, fairness=None)  # fmt: skip
    assert "changed while the scheduler ran" in str(refused.value)
    assert refused.value.details and refused.value.details["read_version"] == prepared.version
    assert _placements(world, event_id) == changed
    assert all(slot is None for slot, _t, _s in changed.values()) and len(before) == len(changed)
    assert _runs(world, event_id) == 0
    with world.tx() as session:
        event = session.get(Event, event_id)
        assert event is not None and event.status == "booking_closed"
    assert people


def test_a_failed_run_changes_nothing(world: EventWorld) -> None:
    organiser, event_id, people = _small_event(world)
    with world.tx() as session:
        mine = meetings.list_meetings(session, viewer=people[2][0], event_id=event_id)
        for meeting, table in zip(mine[:2], (1, 2), strict=True):  # participant 2 twice in 5
            meetings.set_meeting_rules(session, actor=organiser, meeting_id=meeting.id,
                                       rules={"fixed_slot": 5, "fixed_table": table})  # fmt: skip
    with world.tx() as session:
        version = session.get(Event, event_id).version  # type: ignore[union-attr]
    before = _placements(world, event_id)
    with pytest.raises(InvalidInput) as failed:
        agenda.run_schedule(world.factory, actor=organiser, event_id=event_id,
                            time_limit=LIMIT)  # fmt: skip
    assert failed.value.problems[0].field == "meetings", str(failed.value)
    assert _placements(world, event_id) == before
    assert _runs(world, event_id) == 0
    with world.tx() as session:
        event = session.get(Event, event_id)
        assert event is not None and (event.status, event.version) == ("booking_closed", version)


def test_a_run_needs_booking_closed_and_meetings(world: EventWorld) -> None:
    organiser, event_id = world.event(status="published")
    with pytest.raises(InvalidInput) as early:
        agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=LIMIT)
    assert "while the event is published" in str(early.value)
    world.status(organiser, event_id, "booking_closed")
    with pytest.raises(InvalidInput) as empty:
        agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=LIMIT)
    assert empty.value.problems[0].field == "meetings"


def test_two_runs_cannot_mix(world: EventWorld) -> None:
    organiser, event_id, _people = _small_event(world)
    solved = []
    for _ in range(2):
        with world.factory() as session:
            prepared = agenda.prepare_run(session, actor=organiser, event_id=event_id)
        solved.append((prepared, agenda.solve_run(prepared, time_limit=LIMIT)))
    with world.tx() as session:
        first = agenda.store_run(session, actor=organiser, prepared=solved[0][0],
                                 result=solved[0][1], time_limit=LIMIT, fairness=None)  # fmt: skip
    stored = _placements(world, event_id)
    with pytest.raises(Conflict), world.tx() as session:
        agenda.store_run(session, actor=organiser, prepared=solved[1][0], result=solved[1][1],
                         time_limit=LIMIT, fairness=None)  # fmt: skip
    assert _placements(world, event_id) == stored and _runs(world, event_id) == 1
    assert first.scheduled == len(stored)


def test_a_change_committed_while_the_run_waits_for_the_lock_refuses_it(world: EventWorld) -> None:
    """The write re-reads the event under its lock (FOR UPDATE on PostgreSQL, the writer lock
    on SQLite): a change still open when the run starts writing is seen once committed."""
    organiser, event_id, _people = _small_event(world)
    with world.factory() as session:
        prepared = agenda.prepare_run(session, actor=organiser, event_id=event_id)
    result = agenda.solve_run(prepared, time_limit=LIMIT)
    outcome: list[BaseException | None] = []

    def store() -> None:
        try:
            with world.tx() as session:
                agenda.store_run(session, actor=organiser, prepared=prepared, result=result,
                                 time_limit=LIMIT, fairness=None)  # fmt: skip
            outcome.append(None)
        except BaseException as error:  # reported to the test below
            outcome.append(error)

    with world.tx() as session:  # a change that holds the event row until it commits
        meetings.cancel_meeting(session, actor=organiser, meeting_id=prepared.meeting_ids[-1])
        session.flush()
        writer = threading.Thread(target=store)
        writer.start()
        time.sleep(0.5)  # let the run reach the lock (it waits there either way)
    writer.join()
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    assert all(slot is None for slot, _t, _s in _placements(world, event_id).values())
    assert _runs(world, event_id) == 0


def test_unplaced_meetings_keep_their_reason_with_names(world: EventWorld) -> None:
    one_hour = [{"date": "2027-03-11", "start": "09:00", "end": "10:00", "slot_minutes": 30}]
    organiser, event_id = world.event(status="published", sessions=one_hour, table_count=1)
    people = [world.join(event_id) for _ in range(3)]
    with world.tx() as session:
        for x, y in [(0, 1), (0, 2), (1, 2)]:  # a triangle: two slots hold only two
            meetings.add_meeting(session, actor=organiser, event_id=event_id,
                                 first_id=people[x][1], second_id=people[y][1],
                                 rules={"priority": x == 0})  # fmt: skip
    world.status(organiser, event_id, "booking_closed")
    run = agenda.run_schedule(world.factory, actor=organiser, event_id=event_id,
                              time_limit=LIMIT)  # fmt: skip
    assert (run.meetings, run.scheduled, run.status) == (3, 2, "optimal")
    with world.tx() as session:
        prepared = agenda.instance_for(session, event_id=event_id)
        stored = [session.get(Meeting, mid) for mid in prepared.meeting_ids]
    left = [m.id for m in stored if m is not None and m.slot is None]
    assert list(run.reasons) == left and len(left) == 1
    assert "Org " in run.reasons[left[0]] and "participant" not in run.reasons[left[0]]
    assert stored[0] is not None and stored[0].slot is not None  # priority first
    slots = [m.slot if m else None for m in stored]
    assert check(prepared.instance, slots).valid


def test_locked_and_fixed_meetings_reach_the_solver(world: EventWorld) -> None:
    organiser, event_id, people = _small_event(world)
    with world.tx() as session:
        mine = meetings.list_meetings(session, viewer=people[0][0], event_id=event_id)
    with world.tx() as session, pytest.raises(InvalidInput) as unplaced:
        meetings.set_meeting_rules(session, actor=organiser, meeting_id=mine[0].id,
                                   rules={"locked": True})  # fmt: skip
    assert unplaced.value.problems[0].field == "locked"
    with world.tx() as session, pytest.raises(PermissionDenied):
        meetings.set_meeting_rules(session, actor=people[0][0], meeting_id=mine[0].id,
                                   rules={"fixed_slot": 4})  # fmt: skip
    with world.tx() as session, pytest.raises(InvalidInput) as away:  # people[0]: not in 1-2
        meetings.set_meeting_rules(session, actor=organiser, meeting_id=mine[0].id,
                                   rules={"fixed_slot": 2})  # fmt: skip
    assert away.value.problems[0].field == "fixed_slot" and "not available" in str(away.value)
    with world.tx() as session:
        meetings.set_meeting_rules(session, actor=organiser, meeting_id=mine[1].id,
                                   rules={"fixed_slot": 4, "fixed_table": 2,
                                          "priority": True})  # fmt: skip
    agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=LIMIT)
    placed = _placements(world, event_id)
    with world.tx() as session:
        meetings.set_meeting_rules(session, actor=organiser, meeting_id=mine[0].id,
                                   rules={"locked": True})  # fmt: skip
        prepared = agenda.instance_for(session, event_id=event_id)
        shown = {m.id: m for m in meetings.list_meetings(session, viewer=organiser,
                                                         event_id=event_id)}  # fmt: skip
    locked = prepared.instance.meetings[prepared.meeting_ids.index(mine[0].id)]
    fixed = prepared.instance.meetings[prepared.meeting_ids.index(mine[1].id)]
    assert (locked.fixed_slot, locked.required) == (placed[mine[0].id][0], True)
    assert (fixed.fixed_slot, fixed.fixed_table, fixed.priority) == (4, 2, True)
    assert (shown[mine[1].id].slot, shown[mine[1].id].table) == (4, 2)
    assert prepared.previous  # the published schedule is handed to the next run


def test_the_order_of_meetings_refuses_cycles_and_reaches_the_schedule(world: EventWorld) -> None:
    organiser, event_id, people = _small_event(world)
    with world.tx() as session:
        ids = [m.id for m in meetings.list_meetings(session, viewer=organiser, event_id=event_id)]
    a, b, c = ids[:3]
    with world.tx() as session:
        shown = precedences.add_precedence(session, actor=organiser, before_id=a, after_id=b)
        precedences.add_precedence(session, actor=organiser, before_id=b, after_id=c)
    assert shown.before.startswith(f"meeting {a} (") and " and " in shown.after
    with world.tx() as session, pytest.raises(InvalidInput) as cycle:
        precedences.add_precedence(session, actor=organiser, before_id=c, after_id=a)
    assert cycle.value.problems[0].field == "after_id"
    assert f"meeting {a} before meeting {b} before meeting {c} before meeting {a}" in str(
        cycle.value
    )
    with world.tx() as session, pytest.raises(PermissionDenied):
        precedences.list_precedences(session, viewer=people[0][0], event_id=event_id)
    with world.tx() as session, pytest.raises(PermissionDenied):
        precedences.add_precedence(session, actor=people[0][0], before_id=c, after_id=a)
    with world.tx() as session:
        precedences.remove_precedence(session, actor=organiser, before_id=b, after_id=c)
        rules = precedences.list_precedences(session, viewer=organiser, event_id=event_id)
    assert [(r.before_id, r.after_id) for r in rules] == [(a, b)]
    agenda.run_schedule(world.factory, actor=organiser, event_id=event_id, time_limit=LIMIT)
    placed = _placements(world, event_id)
    assert placed[a][0] < placed[b][0]  # the rule held in the published schedule
    with world.tx() as session:
        prepared = agenda.instance_for(session, event_id=event_id)
    index = prepared.meeting_ids.index
    assert prepared.instance.precedences == ((index(a), index(b)),)
