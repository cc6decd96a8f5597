"""The events use cases of the write-actions walk (``test_write_actions.py`` runs them).

Each builder sets up what its write needs and returns a ``Plan``: the write itself (running
its own transaction, as ``run_schedule`` must), who the audit entry must name, and which entity.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.audit import Actor
from clusterhub.services.events import (
    agenda,
    day,
    followup,
    meetings,
    precedences,
    registration,
    requests,
)
from clusterhub.services.events import demo as event_demo
from clusterhub.services.events import events as event_admin
from clusterhub.services.events import files as event_files
from clusterhub.services.write_actions import qualified_name
from clusterhub.store.db import transaction
from clusterhub.store.events import Event
from clusterhub.store.models import Organisation, utcnow
from tests.services.events_world import SESSIONS


class Cast(Protocol):
    """What the walk's world offers: accounts, and profiles they administer."""

    factory: sessionmaker[Session]

    def user(self) -> UserPublic: ...

    def profile(self, owner: UserPublic, **fields: Any) -> int: ...


@dataclass(frozen=True)
class Plan:
    run: Callable[[], object]
    actor: str
    entity: object


Builder = Callable[[Cast], Plan]
BUILDERS: dict[tuple[str, str], Builder] = {}


def _builds(use_case: Callable[..., Any], action: str) -> Callable[[Builder], Builder]:
    def keep(build: Builder) -> Builder:
        BUILDERS[(qualified_name(use_case), action)] = build
        return build

    return keep


def _in_tx(w: Cast, write: Callable[[Session], object]) -> Callable[[], object]:
    def run() -> object:
        with transaction(w.factory) as session:
            return write(session)

    return run


def _as(user: UserPublic) -> str:
    return f"user:{user.id}"


def _event(w: Cast, status: str = "draft", **fields: Any) -> tuple[UserPublic, int]:
    organiser = w.user()
    data = {"title": "Walk", "organiser_id": w.profile(organiser), "sessions": SESSIONS,
            "table_count": 2, **fields}  # fmt: skip
    with transaction(w.factory) as session:
        event_id = event_admin.create_event(session, actor=organiser, data=data).id
    path = ("published", "booking_closed")
    for step in path[: path.index(status) + 1] if status in path else ():
        with transaction(w.factory) as session:
            event_admin.change_status(session, actor=organiser, event_id=event_id, status=step)
    return organiser, event_id


def _join(w: Cast, event_id: int) -> tuple[UserPublic, int]:
    person = w.user()
    org = w.profile(person)
    with transaction(w.factory) as session:
        data = {"organisation_id": org, "participant_type": "sme"}
        p = registration.register(session, actor=person, event_id=event_id, data=data)
    return person, p.id


def _request(w: Cast, event_id: int, *, accept: bool = False, **at: Any) -> tuple[Any, ...]:
    (ana, a), (ben, b) = _join(w, event_id), _join(w, event_id)
    with transaction(w.factory) as session:
        sent = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b, **at)
        if accept:
            requests.accept_request(session, actor=ben, request_id=sent.id)
    return ana, a, ben, b, sent.id


@_builds(event_admin.create_event, "events.create")
def _create(w: Cast) -> Plan:
    organiser = w.user()
    org = w.profile(organiser)
    data = {"title": "New", "organiser_id": org}
    return Plan(_in_tx(w, lambda s: event_admin.create_event(s, actor=organiser, data=data)),
                _as(organiser), None)  # fmt: skip


@_builds(event_admin.create_event_as_operator, "events.create")
def _create_by_operator(w: Cast) -> Plan:
    org = w.profile(w.user())
    data = {"title": "From a file", "organiser_id": org, "sessions": SESSIONS}
    by = Actor.command_line()
    return Plan(_in_tx(w, lambda s: event_admin.create_event_as_operator(s, by=by, data=data)),
                by.name, None)  # fmt: skip


def _demo_event(w: Cast) -> int:
    """A stand-in for the synthetic demo event (what its removal and admin use cases find)."""
    organiser = w.user()
    data = {"title": event_demo.TITLE, "organiser_id": w.profile(organiser)}
    with transaction(w.factory) as session:
        event_id = event_admin.create_event(session, actor=organiser, data=data).id
        session.get(Event, event_id).synthetic = True  # type: ignore[union-attr]
    return event_id


@_builds(event_demo.remove_demo_event, "events.demo_remove")
def _remove_demo_event(w: Cast) -> Plan:
    event_id = _demo_event(w)
    by = Actor.command_line()
    return Plan(_in_tx(w, lambda s: event_demo.remove_demo_event(s, by=by)), by.name, event_id)


@_builds(event_demo.add_demo_admin, "events.add_admin")
def _demo_admin(w: Cast) -> Plan:
    event_id = _demo_event(w)
    newcomer = w.user()
    by = Actor.command_line()
    return Plan(_in_tx(w, lambda s: event_demo.add_demo_admin(s, email=newcomer.email, by=by)),
                by.name, event_id)  # fmt: skip


@_builds(event_files.import_participants, "events.import_participants")
def _import_participants(w: Cast) -> Plan:
    _organiser, event_id = _event(w, "published")
    person = w.user()
    org = w.profile(person)
    with transaction(w.factory) as session:
        key = session.get(Organisation, org).key  # type: ignore[union-attr]
    path = Path(tempfile.mkdtemp()) / "people.csv"
    path.write_text(f"email,organisation,participant_type\n{person.email},{key},sme\n",
                    encoding="utf-8")  # fmt: skip
    by = Actor.command_line()
    return Plan(_in_tx(w, lambda s: event_files.import_participants(
        s, by=by, event_id=event_id, path=path)), by.name, event_id)  # fmt: skip


@_builds(event_admin.update_event, "events.update")
def _update(w: Cast) -> Plan:
    organiser, event_id = _event(w)
    with transaction(w.factory) as session:
        org = event_admin.find_event(session, event_id).organiser_id
    return Plan(_in_tx(w, lambda s: event_admin.update_event(
        s, actor=organiser, event_id=event_id, data={"title": "Renamed", "organiser_id": org,
                                                      "sessions": SESSIONS, "table_count": 3})),
        _as(organiser), event_id)  # fmt: skip


@_builds(event_admin.change_status, "events.status")
def _status(w: Cast) -> Plan:
    organiser, event_id = _event(w)
    return Plan(_in_tx(w, lambda s: event_admin.change_status(
        s, actor=organiser, event_id=event_id, status="published")),
        _as(organiser), event_id)  # fmt: skip


@_builds(event_admin.add_event_admin, "events.add_admin")
def _add_admin(w: Cast) -> Plan:
    (organiser, event_id), helper = _event(w), w.user()
    return Plan(_in_tx(w, lambda s: event_admin.add_event_admin(
        s, actor=organiser, event_id=event_id, email=helper.email)),
        _as(organiser), event_id)  # fmt: skip


@_builds(event_admin.remove_event_admin, "events.remove_admin")
def _remove_admin(w: Cast) -> Plan:
    (organiser, event_id), helper = _event(w), w.user()
    with transaction(w.factory) as session:
        event_admin.add_event_admin(session, actor=organiser, event_id=event_id,
                                    email=helper.email)  # fmt: skip
    return Plan(_in_tx(w, lambda s: event_admin.remove_event_admin(
        s, actor=organiser, event_id=event_id, user_id=helper.id)),
        _as(organiser), event_id)  # fmt: skip


@_builds(registration.register, "events.register")
def _register(w: Cast) -> Plan:
    _organiser, event_id = _event(w, "published")
    person = w.user()
    org = w.profile(person)
    data = {"organisation_id": org, "participant_type": "investor"}
    return Plan(_in_tx(w, lambda s: registration.register(
        s, actor=person, event_id=event_id, data=data)), _as(person), None)  # fmt: skip


@_builds(registration.update_registration, "events.update_registration")
def _update_registration(w: Cast) -> Plan:
    person, pid = _join(w, _event(w, "published")[1])
    return Plan(_in_tx(w, lambda s: registration.update_registration(
        s, actor=person, participant_id=pid,
        data={"participant_type": "sme", "unavailable_slots": [1]})), _as(person), pid)  # fmt: skip


@_builds(registration.cancel_registration, "events.cancel_registration")
def _cancel_registration(w: Cast) -> Plan:
    person, pid = _join(w, _event(w, "published")[1])
    return Plan(_in_tx(w, lambda s: registration.cancel_registration(
        s, actor=person, participant_id=pid)), _as(person), pid)  # fmt: skip


@_builds(requests.send_request, "events.request")
def _send(w: Cast) -> Plan:
    event_id = _event(w, "published")[1]
    (ana, _a), (_ben, b) = _join(w, event_id), _join(w, event_id)
    return Plan(_in_tx(w, lambda s: requests.send_request(
        s, actor=ana, event_id=event_id, receiver_id=b, message="Hello")),
        _as(ana), None)  # fmt: skip


@_builds(requests.accept_request, "events.request_accept")
def _accept(w: Cast) -> Plan:
    _ana, _a, ben, _b, rid = _request(w, _event(w, "published")[1])
    return Plan(_in_tx(w, lambda s: requests.accept_request(s, actor=ben, request_id=rid)),
                _as(ben), rid)  # fmt: skip


@_builds(requests.decline_request, "events.request_decline")
def _decline(w: Cast) -> Plan:
    _ana, _a, ben, _b, rid = _request(w, _event(w, "published")[1])
    return Plan(_in_tx(w, lambda s: requests.decline_request(s, actor=ben, request_id=rid)),
                _as(ben), rid)  # fmt: skip


@_builds(requests.withdraw_request, "events.request_withdraw")
def _withdraw(w: Cast) -> Plan:
    ana, _a, _ben, _b, rid = _request(w, _event(w, "published")[1])
    return Plan(_in_tx(w, lambda s: requests.withdraw_request(s, actor=ana, request_id=rid)),
                _as(ana), rid)  # fmt: skip


@_builds(requests.expire_due, "events.requests_expire")
def _expire(w: Cast) -> Plan:
    long_ago = utcnow() - timedelta(days=30)
    _request(w, _event(w, "published", request_expiry_hours=1)[1], now=long_ago)
    return Plan(_in_tx(w, requests.expire_due), requests.EXPIRY.name, None)


@_builds(meetings.add_meeting, "events.add_meeting")
def _add_meeting(w: Cast) -> Plan:
    organiser, event_id = _event(w, "published")
    (_ana, a), (_ben, b) = _join(w, event_id), _join(w, event_id)
    return Plan(_in_tx(w, lambda s: meetings.add_meeting(
        s, actor=organiser, event_id=event_id, first_id=a, second_id=b)),
        _as(organiser), None)  # fmt: skip


def _two_meetings(w: Cast) -> tuple[UserPublic, int, int]:
    organiser, event_id = _event(w, "published")
    _ana, a, _ben, b, _rid = _request(w, event_id, accept=True)
    _cy, c = _join(w, event_id)
    with transaction(w.factory) as session:
        first = meetings.list_meetings(session, viewer=organiser, event_id=event_id)[-1].id
        second = meetings.add_meeting(session, actor=organiser, event_id=event_id, first_id=a,
                                      second_id=c).id  # fmt: skip
    assert b
    return organiser, first, second


@_builds(meetings.set_meeting_rules, "events.meeting_rules")
def _rules(w: Cast) -> Plan:
    organiser, meeting, _other = _two_meetings(w)
    return Plan(_in_tx(w, lambda s: meetings.set_meeting_rules(
        s, actor=organiser, meeting_id=meeting, rules={"fixed_slot": 3, "fixed_table": 1})),
        _as(organiser), meeting)  # fmt: skip


@_builds(meetings.cancel_meeting, "events.cancel_meeting")
def _cancel_meeting(w: Cast) -> Plan:
    organiser, meeting, _other = _two_meetings(w)
    return Plan(_in_tx(w, lambda s: meetings.cancel_meeting(
        s, actor=organiser, meeting_id=meeting)), _as(organiser), meeting)  # fmt: skip


@_builds(precedences.add_precedence, "events.add_precedence")
def _precedence(w: Cast) -> Plan:
    organiser, first, second = _two_meetings(w)
    return Plan(_in_tx(w, lambda s: precedences.add_precedence(
        s, actor=organiser, before_id=first, after_id=second)), _as(organiser), first)  # fmt: skip


@_builds(precedences.remove_precedence, "events.remove_precedence")
def _remove_precedence(w: Cast) -> Plan:
    organiser, first, second = _two_meetings(w)
    with transaction(w.factory) as session:
        precedences.add_precedence(session, actor=organiser, before_id=first, after_id=second)
    return Plan(_in_tx(w, lambda s: precedences.remove_precedence(
        s, actor=organiser, before_id=first, after_id=second)), _as(organiser), first)  # fmt: skip


@_builds(agenda.run_schedule, "events.schedule")
def _schedule(w: Cast) -> Plan:
    organiser, event_id = _event(w, "published")
    _request(w, event_id, accept=True)
    with transaction(w.factory) as session:
        event_admin.change_status(session, actor=organiser, event_id=event_id,
                                  status="booking_closed")  # fmt: skip
    return Plan(lambda: agenda.run_schedule(w.factory, actor=organiser, event_id=event_id,
                                            time_limit=10), _as(organiser), event_id)  # fmt: skip


DAY = datetime(2027, 3, 10, 10, tzinfo=UTC)


def _scheduled(w: Cast, *, held: bool = False) -> tuple[UserPublic, int, UserPublic, int]:
    """A scheduled event (held too, if ``held``, with its one meeting held): the organiser,
    the event, one participant and their meeting."""
    organiser, event_id = _event(w, "published")
    ana, _a, _ben, _b, _rid = _request(w, event_id, accept=True)
    with transaction(w.factory) as session:
        event_admin.change_status(session, actor=organiser, event_id=event_id,
                                  status="booking_closed")  # fmt: skip
    agenda.run_schedule(w.factory, actor=organiser, event_id=event_id, time_limit=10)
    with transaction(w.factory) as session:
        meeting = meetings.list_meetings(session, viewer=organiser, event_id=event_id)[0].id
        if held:
            day.mark_meeting(session, actor=ana, meeting_id=meeting, held=True)
            event_admin.change_status(session, actor=organiser, event_id=event_id, status="held")
    return organiser, event_id, ana, meeting


@_builds(day.check_in, "events.check_in")
def _check_in(w: Cast) -> Plan:
    organiser, event_id = _event(w, "published")
    _person, pid = _join(w, event_id)
    _request(w, event_id, accept=True)
    with transaction(w.factory) as session:
        event_admin.change_status(session, actor=organiser, event_id=event_id,
                                  status="booking_closed")  # fmt: skip
    agenda.run_schedule(w.factory, actor=organiser, event_id=event_id, time_limit=10)
    return Plan(_in_tx(w, lambda s: day.check_in(s, actor=organiser, participant_id=pid, now=DAY)),
                _as(organiser), pid)  # fmt: skip


@_builds(day.mark_meeting, "events.meeting_held")
def _mark(w: Cast) -> Plan:
    organiser, _event_id, _ana, meeting = _scheduled(w)
    return Plan(_in_tx(w, lambda s: day.mark_meeting(
        s, actor=organiser, meeting_id=meeting, held=True)), _as(organiser), meeting)  # fmt: skip


@_builds(followup.record_outcome, "events.outcome")
def _outcome(w: Cast) -> Plan:
    _organiser, _event_id, ana, meeting = _scheduled(w, held=True)
    return Plan(_in_tx(w, lambda s: followup.record_outcome(
        s, actor=ana, meeting_id=meeting, round="end", outcome="valuable_contact")),
        _as(ana), meeting)  # fmt: skip


@_builds(followup.ask_due, "events.followups_ask")
def _ask(w: Cast) -> Plan:
    _scheduled(w, held=True)
    return Plan(_in_tx(w, followup.ask_due), followup.FOLLOWUP.name, None)
