"""Registering for an event: a person (account) on behalf of a directory profile they
administer, with a participant type, what they offer and seek, opportunities for the
marketplace and the slots they cannot meet in.

Registration is open while the event is published and inside its registration window; the
organiser's caps per participant type and on opportunities are checked here. Cancelling
withdraws the participant's open requests and cancels their meetings.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services import audit
from clusterhub.services.accounts.notifications import MAX_ID
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.directory.profiles import can_edit
from clusterhub.services.events.access import (
    bump,
    find_event,
    find_participant,
    is_manager,
    moment_of,
    registration_of,
    require_status,
    require_window,
)
from clusterhub.services.events.events import ParticipantType
from clusterhub.services.events.slots import event_slots
from clusterhub.services.posts.board import parse_input
from clusterhub.services.schemas import UtcDatetime
from clusterhub.store.events import (
    Event,
    EventOpportunity,
    EventParticipant,
    Meeting,
    MeetingRequest,
)
from clusterhub.store.models import Organisation, User


class OpportunityInput(BaseModel):
    """A cooperation opportunity for the event's marketplace."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["offer", "seek"]
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class ProfileInput(BaseModel):
    """What a participant tells the others, and when they cannot meet."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    participant_type: ParticipantType
    offer: str = Field(default="", max_length=2000)
    seek: str = Field(default="", max_length=2000)
    opportunities: list[OpportunityInput] = Field(default_factory=list, max_length=20)
    unavailable_slots: list[int] = Field(default_factory=list, max_length=500)


class RegistrationInput(ProfileInput):
    """A registration: the profile the person acts for, and their event profile."""

    organisation_id: int = Field(ge=1, le=MAX_ID)


class OpportunityPublic(BaseModel):
    id: int
    kind: str
    title: str
    description: str


class ParticipantPublic(BaseModel):
    """A participant as the event's other participants and its managers see them."""

    id: int
    event_id: int
    user_id: int
    display_name: str
    organisation_id: int
    organisation_name: str
    participant_type: str
    offer: str
    seek: str
    opportunities: list[OpportunityPublic]
    unavailable_slots: list[int]
    status: str
    registered_at: UtcDatetime


def participant_public(session: Session, p: EventParticipant) -> ParticipantPublic:
    """A registration with its person's name, profile name and opportunities."""
    user = session.get(User, p.user_id)
    org = session.get(Organisation, p.organisation_id)
    found = session.scalars(
        select(EventOpportunity).where(EventOpportunity.participant_id == p.id).order_by(
            EventOpportunity.id)
    )  # fmt: skip
    return ParticipantPublic(
        id=p.id, event_id=p.event_id, user_id=p.user_id,
        display_name=user.display_name if user else "", organisation_id=p.organisation_id,
        organisation_name=org.name if org else "", participant_type=p.participant_type,
        offer=p.offer, seek=p.seek, unavailable_slots=list(p.unavailable_slots),
        opportunities=[OpportunityPublic(id=o.id, kind=o.kind, title=o.title,
                                         description=o.description) for o in found],
        status=p.status, registered_at=p.registered_at,
    )  # fmt: skip


def _check_profile(session: Session, event: Event, data: ProfileInput) -> None:
    slots = len(event_slots(session, event.id))
    wrong = sorted({s for s in data.unavailable_slots if not 1 <= s <= slots})
    if wrong:
        raise InvalidInput.single(f"slots are numbered 1 to {slots}", field="unavailable_slots",
                                  value=", ".join(map(str, wrong)))  # fmt: skip
    if len(data.opportunities) > event.max_opportunities:
        raise InvalidInput.single(
            f"at most {event.max_opportunities} opportunities at this event",
            field="opportunities", value=str(len(data.opportunities)),
        )  # fmt: skip


def _check_type_cap(session: Session, event: Event, kind: str, skip: int | None = None) -> None:
    cap = event.type_caps.get(kind)
    if cap is None:
        return
    taken = session.scalar(
        select(func.count()).select_from(EventParticipant).where(
            EventParticipant.event_id == event.id, EventParticipant.participant_type == kind,
            EventParticipant.active.is_(True), EventParticipant.id != (skip or 0))
    ) or 0  # fmt: skip
    if taken >= cap:
        raise InvalidInput.single(
            f"the event is full for participants of type {kind} ({cap} places)",
            field="participant_type", value=kind,
        )  # fmt: skip


def _set_profile(session: Session, p: EventParticipant, data: ProfileInput) -> None:
    p.participant_type = data.participant_type
    p.offer, p.seek = data.offer, data.seek
    p.unavailable_slots = sorted(set(data.unavailable_slots))
    session.execute(delete(EventOpportunity).where(EventOpportunity.participant_id == p.id))
    session.add_all(
        EventOpportunity(participant_id=p.id, kind=o.kind, title=o.title,
                         description=o.description)
        for o in data.opportunities
    )  # fmt: skip
    session.flush()


def _check_published_meetings(
    session: Session, p: EventParticipant, unavailable: list[int]
) -> None:
    """Refuse to mark unavailable a slot where the participant has a published meeting: the
    next run must keep it there and could not."""
    busy = session.scalars(
        select(Meeting.slot).where(or_(Meeting.first_id == p.id, Meeting.second_id == p.id),
                                   Meeting.active.is_(True), Meeting.slot.in_(unavailable))
    ).all()  # fmt: skip
    if busy:
        slots = ", ".join(str(slot) for slot in sorted({b or 0 for b in busy}))
        raise InvalidInput.single(
            "you have a scheduled meeting in this slot; ask the organiser to cancel it first",
            field="unavailable_slots", value=slots,
        )  # fmt: skip


def register(
    session: Session,
    *,
    actor: UserPublic | None,
    event_id: int,
    data: Mapping[str, Any] | RegistrationInput,
    now: datetime | None = None,
) -> ParticipantPublic:
    """Register the actor for the event on behalf of a profile they administer."""
    event = find_event(session, event_id)
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    clean = data if isinstance(data, RegistrationInput) else parse_input(RegistrationInput, data)
    require_status(event, ("published",), "register")
    require_window(event.registration_opens_at, event.registration_closes_at, now, "registration")
    if session.get(Organisation, clean.organisation_id) is None:
        raise InvalidInput.single("no such directory profile", field="organisation_id",
                                  value=str(clean.organisation_id))  # fmt: skip
    if not can_edit(session, actor=actor, organisation_id=clean.organisation_id):
        raise PermissionDenied("you can register only on behalf of a profile you administer")
    if registration_of(session, user.id, event.id) is not None:
        raise InvalidInput.single("you are registered for this event already",
                                  field="organisation_id")  # fmt: skip
    _check_profile(session, event, clean)
    _check_type_cap(session, event, clean.participant_type)
    p = EventParticipant(event_id=event.id, user_id=user.id,
                         organisation_id=clean.organisation_id, status="registered", active=True,
                         participant_type=clean.participant_type)  # fmt: skip
    session.add(p)
    session.flush()
    _set_profile(session, p, clean)
    audit.record(session, actor_id=user.id, action="events.register", entity_type="participant",
                 entity_id=p.id, details={"event_id": event.id})  # fmt: skip
    return participant_public(session, p)


def update_registration(
    session: Session,
    *,
    actor: UserPublic | None,
    participant_id: int,
    data: Mapping[str, Any] | ProfileInput,
) -> ParticipantPublic:
    """Change one's own event profile and availability (until the event is scheduled)."""
    p = find_participant(session, participant_id)
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    if p.user_id != user.id or not p.active:
        raise PermissionDenied("only the participant changes their registration")
    event = find_event(session, p.event_id)
    require_status(event, ("published", "booking_closed"), "change a registration")
    clean = data if isinstance(data, ProfileInput) else parse_input(ProfileInput, data)
    _check_profile(session, event, clean)
    if clean.participant_type != p.participant_type:
        _check_type_cap(session, event, clean.participant_type, skip=p.id)
    if sorted(set(clean.unavailable_slots)) != sorted(p.unavailable_slots):
        _check_published_meetings(session, p, clean.unavailable_slots)
        bump(session, event.id)  # availability is part of what a schedule run reads
    _set_profile(session, p, clean)
    audit.record(session, actor_id=user.id, action="events.update_registration",
                 entity_type="participant", entity_id=p.id)  # fmt: skip
    return participant_public(session, p)


def cancel_registration(
    session: Session, *, actor: UserPublic | None, participant_id: int, now: datetime | None = None
) -> ParticipantPublic:
    """Cancel a registration (the participant or a manager): open requests are withdrawn and
    meetings cancelled (the next schedule run frees their slots)."""
    p = find_participant(session, participant_id)
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    event = find_event(session, p.event_id)
    if p.user_id != user.id and not is_manager(session, actor, event):
        raise PermissionDenied("only the participant or the event's managers cancel it")
    if not p.active:
        raise InvalidInput.single("the registration is cancelled already", field="status")
    require_status(event, ("published", "booking_closed", "scheduled"), "cancel a registration")
    moment = moment_of(now)
    p.status, p.active, p.cancelled_at = "cancelled", None, moment
    for request in session.scalars(
        select(MeetingRequest).where(
            or_(MeetingRequest.sender_id == p.id, MeetingRequest.receiver_id == p.id),
            MeetingRequest.open_pair.is_(True))
    ):  # fmt: skip
        request.status = "withdrawn" if request.status == "sent" else request.status
        request.open_pair, request.closed_at = None, moment
    for meeting in session.scalars(
        select(Meeting).where(or_(Meeting.first_id == p.id, Meeting.second_id == p.id),
                              Meeting.active.is_(True))
    ):  # fmt: skip
        meeting.status, meeting.active, meeting.cancelled_at = "cancelled", None, moment
    bump(session, event.id)
    audit.record(session, actor_id=user.id, action="events.cancel_registration",
                 entity_type="participant", entity_id=p.id)  # fmt: skip
    return participant_public(session, p)


def list_participants(
    session: Session, *, viewer: UserPublic | None, event_id: int
) -> list[ParticipantPublic]:
    """The event's active participants (the marketplace): for participants and managers.
    Participants see only their own unavailable slots (the others' are the managers' business)."""
    event = find_event(session, event_id)
    manager = is_manager(session, viewer, event)
    if viewer is None or (registration_of(session, viewer.id, event.id) is None and not manager):
        raise PermissionDenied("the participant list is for the event's participants")
    found = session.scalars(
        select(EventParticipant).where(EventParticipant.event_id == event.id,
                                       EventParticipant.active.is_(True)).order_by(
            EventParticipant.id)
    )  # fmt: skip
    shown = [participant_public(session, p) for p in found]
    return [
        p if manager or p.user_id == viewer.id else p.model_copy(update={"unavailable_slots": []})
        for p in shown
    ]


def find_in_marketplace(
    people: list[ParticipantPublic], *, text: str = "", kind: str = ""
) -> list[ParticipantPublic]:
    """The participants whose name, contact, offer, seek or opportunities hold every word of
    ``text`` (any case, accents ignored), of type ``kind`` when given; in list order."""
    wanted = _folded(text).split()
    return [
        p
        for p in people
        if (not kind or p.participant_type == kind) and all(word in _haystack(p) for word in wanted)
    ]


def _haystack(p: ParticipantPublic) -> str:
    parts = [p.organisation_name, p.display_name, p.offer, p.seek]
    parts += [o.title for o in p.opportunities]
    return _folded(" ".join(parts))


def _folded(text: str) -> str:
    """``text`` in lower case without accents: "Énergie" matches "energie"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def my_registration(
    session: Session, *, viewer: UserPublic | None, event_id: int
) -> ParticipantPublic | None:
    """The viewer's own active registration for the event, if any."""
    event = find_event(session, event_id)
    mine = registration_of(session, viewer.id, event.id) if viewer else None
    return participant_public(session, mine) if mine else None
