"""What participants of an event are told, in the app and by e-mail.

Each function is called by the use case whose write it reports, inside that write's
transaction: the notification rows commit or roll back with it, and mail leaves only after the
commit (``services.outbox``). Messages name the other organisation, never a person's address.

Whether mail leaves is the deployment's choice, not each use case's: the server (and the CLI)
gives its write session factory a ``Mailing`` with ``mail_with``, so every write path (pages,
API, CLI, the server's timer) mails alike without each caller passing a mailer. Sessions
without one (most tests) notify in the app only. There are no per-account mail preferences
yet: the account's e-mail address is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.services import outbox
from clusterhub.services.accounts import notifications
from clusterhub.services.mail import Mailer, OutgoingMail, make_mailer
from clusterhub.store.events import Event, EventParticipant, Meeting, MeetingRequest, ScheduleRun
from clusterhub.store.models import Organisation, User, as_utc

if TYPE_CHECKING:
    from clusterhub.config import Settings
    from clusterhub.services.events.followup import FollowupDue

_MAILING = "clusterhub.events.mailing"


@dataclass(frozen=True)
class Mailing:
    """How event notifications leave by e-mail: the mailer, and where links start (the
    site's public address; empty gives site-relative links, for development)."""

    mailer: Mailer
    base: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailing:
        """The configured mail backend, links at ``CLUSTERHUB_PUBLIC_URL``."""
        return cls(make_mailer(settings), settings.public_url.rstrip("/"))


def mail_with(factory: sessionmaker[Session], mailing: Mailing) -> None:
    """Let every session of ``factory`` mail event notifications through ``mailing``."""
    factory.configure(info={_MAILING: mailing})


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
    detail: str,
) -> list[int]:
    """Notify the accounts once each; mail them the same text, with ``detail`` (what to do
    next) and the page's address, after the commit."""
    told = notifications.notify(session, user_ids=user_ids, kind=kind, message=message, link=link)
    mailing: Mailing | None = session.info.get(_MAILING)
    if mailing is not None and told:
        body = (f"{message}\n\n{detail}\n\nOpen the page: {mailing.base}{link}\n\n-- \n"
                "clusterhub. The same notice is under Notifications once you log in.")  # fmt: skip
        emails = session.scalars(select(User.email).where(User.id.in_(told)).order_by(User.id))
        mails = [OutgoingMail(to=e, subject=message[:120], body=body) for e in emails]
        outbox.send_after_commit(session, mailer=mailing.mailer, mails=mails)
    return told


def _user(session: Session, participant_id: int) -> list[int]:
    p = session.get(EventParticipant, participant_id)
    return [p.user_id] if p else []


def request_received(session: Session, request: MeetingRequest) -> list[int]:
    """Tell the receiver a meeting request arrived (and, by mail, until when to answer)."""
    event = session.get(Event, request.event_id)
    title = event.title if event else "the event"
    until = f"{as_utc(request.expires_at):%d %B %Y, %H:%M} UTC"
    said = f"Their message: {request.message}\n\n" if request.message else ""
    detail = (f"{said}Accept or decline it on the event's requests page before {until}; "
              "a request left unanswered then expires.")  # fmt: skip
    return _send(session, user_ids=_user(session, request.receiver_id), kind="event_request",
                 message=f"{_org_name(session, request.sender_id)} asks to meet you at {title}.",
                 link=f"/events/{request.event_id}#requests", detail=detail)  # fmt: skip


_ANSWERED = {
    "accepted": ("{who} accepted your meeting request.",
                 "The meeting is on your list; it gets a time and a table when the organiser "
                 "publishes the agenda, and you will be told then."),
    "declined": ("{who} declined your meeting request.",
                 "You can ask other participants while booking is open."),
    "expired": ("Your meeting request to {who} expired unanswered.",
                "You can send a new request while booking is open."),
}  # fmt: skip


def request_answered(session: Session, request: MeetingRequest) -> list[int]:
    """Tell the sender its request was accepted, declined or expired (``request.status``)."""
    if request.status not in _ANSWERED:
        return []
    text, detail = _ANSWERED[request.status]
    return _send(session, user_ids=_user(session, request.sender_id),
                 kind=f"event_request_{request.status}",
                 message=text.format(who=_org_name(session, request.receiver_id)),
                 link=f"/events/{request.event_id}#requests", detail=detail)  # fmt: skip


def agenda_ready(session: Session, event_id: int) -> list[int]:
    """Tell every participant with a scheduled meeting that its agenda is ready, or changed
    when an earlier schedule run had published one."""
    event = session.get(Event, event_id)
    placed = select(Meeting.first_id, Meeting.second_id).where(
        Meeting.event_id == event_id, Meeting.active.is_(True), Meeting.slot.is_not(None)
    )
    ids = {pid for row in session.execute(placed) for pid in row}
    users = session.scalars(select(EventParticipant.user_id).where(
        EventParticipant.id.in_(ids), EventParticipant.active.is_(True))).all()  # fmt: skip
    title = event.title if event else "the event"
    runs = session.scalar(select(func.count()).where(ScheduleRun.event_id == event_id)) or 0
    state = "has changed" if runs > 1 else "is ready"
    return _send(session, user_ids=sorted(users), kind="event_agenda",
                 message=f"Your agenda for {title} {state}.",
                 link=f"/events/{event_id}/agenda",
                 detail="It gives the time and table of each of your meetings.")  # fmt: skip


def followups_due(session: Session, due: Sequence[FollowupDue]) -> list[int]:
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
                      link=f"/events/{event_id}/followup",
                      detail="For each of your meetings, say whether anything came of it: "
                             "it takes a minute and tells the organiser what the event was "
                             "worth.")  # fmt: skip
    return told
