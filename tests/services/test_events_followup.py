"""The follow-up questionnaire on SQLite and PostgreSQL: who is due which round and when, asking
once, answers by the meeting's participants only (corrected, not doubled), and who sees which
answers as records and counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.events import day, followup
from clusterhub.store.events import EventParticipant
from clusterhub.store.models import Notification
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world
from tests.services.test_events_day import scheduled_event

LAST_DAY_END = datetime(2027, 3, 10, 15, tzinfo=UTC)


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("followup"))


def held_event(world: EventWorld) -> tuple[UserPublic, int, list[tuple[UserPublic, int]], int, int]:
    """Two scheduled meetings, the first held and the second a no-show; the event held."""
    organiser, event_id, people, ids = scheduled_event(world)
    with world.tx() as session:
        held, missed = ids
        first = {people[0][1], people[1][1]}
        meeting = day.mark_meeting(session, actor=organiser, meeting_id=held, held=True)
        if {meeting.first_id, meeting.second_id} != first:
            held, missed = missed, held
            day.mark_meeting(session, actor=organiser, meeting_id=held, held=True)
        absent = people[2][1]
        day.mark_meeting(session, actor=organiser, meeting_id=missed, held=False,
                         no_show_id=absent)  # fmt: skip
    world.status(organiser, event_id, "held")
    return organiser, event_id, people, held, missed


def test_rounds_fall_due_and_are_asked_once(world: EventWorld) -> None:
    _organiser, event_id, people, held, _missed = held_event(world)
    with world.tx() as session:
        due = [d for d in followup.due_followups(session, now=LAST_DAY_END)
               if d.event_id == event_id]  # fmt: skip
    assert {(d.meeting_id, d.participant_id, d.round) for d in due} == {
        (held, people[0][1], "end"), (held, people[1][1], "end")}  # fmt: skip
    with world.tx() as session:
        asked = followup.ask_due(session, now=LAST_DAY_END)
    assert {(d.meeting_id, d.round) for d in asked if d.event_id == event_id} == {(held, "end")}
    with world.tx() as session:
        again = followup.due_followups(session, now=LAST_DAY_END + timedelta(days=30))
        told = session.scalars(select(Notification.user_id).where(
            Notification.kind == "event_followup")).all()  # fmt: skip
    assert [d for d in again if d.event_id == event_id] == []
    assert people[0][0].id in told and people[2][0].id not in told
    with world.tx() as session:
        later = followup.due_followups(session, now=LAST_DAY_END + followup.SIX_MONTHS)
    assert {(d.participant_id, d.round) for d in later if d.event_id == event_id} == {
        (people[0][1], "six_months"), (people[1][1], "six_months")}  # fmt: skip


def test_answers_rights_correction_and_counts(world: EventWorld) -> None:
    organiser, event_id, people, held, missed = held_event(world)
    (ana, a), (ben, _b), (cy, _c) = people[0], people[1], people[2]
    with world.tx() as session, pytest.raises(PermissionDenied):
        followup.record_outcome(session, actor=cy, meeting_id=held, round="end",
                                outcome="valuable_contact")  # fmt: skip
    with world.tx() as session, pytest.raises(InvalidInput) as scale:
        followup.record_outcome(session, actor=ana, meeting_id=held, round="end",
                                outcome="great")  # fmt: skip
    assert scale.value.problems[0].field == "outcome"
    with world.tx() as session, pytest.raises(InvalidInput) as not_held:
        followup.record_outcome(session, actor=cy, meeting_id=missed, round="end",
                                outcome="knowledge_gain")  # fmt: skip
    assert not_held.value.problems[0].field == "meeting_id"
    with world.tx() as session:
        followup.record_outcome(session, actor=ana, meeting_id=held, round="end",
                                outcome="valuable_contact", note="first")  # fmt: skip
        followup.record_outcome(session, actor=ana, meeting_id=held, round="end",
                                outcome="negotiation_started")  # fmt: skip
        followup.record_outcome(session, actor=ben, meeting_id=held, round="end",
                                outcome="agreement_reached")  # fmt: skip
    with world.tx() as session:
        mine = followup.outcomes(session, viewer=ana, event_id=event_id)
        managed = followup.outcome_counts(session, viewer=organiser, event_id=event_id)
        org_a = session.get(EventParticipant, a).organisation_id
        by_org = followup.outcomes(session, viewer=organiser, organisation_id=org_a)
        none_yet = followup.outcomes(session, viewer=organiser, event_id=event_id,
                                     until=datetime(2000, 1, 1, tzinfo=UTC))  # fmt: skip
    assert [(r.outcome, r.organisation_id) for r in mine] == [("negotiation_started", org_a)]
    assert managed == {"no_further_contact": 0, "knowledge_gain": 0, "valuable_contact": 0,
                       "negotiation_started": 1, "agreement_reached": 1}  # fmt: skip
    assert len(by_org) == 2 and none_yet == []
    admin = world.user(Role.SITE_ADMIN)
    with world.tx() as session:
        assert len(followup.outcomes(session, viewer=admin, event_id=event_id)) == 2
        assert followup.outcomes(session, viewer=cy, event_id=event_id) == []
