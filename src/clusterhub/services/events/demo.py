"""A complete SYNTHETIC brokerage event, so a newcomer sees what an event looks like in full.

Built once, on the first start that loads the demo directory (``services.bootstrap``), or by
``clusterhub events demo``; removed by ``clusterhub events demo --remove``. It is made from the
synthetic directory profiles (``clusterhub.demo``) through the real use cases, in the caller's
transaction, on a timeline two weeks back: synthetic accounts register, send and answer
requests (accepted, declined, withdrawn, expired, mutual), the organiser adds a fixed meeting
and an order of meetings, the real scheduler places the meetings, the desk checks people in
and records meetings held or missed, and participants answer the follow-up.

Everything says it is synthetic: the event's ``synthetic`` flag (a banner on its pages), its
title and description, the accounts' names and their ``synthetic.example.org`` addresses
(RFC 2606: no real mailbox). The accounts get random passwords nobody knows, so nobody logs in
as them; ``clusterhub events demo --admin EMAIL`` lets an existing account manage the event.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services import audit
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import UserPublic, normalise_email
from clusterhub.services.events import (
    agenda,
    day,
    events,
    followup,
    meetings,
    precedences,
    registration,
    requests,
)
from clusterhub.store.events import Event, EventAdmin, Meeting
from clusterhub.store.models import Organisation, OrganisationAdmin, User

TITLE = "[Synthetic demo] Baltic Sea Batteries and Circularity Brokerage"
DESCRIPTION = (
    "Synthetic demo event (not a real event): every organisation, person, request, meeting "
    "and answer here was generated to show how clusterhub runs a brokerage event, from "
    "registration to the follow-up."
)
DOMAIN = "synthetic.example.org"
ZONE = "Europe/Riga"
PARTICIPANTS = 30
TYPES = ("sme", "sme", "research", "cluster_organisation", "university", "large_company",
         "investor", "public_body")  # fmt: skip
TOPICS = ("battery cell testing", "lithium recycling", "pilot production lines",
          "battery management software", "second-life storage", "cathode materials",
          "circular design", "grid storage integration", "hydrogen storage", "sensor analytics",
          "certification and safety testing", "venture funding for cleantech")  # fmt: skip
#: The follow-up answers drawn, weakest first (most meetings end at a contact).
OUTCOME_WEIGHTS = (0.2, 0.3, 0.3, 0.15, 0.05)
DEMO_ACTOR = audit.Actor.system("events-demo")
Clock = Callable[..., datetime]


@dataclass(frozen=True)
class DemoReport:
    """What was built."""

    event_id: int
    participants: int
    requests: int
    meetings: int
    scheduled: int
    held: int
    answers: int


@dataclass(frozen=True)
class _Person:
    user: UserPublic
    participant_id: int


def demo_event_id(session: Session) -> int | None:
    """The synthetic demo event's id, if there is one."""
    found = select(Event.id).where(Event.synthetic.is_(True), Event.title == TITLE)
    return session.scalar(found)


def build_demo_event(
    session: Session, *, now: datetime | None = None, seed: int = 13, time_limit: float = 10.0
) -> DemoReport | None:
    """Build the demo event from the synthetic profiles, in the caller's transaction; None when
    it exists already or there are too few synthetic profiles (``clusterhub directory demo``)."""
    if demo_event_id(session) is not None:
        return None
    query = select(Organisation).where(Organisation.is_synthetic.is_(True))
    profiles = list(session.scalars(query.order_by(Organisation.id).limit(PARTICIPANTS + 1)))
    if len(profiles) < PARTICIPANTS + 1:
        return None
    rng = random.Random(seed)
    event_day = (now or datetime.now(UTC)).astimezone(ZoneInfo(ZONE)).date() - timedelta(days=14)
    at = _clock(event_day)
    organiser = _account(session, "organiser", "Synthetic organiser", profiles[0].id)
    event_id = _create(session, organiser, profiles[0].id, event_day, at)
    people = _register(session, event_id, profiles[1:], rng, at)
    sent = _requests(session, event_id, people, rng, at)
    _organiser_rules(session, organiser, event_id, people)
    events.change_status(session, actor=organiser, event_id=event_id, status="booking_closed")
    prepared = agenda.prepare_run(session, actor=DEMO_ACTOR, event_id=event_id)
    result = agenda.solve_run(prepared, time_limit=time_limit)
    run = agenda.store_run(session, actor=DEMO_ACTOR, prepared=prepared, result=result,
                           time_limit=time_limit, fairness=None)  # fmt: skip
    held = _the_day(session, organiser, event_id, people, rng=rng, morning=at(0, time(8, 40)))
    events.change_status(session, actor=organiser, event_id=event_id, status="held")
    answers = _followup(session, event_id, people, rng, at)
    audit.record(session, actor=DEMO_ACTOR, action="events.demo", entity_type="event",
                 entity_id=event_id, details={"participants": len(people)})  # fmt: skip
    return DemoReport(event_id, len(people), sent, run.meetings, run.scheduled, held, answers)


def remove_demo_event(session: Session, *, by: audit.Actor) -> bool:
    """Delete the demo event and its synthetic accounts (``by`` the operator); whether there
    was one."""
    event_id = demo_event_id(session)
    if event_id is None:
        return False
    session.execute(delete(Event).where(Event.id == event_id))
    accounts = select(User.id).where(User.email.like(f"%@{DOMAIN}"))
    session.execute(delete(OrganisationAdmin).where(OrganisationAdmin.user_id.in_(accounts)))
    session.execute(delete(User).where(User.email.like(f"%@{DOMAIN}")))
    audit.record(session, actor=by, action="events.demo_remove", entity_type="event",
                 entity_id=event_id)  # fmt: skip
    return True


def add_demo_admin(session: Session, *, email: str, by: audit.Actor) -> list[str]:
    """Let an existing account manage the demo event, to see its desk, dashboard and plan (the
    operator's choice: nobody can log in as the synthetic organiser)."""
    event_id = demo_event_id(session)
    if event_id is None:
        raise NotFound("there is no synthetic demo event: `clusterhub events demo` builds it")
    chosen = session.scalar(select(User).where(User.email == normalise_email(email)))
    if chosen is None:
        raise InvalidInput.single("no account with this e-mail", field="email", value=email)
    if session.get(EventAdmin, {"event_id": event_id, "user_id": chosen.id}) is None:
        session.add(EventAdmin(event_id=event_id, user_id=chosen.id))
    audit.record(session, actor=by, action="events.add_admin", entity_type="event",
                 entity_id=event_id, details={"user_id": chosen.id})  # fmt: skip
    return events.event_admins(session, event_id)


def _clock(event_day: date) -> Clock:
    """``at(days, local_time)``: a moment ``days`` from the event's day, in its zone, as UTC."""
    zone = ZoneInfo(ZONE)

    def at(days: int, when: time = time(10, 0)) -> datetime:
        local = datetime.combine(event_day + timedelta(days=days), when, tzinfo=zone)
        return local.astimezone(UTC)

    return at


def _account(session: Session, slug: str, name: str, organisation_id: int) -> UserPublic:
    """A synthetic account nobody can log in to, admin of the synthetic profile it speaks for."""
    user = users.create_user(session, email=f"{slug}@{DOMAIN}", display_name=name,
                             password=secrets.token_urlsafe(24), by=DEMO_ACTOR)  # fmt: skip
    session.add(OrganisationAdmin(organisation_id=organisation_id, user_id=user.id))
    session.flush()
    return user


def _create(
    session: Session, organiser: UserPublic, organiser_id: int, event_day: date, at: Clock
) -> int:
    block = {"date": event_day.isoformat(), "slot_minutes": 20}
    data = {
        "title": TITLE, "description": DESCRIPTION, "organiser_id": organiser_id,
        "mode": "venue", "venue": "Synthetic venue (demo), Riga", "time_zone": ZONE,
        "registration_opens_at": at(-40), "registration_closes_at": at(-5),
        "booking_opens_at": at(-30), "booking_closes_at": at(-3),
        "request_mode": "opt_in", "request_expiry_hours": 72, "max_meetings": 8,
        "sessions": [{**block, "start": "09:00", "end": "12:20"},
                     {**block, "start": "14:00", "end": "16:00"}],
        "table_count": 10,
    }  # fmt: skip
    event_id = events.create_event(session, actor=organiser, data=data).id
    stored = session.get(Event, event_id)
    assert stored is not None
    stored.synthetic = True
    events.change_status(session, actor=organiser, event_id=event_id, status="published")
    return event_id


def _register(
    session: Session, event_id: int, profiles: list[Organisation], rng: random.Random, at: Clock
) -> list[_Person]:
    people = []
    for n, profile in enumerate(profiles, start=1):
        user = _account(session, f"participant-{n:02d}", f"Synthetic participant {n:02d}",
                        profile.id)  # fmt: skip
        offer, seek = rng.sample(TOPICS, 2), rng.choice(TOPICS)
        data = {
            "organisation_id": profile.id, "participant_type": TYPES[n % len(TYPES)],
            "offer": f"{offer[0].capitalize()} and {offer[1]} for battery value chains.",
            "seek": f"Partners in {seek} for a joint pilot.",
            "opportunities": [{"kind": "offer", "title": f"Open test bed: {offer[0]}"}],
            "unavailable_slots": [16] if n % 7 == 0 else [],
        }  # fmt: skip
        mine = registration.register(session, actor=user, event_id=event_id, data=data,
                                     now=at(-30 + n % 10))  # fmt: skip
        people.append(_Person(user, mine.id))
    return people


def _requests(
    session: Session, event_id: int, people: list[_Person], rng: random.Random, at: Clock
) -> int:
    """About four requests each, answered in every way; the unanswered expire."""
    pairs: set[frozenset[int]] = set()
    accepted = {p.participant_id: 0 for p in people}
    sent = 0
    for k, sender in enumerate(people):
        others = [p for p in people if p is not sender]
        for receiver in rng.sample(others, 4):
            pair = frozenset((sender.participant_id, receiver.participant_id))
            full = max(accepted[sender.participant_id], accepted[receiver.participant_id]) >= 6
            if pair in pairs or full:
                continue
            pairs.add(pair)
            when = at(-25 + k % 8)
            asked = requests.send_request(
                session, actor=sender.user, event_id=event_id,
                receiver_id=receiver.participant_id, now=when,
                message=f"We would like to talk about {rng.choice(TOPICS)}.",
            )  # fmt: skip
            sent += 1
            draw, later = rng.random(), when + timedelta(hours=20)
            if draw < 0.08:  # they ask back: a mutual request, one meeting with priority
                requests.send_request(session, actor=receiver.user, event_id=event_id,
                                      receiver_id=sender.participant_id, now=later)  # fmt: skip
                sent += 1
            elif draw < 0.7:
                requests.accept_request(session, actor=receiver.user, request_id=asked.id,
                                        now=later)  # fmt: skip
            elif draw < 0.8:
                requests.decline_request(session, actor=receiver.user, request_id=asked.id,
                                         now=later)  # fmt: skip
            elif draw < 0.88:
                requests.withdraw_request(session, actor=sender.user, request_id=asked.id,
                                          now=later)  # fmt: skip
            if draw < 0.7:
                accepted[sender.participant_id] += 1
                accepted[receiver.participant_id] += 1
    requests.expire_due(session, now=at(-4))
    return sent


def _organiser_rules(
    session: Session, organiser: UserPublic, event_id: int, people: list[_Person]
) -> None:
    """A meeting the organiser adds at a fixed slot, and one order of meetings."""
    listed = meetings.list_meetings(session, viewer=organiser, event_id=event_id)
    met = {frozenset((m.first_id, m.second_id)) for m in listed}
    busy = {p.participant_id: 0 for p in people}
    for m in listed:
        busy[m.first_id] += 1
        busy[m.second_id] += 1
    free = sorted(busy, key=lambda p: busy[p])
    first, second = next((a, b) for a in free for b in free
                         if a < b and frozenset((a, b)) not in met)  # fmt: skip
    meetings.add_meeting(session, actor=organiser, event_id=event_id, first_id=first,
                         second_id=second, rules={"fixed_slot": 2, "priority": True})  # fmt: skip
    taken = {listed[0].first_id, listed[0].second_id}
    apart = [m for m in listed if not {m.first_id, m.second_id} & taken]
    if apart:
        precedences.add_precedence(session, actor=organiser, before_id=listed[0].id,
                                   after_id=apart[0].id)  # fmt: skip


def _the_day(
    session: Session,
    organiser: UserPublic,
    event_id: int,
    people: list[_Person],
    *,
    rng: random.Random,
    morning: datetime,
) -> int:
    """Most check in; meetings with someone absent are no-shows, the rest held."""
    absent = {p.participant_id for p in rng.sample(people, 3)}
    for person in people:
        if person.participant_id not in absent:
            day.check_in(session, actor=organiser, participant_id=person.participant_id,
                         now=morning)  # fmt: skip
    held = 0
    placed = session.scalars(
        select(Meeting).where(
            Meeting.event_id == event_id, Meeting.active.is_(True), Meeting.slot.is_not(None)
        )
    )
    for meeting in list(placed):
        missing = next((p for p in (meeting.first_id, meeting.second_id) if p in absent), None)
        day.mark_meeting(session, actor=organiser, meeting_id=meeting.id, held=missing is None,
                         no_show_id=missing)  # fmt: skip
        held += missing is None
    return held


def _followup(
    session: Session, event_id: int, people: list[_Person], rng: random.Random, at: Clock
) -> int:
    """About two in three sides of each held meeting answer the end-of-event round."""
    answers = 0
    for person in people:
        for item in followup.my_followups(session, viewer=person.user, event_id=event_id):
            if rng.random() < 0.66:
                outcome = rng.choices(followup.OUTCOMES, weights=OUTCOME_WEIGHTS)[0]
                followup.record_outcome(session, actor=person.user, meeting_id=item.meeting_id,
                                        round="end", outcome=outcome,
                                        now=at(rng.randint(1, 5)))  # fmt: skip
                answers += 1
    return answers
