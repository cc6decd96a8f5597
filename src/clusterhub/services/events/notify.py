"""What participants of an event are told, in the app and (given a mailer) by e-mail.

Each function is called by the use case whose write it reports, inside that write's
transaction: the notification rows commit or roll back with it, and mail leaves only after the
commit (``services.outbox``). Messages name the other organisation, never a person's address.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.services import outbox
from clusterhub.services.accounts import notifications
from clusterhub.services.mail import Mailer, OutgoingMail
from clusterhub.store.events import Event, EventParticipant, Meeting, MeetingRequest
from clusterhub.store.models import Organisation, User

if TYPE_CHECKING:
    from clusterhub.services.events.followup import FollowupDue


def _org_name(session: Session, participant_id: int) -> str:
    p = session.get(EventParticipant, participant_id)
    org = session.get(Organisation, p.organisation_id) if p else None
    return org.name if org else "a participant"


def _send(
    session: Session,
    *,
    user_ids: Iterable[int],
    kind: str,
    message: str,
    link: str,
    mailer: Mailer | None,
) -> list[int]:
    """Notify the accounts once each; mail them the same text after the commit."""
    told = notifications.notify(session, user_ids=user_ids, kind=kind, message=message, link=link)
    if mailer is not None and told:
        emails = session.scalars(select(User.email).where(User.id.in_(told)))
        mails = [OutgoingMail(to=e, subject=message[:120], body=f"{message}\n\n{link}\n")
                 for e in emails]  # fmt: skip
        outbox.send_after_commit(session, mailer=mailer, mails=mails)
    return told


def _user(session: Session, participant_id: int) -> list[int]:
    p = session.get(EventParticipant, participant_id)
    return [p.user_id] if p else []


def request_received(
    session: Session, request: MeetingRequest, *, mailer: Mailer | None = None
) -> list[int]:
    """Tell the receiver a meeting request arrived."""
    event = session.get(Event, request.event_id)
    title = event.title if event else "the event"
    return _send(session, user_ids=_user(session, request.receiver_id), kind="event_request",
                 message=f"{_org_name(session, request.sender_id)} asks to meet you at {title}.",
                 link=f"/events/{request.event_id}/requests", mailer=mailer)  # fmt: skip


def request_answered(
    session: Session, request: MeetingRequest, *, mailer: Mailer | None = None
) -> list[int]:
    """Tell the sender its request was accepted, declined or expired (``request.status``)."""
    who = _org_name(session, request.receiver_id)
    text = {"accepted": f"{who} accepted your meeting request.",
            "declined": f"{who} declined your meeting request.",
            "expired": f"Your meeting request to {who} expired unanswered."}  # fmt: skip
    if request.status not in text:
        return []
    return _send(session, user_ids=_user(session, request.sender_id),
                 kind=f"event_request_{request.status}", message=text[request.status],
                 link=f"/events/{request.event_id}/requests", mailer=mailer)  # fmt: skip


def agenda_ready(session: Session, event_id: int, *, mailer: Mailer | None = None) -> list[int]:
    """Tell every participant with a scheduled meeting that its agenda is ready."""
    event = session.get(Event, event_id)
    placed = select(Meeting.first_id, Meeting.second_id).where(
        Meeting.event_id == event_id, Meeting.active.is_(True), Meeting.slot.is_not(None)
    )
    ids = {pid for row in session.execute(placed) for pid in row}
    users = session.scalars(select(EventParticipant.user_id).where(
        EventParticipant.id.in_(ids), EventParticipant.active.is_(True))).all()  # fmt: skip
    title = event.title if event else "the event"
    return _send(session, user_ids=sorted(users), kind="event_agenda",
                 message=f"Your agenda for {title} is ready.",
                 link=f"/events/{event_id}/agenda", mailer=mailer)  # fmt: skip


def followups_due(
    session: Session, due: Sequence[FollowupDue], *, mailer: Mailer | None = None
) -> list[int]:
    """Ask each participant (once, whatever the number of meetings) to answer the follow-up."""
    told: list[int] = []
    by_event: dict[tuple[int, str], set[int]] = {}
    for item in due:
        by_event.setdefault((item.event_id, item.round), set()).add(item.user_id)
    for (event_id, round), users in sorted(by_event.items()):
        event = session.get(Event, event_id)
        title = event.title if event else "the event"
        when = "six months on" if round == "six_months" else "now the event is over"
        told += _send(session, user_ids=sorted(users), kind="event_followup",
                      message=f"What came of your meetings at {title}? Tell us {when}.",
                      link=f"/events/{event_id}/followup", mailer=mailer)  # fmt: skip
    return told
