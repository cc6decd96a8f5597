"""The follow-up questionnaire: what came of each held meeting, asked of both participants at
the end of the event and again six months after its last day.

Answers use the established outcome scale of brokerage events (``OUTCOMES``, weakest first)
and are stored one per participant, meeting and round (``MeetingOutcome``; its ``wave`` column
is the round), with both organisations and the date, because programme KPIs (B2B meetings held,
cooperation cases, agreements reached) are counted from them by event, organisation and period.
Asking is recorded as a row without an outcome, so nobody is asked the same round twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.events import notify
from clusterhub.services.events.access import (
    find_event,
    is_manager,
    moment_of,
    registration_of,
)
from clusterhub.services.events.meetings import find_meeting, participant_name
from clusterhub.store.events import Event, EventParticipant, EventSession, Meeting, MeetingOutcome
from clusterhub.store.models import as_utc

Outcome = Literal[
    "no_further_contact",
    "knowledge_gain",
    "valuable_contact",
    "negotiation_started",
    "agreement_reached",
]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
Round = Literal["end", "six_months"]
ROUNDS: tuple[Round, ...] = get_args(Round)
#: The second round is asked this long after the event's last day.
SIX_MONTHS = timedelta(days=182)
#: The questionnaire is asked only of events that took place.
AFTER: tuple[str, ...] = ("held", "closed")
FOLLOWUP = audit.Actor.system("events-followup")


@dataclass(frozen=True)
class FollowupDue:
    """One question to ask: a participant (and its account) about one meeting in one round."""

    event_id: int
    meeting_id: int
    participant_id: int
    user_id: int
    round: Round


@dataclass(frozen=True)
class OutcomeRecord:
    """One answer, as KPIs count it."""

    event_id: int
    meeting_id: int
    participant_id: int
    organisation_id: int
    partner_organisation_id: int
    round: str
    outcome: str
    note: str
    answered_at: datetime


def last_day_end(session: Session, event_id: int) -> datetime | None:
    """When the event's last session ends (UTC)."""
    ends = session.scalars(select(EventSession.ends_at).where(EventSession.event_id == event_id))
    return max((as_utc(e) for e in ends), default=None)


def due_followups(session: Session, *, now: datetime | None = None) -> list[FollowupDue]:
    """Who should be asked what: both sides of every held meeting of a held (or closed) event,
    round ``end`` at once and ``six_months`` 182 days after the last day, unless asked before."""
    moment = moment_of(now)
    asked = {tuple(row) for row in session.execute(
        select(MeetingOutcome.meeting_id, MeetingOutcome.participant_id, MeetingOutcome.wave)
    )}  # fmt: skip
    rows = session.execute(
        select(Meeting, Event.id).join(Event, Event.id == Meeting.event_id)
        .where(Event.status.in_(AFTER), Meeting.active.is_(True), Meeting.held.is_(True))
        .order_by(Meeting.id)
    )  # fmt: skip
    ends: dict[int, datetime | None] = {}
    due: list[FollowupDue] = []
    for meeting, event_id in rows:
        if event_id not in ends:
            ends[event_id] = last_day_end(session, event_id)
        end = ends[event_id]
        late = end is not None and moment >= end + SIX_MONTHS
        rounds = [r for r in ROUNDS if r == "end" or late]
        for pid in (meeting.first_id, meeting.second_id):
            p = session.get(EventParticipant, pid)
            for r in rounds:
                if p is not None and (meeting.id, pid, r) not in asked:
                    due.append(FollowupDue(event_id, meeting.id, pid, p.user_id, r))
    return due


def ask_due(session: Session, *, now: datetime | None = None) -> list[FollowupDue]:
    """Ask every due question: record it as asked and notify the participant (the system)."""
    due = due_followups(session, now=now)
    moment = moment_of(now)
    for item in due:
        session.add(_row(session, item.meeting_id, item.participant_id, item.round, moment))
    session.flush()
    notify.followups_due(session, due)
    if due:
        audit.record(session, actor=FOLLOWUP, action="events.followups_ask",
                     entity_type="meeting_outcome", entity_id=None,
                     details={"asked": len(due)})  # fmt: skip
    return due


def _row(
    session: Session, meeting_id: int, participant_id: int, round: str, asked_at: datetime
) -> MeetingOutcome:
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    partner_id = meeting.second_id if participant_id == meeting.first_id else meeting.first_id
    mine, partner = (session.get(EventParticipant, i) for i in (participant_id, partner_id))
    assert mine is not None and partner is not None
    return MeetingOutcome(event_id=meeting.event_id, meeting_id=meeting.id,
                          participant_id=participant_id, organisation_id=mine.organisation_id,
                          partner_organisation_id=partner.organisation_id, wave=round,
                          asked_at=asked_at, details={})  # fmt: skip


def record_outcome(
    session: Session,
    *,
    actor: UserPublic | None,
    meeting_id: int,
    round: str,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> OutcomeRecord:
    """A participant's answer about a held meeting (one per meeting and round; answering
    again corrects it)."""
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    meeting = find_meeting(session, meeting_id)
    event = find_event(session, meeting.event_id)
    mine = registration_of(session, user.id, event.id)
    if mine is None or mine.id not in (meeting.first_id, meeting.second_id):
        raise PermissionDenied("only the meeting's participants answer its follow-up")
    if round not in ROUNDS:
        raise InvalidInput.single(f"the round is one of {', '.join(ROUNDS)}", field="round",
                                  value=round)  # fmt: skip
    if outcome not in OUTCOMES:
        raise InvalidInput.single(f"the outcome is one of {', '.join(OUTCOMES)}",
                                  field="outcome", value=outcome)  # fmt: skip
    if len(note) > 2000:
        raise InvalidInput.single("at most 2000 characters", field="note")
    if event.status not in AFTER or meeting.held is not True or not meeting.active:
        raise InvalidInput.single("only a held meeting of a held event has a follow-up",
                                  field="meeting_id", value=str(meeting_id))  # fmt: skip
    moment = moment_of(now)
    row = session.scalar(select(MeetingOutcome).where(
        MeetingOutcome.meeting_id == meeting.id, MeetingOutcome.participant_id == mine.id,
        MeetingOutcome.wave == round))  # fmt: skip
    if row is None:
        row = _row(session, meeting.id, mine.id, round, moment)
        session.add(row)
    row.outcome, row.answered_at, row.details = outcome, moment, {"note": note}
    session.flush()
    audit.record(session, actor_id=user.id, action="events.outcome",
                 entity_type="meeting", entity_id=meeting.id,
                 details={"round": round, "outcome": outcome})  # fmt: skip
    return _record(row)


def _record(row: MeetingOutcome) -> OutcomeRecord:
    assert row.outcome is not None and row.answered_at is not None
    return OutcomeRecord(row.event_id, row.meeting_id, row.participant_id, row.organisation_id,
                         row.partner_organisation_id, row.wave, row.outcome,
                         str(row.details.get("note", "")), as_utc(row.answered_at))  # fmt: skip


def outcomes(
    session: Session,
    *,
    viewer: UserPublic | None,
    event_id: int | None = None,
    organisation_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[OutcomeRecord]:
    """The answers ``viewer`` may see (its own; its events' as a manager; all as site admin),
    filtered by event, organisation (either side) and answer date (``since`` ≤ date < ``until``)."""
    if viewer is None:
        raise PermissionDenied("sign in to see follow-up answers")
    query = select(MeetingOutcome).where(MeetingOutcome.outcome.is_not(None))
    if event_id is not None:
        query = query.where(MeetingOutcome.event_id == event_id)
    if organisation_id is not None:
        either = or_(
            MeetingOutcome.organisation_id == organisation_id,
            MeetingOutcome.partner_organisation_id == organisation_id,
        )
        query = query.where(either)
    if since is not None:
        query = query.where(MeetingOutcome.answered_at >= moment_of(since))
    if until is not None:
        query = query.where(MeetingOutcome.answered_at < moment_of(until))
    rows = list(session.scalars(query.order_by(MeetingOutcome.answered_at, MeetingOutcome.id)))
    if Role(viewer.role) is not Role.SITE_ADMIN:
        managed: dict[int, bool] = {}
        own = set(session.scalars(select(EventParticipant.id).where(
            EventParticipant.user_id == viewer.id)))  # fmt: skip
        for row in rows:
            if row.event_id not in managed:
                event = find_event(session, row.event_id)
                managed[row.event_id] = is_manager(session, viewer, event)
        rows = [r for r in rows if managed[r.event_id] or r.participant_id in own]
    return [_record(r) for r in rows]


def outcome_counts(
    session: Session,
    *,
    viewer: UserPublic | None,
    event_id: int | None = None,
    organisation_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """How many visible answers fall on each step of the scale (every step named, 0 too)."""
    seen = Counter(r.outcome for r in outcomes(session, viewer=viewer, event_id=event_id,
                   organisation_id=organisation_id, since=since, until=until))  # fmt: skip
    return {o: seen[o] for o in OUTCOMES}


@dataclass(frozen=True)
class Answer:
    """One round of one meeting's questionnaire, as its participant sees it."""

    round: Round
    asked: bool
    outcome: str | None
    note: str


@dataclass(frozen=True)
class FollowupItem:
    """A held meeting of the viewer's, with the partner and each round open to answer."""

    meeting_id: int
    slot: int | None
    partner_name: str
    partner_organisation_id: int
    answers: tuple[Answer, ...]


def my_followups(
    session: Session, *, viewer: UserPublic | None, event_id: int, now: datetime | None = None
) -> list[FollowupItem]:
    """The viewer's held meetings of the event with the rounds they may answer: the end round
    once the event is held, the six-month round once it is due (or was asked); in slot order."""
    if viewer is None:
        raise PermissionDenied("sign in to answer the follow-up")
    event = find_event(session, event_id)
    mine = registration_of(session, viewer.id, event.id)
    if mine is None:
        raise PermissionDenied("the follow-up is for the event's participants")
    if event.status not in AFTER:
        return []
    end = last_day_end(session, event.id)
    late = end is not None and moment_of(now) >= end + SIX_MONTHS
    rows = {(r.meeting_id, r.wave): r for r in session.scalars(
        select(MeetingOutcome).where(MeetingOutcome.participant_id == mine.id))}  # fmt: skip
    held = session.scalars(
        select(Meeting).where(Meeting.event_id == event.id, Meeting.active.is_(True),
                              Meeting.held.is_(True),
                              or_(Meeting.first_id == mine.id, Meeting.second_id == mine.id))
        .order_by(Meeting.slot, Meeting.id)
    )  # fmt: skip
    items = []
    for meeting in held:
        partner = session.get(EventParticipant, meeting.second_id if meeting.first_id == mine.id
                              else meeting.first_id)  # fmt: skip
        assert partner is not None
        answers = []
        for r in ROUNDS:
            row = rows.get((meeting.id, r))
            if r == "end" or late or row is not None:
                answers.append(Answer(r, row is not None, row.outcome if row else None,
                                      str(row.details.get("note", "")) if row else ""))  # fmt: skip
        items.append(FollowupItem(meeting.id, meeting.slot, participant_name(session, partner.id),
                                  partner.organisation_id, tuple(answers)))  # fmt: skip
    return items


def counts_by_round(
    session: Session, *, viewer: UserPublic | None, event_id: int
) -> dict[str, dict[str, int]]:
    """Per round, how many visible answers fall on each step of the scale (0 too): what the
    organiser's dashboard shows."""
    seen = Counter((r.round, r.outcome) for r in outcomes(session, viewer=viewer,
                                                          event_id=event_id))  # fmt: skip
    return {r: {o: seen[(r, o)] for o in OUTCOMES} for r in ROUNDS}
