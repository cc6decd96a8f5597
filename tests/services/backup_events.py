"""A matchmaking event with a row in every events table, for the backup round trips
(``backup_content``): awkward text, JSON lists and maps, nullable flags, UTC timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from clusterhub.store.events import (
    Event,
    EventAdmin,
    EventOpportunity,
    EventParticipant,
    EventSession,
    EventTable,
    Meeting,
    MeetingOutcome,
    MeetingPrecedence,
    MeetingRequest,
    ScheduleRun,
    UnscheduledMeeting,
)


def add_event(
    session: Session,
    *,
    organiser_id: int,
    admin_id: int,
    member_id: int,
    org_ids: list[int],
    when: datetime,
    text: str,
) -> None:
    """One scheduled event of three participants, two meetings (one left out by the run)."""
    event = Event(title="Brokerage «Łódź»", description=text, organiser_id=organiser_id,
                  mode="hybrid", venue=None, time_zone="Europe/Warsaw",
                  booking_closes_at=when, request_mode="opt_in", request_expiry_hours=48,
                  max_meetings=None, type_caps={"sme": 10}, status="scheduled", version=7,
                  created_by=admin_id, created_at=when, updated_at=when)  # fmt: skip
    session.add(event)
    session.flush()
    table = EventTable(event_id=event.id, position=1, name="Salle Ærø", capacity=2)
    session.add_all([
        EventSession(event_id=event.id, starts_at=when, ends_at=when + timedelta(hours=3),
                     slot_minutes=20, kind="morning"),
        EventAdmin(event_id=event.id, user_id=member_id, added_at=when), table,
    ])  # fmt: skip
    people = [
        EventParticipant(event_id=event.id, user_id=user, organisation_id=org,
                         participant_type="sme", offer=text, seek="", unavailable_slots=slots,
                         status=status, active=active, registered_at=when)
        for user, org, slots, status, active in [
            (admin_id, org_ids[0], [1, 5], "registered", True),
            (member_id, org_ids[1], [], "checked_in", True),
            (member_id, org_ids[2], [], "cancelled", None),
        ]
    ]  # fmt: skip
    session.add_all([table, *people])
    session.flush()
    a, b, c = (p.id for p in people)
    request = MeetingRequest(event_id=event.id, sender_id=a, receiver_id=b, message=text,
                             status="accepted", mutual=True, open_pair=True, sent_at=when,
                             expires_at=when + timedelta(hours=48), answered_at=when)  # fmt: skip
    session.add_all([EventOpportunity(participant_id=a, kind="offer", title="Pilot line",
                                      description=text), request])  # fmt: skip
    session.flush()
    held = Meeting(event_id=event.id, first_id=a, second_id=b, request_id=request.id,
                   origin="mutual", priority=True, session_kind="any", locked=True, slot=2,
                   table_id=table.id, status="active", active=True, held=True,
                   created_at=when)  # fmt: skip
    left = Meeting(event_id=event.id, first_id=a, second_id=c, origin="organiser",
                   priority=False, session_kind="morning", fixed_slot=None, status="cancelled",
                   active=None, created_at=when, cancelled_at=when)  # fmt: skip
    run = ScheduleRun(event_id=event.id, user_id=admin_id, actor=f"user:{admin_id}", at=when,
                      solver="CP-SAT", status="optimal", meetings=2, scheduled=1, breaks=0,
                      bound=0, gap=0.0, seconds=0.123456789, moved=0, time_limit=60.0,
                      fairness=2, event_version=6)  # fmt: skip
    session.add_all([held, left, run])
    session.flush()
    session.add_all([
        MeetingPrecedence(before_id=held.id, after_id=left.id),
        UnscheduledMeeting(run_id=run.id, meeting_id=left.id, reason=text),
        MeetingOutcome(event_id=event.id, meeting_id=held.id, participant_id=a,
                       organisation_id=org_ids[0], partner_organisation_id=org_ids[1],
                       wave="end", outcome="valuable_contact", asked_at=when, answered_at=when,
                       details={"note": text, "scores": [1, 2.5, None]}),
    ])  # fmt: skip
