"""Meeting requests between participants: send, accept, decline, withdraw, expire.

* Requests are sent while the event is published and inside its booking window, with a
  message; each ordered pair has at most one open (sent or accepted) request.
* ``opt_in`` events let the receiver accept or decline; ``auto_accept`` events turn each
  request into a meeting at once.
* A request to someone who has asked you already is *mutual*: both requests are accepted and
  make one meeting with priority (the scheduler places those first).
* An unanswered request expires ``request_expiry_hours`` after it was sent: ``expire_due``
  closes them (the app calls it now and then), and none can be accepted after its time.
* Either side may withdraw an open request until its meeting is scheduled (the organiser
  cancels scheduled meetings).

Every change bumps the event's version, so a schedule run knows its input changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound, PermissionDenied
from clusterhub.services import audit
from clusterhub.services.accounts.notifications import MAX_ID
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.audit import Actor
from clusterhub.services.events import notify
from clusterhub.services.events.access import (
    bump,
    find_event,
    find_participant,
    is_manager,
    moment_of,
    own_registration,
    registration_of,
    require_status,
    require_window,
)
from clusterhub.services.events.meetings import (
    active_meeting,
    check_room,
    create_meeting,
)
from clusterhub.services.posts.board import CONTROL_TEXT
from clusterhub.services.schemas import UtcDatetime
from clusterhub.store.events import Event, Meeting, MeetingRequest
from clusterhub.store.models import as_utc

MAX_MESSAGE = 2000
EXPIRY = Actor.system("request-expiry")


class RequestPublic(BaseModel):
    """A request as its two sides and the event's managers see it."""

    id: int
    event_id: int
    sender_id: int
    receiver_id: int
    message: str
    status: str
    mutual: bool
    sent_at: UtcDatetime
    expires_at: UtcDatetime
    answered_at: UtcDatetime | None
    meeting_id: int | None


def request_public(session: Session, r: MeetingRequest) -> RequestPublic:
    """The request and the meeting it made, if any."""
    meeting = session.scalar(select(Meeting.id).where(Meeting.request_id == r.id))
    if meeting is None and r.status == "accepted":
        found = active_meeting(session, r.sender_id, r.receiver_id)
        meeting = found.id if found else None
    return RequestPublic(
        id=r.id, event_id=r.event_id, sender_id=r.sender_id, receiver_id=r.receiver_id,
        message=r.message, status=r.status, mutual=r.mutual, sent_at=r.sent_at,
        expires_at=r.expires_at, answered_at=r.answered_at, meeting_id=meeting,
    )  # fmt: skip


def _find(session: Session, request_id: int) -> MeetingRequest:
    found = session.get(MeetingRequest, request_id) if 1 <= request_id <= MAX_ID else None
    if found is None:
        raise NotFound(f"no meeting request with id {request_id}")
    return found


def _open_request(session: Session, sender: int, receiver: int) -> MeetingRequest | None:
    return session.scalar(
        select(MeetingRequest).where(MeetingRequest.sender_id == sender,
                                     MeetingRequest.receiver_id == receiver,
                                     MeetingRequest.open_pair.is_(True))
    )  # fmt: skip


def _booking_open(event: Event, now: datetime | None) -> None:
    require_status(event, ("published",), "send or answer requests")
    require_window(event.booking_opens_at, event.booking_closes_at, now, "booking")


def send_request(
    session: Session,
    *,
    actor: UserPublic | None,
    event_id: int,
    receiver_id: int,
    message: str = "",
    now: datetime | None = None,
) -> RequestPublic:
    """Ask another participant for a meeting (see the module's rules)."""
    event = find_event(session, event_id)
    user, me = own_registration(session, actor, event)
    _booking_open(event, now)
    receiver = find_participant(session, receiver_id)
    if receiver.event_id != event.id or not receiver.active:
        raise InvalidInput.single("not a participant of this event", field="receiver_id",
                                  value=str(receiver_id))  # fmt: skip
    if receiver.id == me.id:
        raise InvalidInput.single("you cannot request a meeting with yourself",
                                  field="receiver_id")  # fmt: skip
    text = message.strip()
    if len(text) > MAX_MESSAGE or CONTROL_TEXT.search(text):
        raise InvalidInput.single(f"at most {MAX_MESSAGE} characters, no control characters",
                                  field="message", value=text[:80])  # fmt: skip
    if _open_request(session, me.id, receiver.id) is not None:
        raise InvalidInput.single("you have an open request to this participant already",
                                  field="receiver_id", value=str(receiver_id))  # fmt: skip
    if active_meeting(session, me.id, receiver.id) is not None:
        raise InvalidInput.single("you have a meeting with this participant already",
                                  field="receiver_id", value=str(receiver_id))  # fmt: skip
    moment = moment_of(now)
    theirs = _open_request(session, receiver.id, me.id)
    mutual = theirs is not None and theirs.status == "sent" and as_utc(theirs.expires_at) > moment
    accept = mutual or event.request_mode == "auto_accept"
    if accept:
        check_room(session, event, (me.id, receiver.id))
    request = MeetingRequest(
        event_id=event.id, sender_id=me.id, receiver_id=receiver.id, message=text,
        status="accepted" if accept else "sent", mutual=mutual, open_pair=True, sent_at=moment,
        expires_at=moment + timedelta(hours=event.request_expiry_hours),
        answered_at=moment if accept else None,
    )  # fmt: skip
    session.add(request)
    session.flush()
    if theirs is not None and mutual:
        theirs.status, theirs.mutual, theirs.answered_at = "accepted", True, moment
    if accept:
        create_meeting(session, event, (me.id, receiver.id), request_id=request.id,
                       origin="mutual" if mutual else "request", priority=mutual)  # fmt: skip
    bump(session, event.id)
    audit.record(session, actor_id=user.id, action="events.request", entity_type="request",
                 entity_id=request.id,
                 details={"event_id": event.id, "mutual": mutual})  # fmt: skip
    notify.request_received(session, request)
    if theirs is not None and mutual:
        notify.request_answered(session, theirs)
    return request_public(session, request)


def _as_receiver(
    session: Session, actor: UserPublic | None, request_id: int, now: datetime | None
) -> tuple[int, Event, MeetingRequest, datetime]:
    request = _find(session, request_id)
    event = find_event(session, request.event_id)
    user, me = own_registration(session, actor, event)
    if request.receiver_id != me.id:
        raise PermissionDenied("only the receiver answers a request")
    _booking_open(event, now)
    moment = moment_of(now)
    if request.status != "sent":
        raise InvalidInput.single(f"the request is {request.status}, not waiting for an answer",
                                  field="status", value=request.status)  # fmt: skip
    if as_utc(request.expires_at) <= moment:
        raise InvalidInput.single("the request has expired", field="status", value="expired")
    return user.id, event, request, moment


def accept_request(
    session: Session, *, actor: UserPublic | None, request_id: int, now: datetime | None = None
) -> RequestPublic:
    """The receiver accepts: the request becomes a meeting (within the meetings cap)."""
    user_id, event, request, moment = _as_receiver(session, actor, request_id, now)
    check_room(session, event, (request.sender_id, request.receiver_id))
    if active_meeting(session, request.sender_id, request.receiver_id) is not None:
        raise InvalidInput.single("you have a meeting with this participant already",
                                  field="status")  # fmt: skip
    request.status, request.answered_at = "accepted", moment
    create_meeting(session, event, (request.sender_id, request.receiver_id), origin="request",
                   priority=False, request_id=request.id)  # fmt: skip
    audit.record(session, actor_id=user_id, action="events.request_accept",
                 entity_type="request", entity_id=request.id)  # fmt: skip
    notify.request_answered(session, request)
    return request_public(session, request)


def decline_request(
    session: Session, *, actor: UserPublic | None, request_id: int, now: datetime | None = None
) -> RequestPublic:
    """The receiver declines."""
    user_id, event, request, moment = _as_receiver(session, actor, request_id, now)
    request.status, request.answered_at, request.closed_at = "declined", moment, moment
    request.open_pair = None
    bump(session, event.id)
    audit.record(session, actor_id=user_id, action="events.request_decline",
                 entity_type="request", entity_id=request.id)  # fmt: skip
    notify.request_answered(session, request)
    return request_public(session, request)


def withdraw_request(
    session: Session, *, actor: UserPublic | None, request_id: int, now: datetime | None = None
) -> RequestPublic:
    """Either side withdraws an open request; an accepted one's meeting is cancelled, unless
    it is scheduled already (then the organiser cancels it)."""
    request = _find(session, request_id)
    event = find_event(session, request.event_id)
    user, me = own_registration(session, actor, event)
    if me.id not in (request.sender_id, request.receiver_id):
        raise PermissionDenied("only the two sides of a request withdraw it")
    if request.open_pair is not True:
        raise InvalidInput.single(f"the request is {request.status} already", field="status",
                                  value=request.status)  # fmt: skip
    if request.status == "sent" and me.id != request.sender_id:
        raise InvalidInput.single("decline the request instead", field="status", value="sent")
    require_status(event, ("published", "booking_closed", "scheduled"), "withdraw requests")
    meeting = active_meeting(session, request.sender_id, request.receiver_id)
    if meeting is not None and meeting.slot is not None:
        raise InvalidInput.single("the meeting is scheduled; ask the organiser to cancel it",
                                  field="status", value="scheduled")  # fmt: skip
    moment = moment_of(now)
    if meeting is not None:
        meeting.status, meeting.active, meeting.cancelled_at = "cancelled", None, moment
    for pair in ((request.sender_id, request.receiver_id), (request.receiver_id,
                                                           request.sender_id)):  # fmt: skip
        found = _open_request(session, *pair)
        if found is not None and (found.id == request.id or meeting is not None):
            found.status, found.open_pair, found.closed_at = "withdrawn", None, moment
    bump(session, event.id)
    audit.record(session, actor_id=user.id, action="events.request_withdraw",
                 entity_type="request", entity_id=request.id)  # fmt: skip
    return request_public(session, request)


def expire_due(session: Session, *, now: datetime | None = None) -> int:
    """Close every unanswered request whose time has passed; returns how many. One audit
    entry (by ``system:request-expiry``) when any expired."""
    moment = moment_of(now)
    due = session.scalars(
        select(MeetingRequest).where(MeetingRequest.status == "sent",
                                     MeetingRequest.expires_at <= moment)
    ).all()  # fmt: skip
    for request in due:
        request.status, request.open_pair, request.closed_at = "expired", None, moment
        notify.request_answered(session, request)
    for event_id in sorted({r.event_id for r in due}):
        bump(session, event_id)
    if due:
        audit.record(session, actor=EXPIRY, action="events.requests_expire",
                     entity_type="request", entity_id=None,
                     details={"requests": sorted(r.id for r in due)})  # fmt: skip
    return len(due)


def get_request(session: Session, *, viewer: UserPublic | None, request_id: int) -> RequestPublic:
    """A request, for its two sides and the event's managers only."""
    request = _find(session, request_id)
    event = find_event(session, request.event_id)
    mine = registration_of(session, viewer.id, event.id) if viewer else None
    sides = (request.sender_id, request.receiver_id)
    if not (mine is not None and mine.id in sides) and not is_manager(session, viewer, event):
        raise NotFound(f"no meeting request with id {request_id}")
    return request_public(session, request)


def list_requests(
    session: Session, *, viewer: UserPublic | None, event_id: int
) -> list[RequestPublic]:
    """The viewer's own requests (sent and received); every request for managers."""
    event = find_event(session, event_id)
    query = select(MeetingRequest).where(MeetingRequest.event_id == event.id)
    if not is_manager(session, viewer, event):
        mine = registration_of(session, viewer.id, event.id) if viewer else None
        if mine is None:
            raise PermissionDenied("requests are shown to their two sides and the managers")
        query = query.where(
            or_(MeetingRequest.sender_id == mine.id, MeetingRequest.receiver_id == mine.id)
        )
    return [request_public(session, r) for r in session.scalars(query.order_by(MeetingRequest.id))]
