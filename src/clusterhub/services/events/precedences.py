"""The organiser's order of meetings: meeting A takes an earlier slot than meeting B.

An order that could never hold is refused when it is set, not discovered by a failed schedule
run: a rule that closes a cycle (A before B before … before A) names the meetings on it. The
scheduler honours every rule of the active meetings (``agenda.prepare``). Every change bumps
the event's version, as meeting changes do.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, NotFound, PermissionDenied
from clusterhub.services import audit
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events.access import (
    bump,
    find_event,
    is_manager,
    require_manager,
    require_status,
)
from clusterhub.services.events.meetings import ORGANISING, find_meeting, meeting_public
from clusterhub.store.events import Meeting, MeetingPrecedence


class PrecedencePublic(BaseModel):
    """One rule, with both meetings as the organiser reads them."""

    before_id: int
    after_id: int
    before: str
    after: str


def _pairs(session: Session, event_id: int) -> list[tuple[int, int]]:
    """The event's rules between active meetings, in the order they were set."""
    rows = session.execute(
        select(MeetingPrecedence.before_id, MeetingPrecedence.after_id)
        .join(Meeting, Meeting.id == MeetingPrecedence.before_id)
        .where(Meeting.event_id == event_id)
        .order_by(MeetingPrecedence.before_id, MeetingPrecedence.after_id)
    ).all()
    active = set(session.scalars(select(Meeting.id).where(
        Meeting.event_id == event_id, Meeting.active.is_(True))))  # fmt: skip
    return [(b, a) for b, a in rows if b in active and a in active]


def _path(pairs: list[tuple[int, int]], start: int, goal: int) -> list[int]:
    """Meetings from ``start`` to ``goal`` following the rules (empty when none leads)."""
    after: dict[int, list[int]] = defaultdict(list)
    for b, a in pairs:
        after[b].append(a)
    came: dict[int, int] = {start: start}
    todo = [start]
    while todo:
        here = todo.pop()
        if here == goal:
            path = [goal]
            while path[-1] != start:
                path.append(came[path[-1]])
            return path[::-1]
        for nxt in after[here]:
            if nxt not in came:
                came[nxt] = here
                todo.append(nxt)
    return []


def _public(session: Session, before: Meeting, after: Meeting) -> PrecedencePublic:
    def label(meeting: Meeting) -> str:
        shown = meeting_public(session, meeting)
        return f"meeting {meeting.id} ({shown.first_name} and {shown.second_name})"

    return PrecedencePublic(
        before_id=before.id, after_id=after.id, before=label(before), after=label(after)
    )


def add_precedence(
    session: Session, *, actor: UserPublic | None, before_id: int, after_id: int
) -> PrecedencePublic:
    """Meeting ``before_id`` must take an earlier slot than ``after_id`` (managers); a rule
    that would close a cycle is refused with the meetings on it."""
    before, after = find_meeting(session, before_id), find_meeting(session, after_id)
    event = find_event(session, before.event_id)
    user = require_manager(session, actor, event)
    require_status(event, ORGANISING, "order meetings")
    if after.event_id != event.id or before.id == after.id:
        raise InvalidInput.single("a different meeting of the same event", field="after_id",
                                  value=str(after_id))  # fmt: skip
    if not (before.active and after.active):
        raise InvalidInput.single("both meetings must be active", field="after_id",
                                  value=str(after_id))  # fmt: skip
    pairs = _pairs(session, event.id)
    cycle = _path(pairs, after.id, before.id)
    if cycle:
        order = " before ".join(f"meeting {m}" for m in [*cycle, after.id])
        raise InvalidInput.single(f"this would close a cycle that no schedule can honour: "
                                  f"{order}", field="after_id", value=str(after_id))  # fmt: skip
    if (before.id, after.id) not in pairs:
        session.add(MeetingPrecedence(before_id=before.id, after_id=after.id))
        bump(session, event.id)
        audit.record(session, actor_id=user.id, action="events.add_precedence",
                     entity_type="meeting", entity_id=before.id,
                     details={"after_id": after.id})  # fmt: skip
    return _public(session, before, after)


def remove_precedence(
    session: Session, *, actor: UserPublic | None, before_id: int, after_id: int
) -> None:
    """Drop the rule "``before_id`` before ``after_id``" (managers)."""
    before = find_meeting(session, before_id)
    event = find_event(session, before.event_id)
    user = require_manager(session, actor, event)
    require_status(event, ORGANISING, "order meetings")
    rule = session.get(MeetingPrecedence, {"before_id": before_id, "after_id": after_id})
    if rule is None:
        raise NotFound(f"no rule that meeting {before_id} comes before meeting {after_id}")
    session.delete(rule)
    bump(session, event.id)
    audit.record(session, actor_id=user.id, action="events.remove_precedence",
                 entity_type="meeting", entity_id=before_id,
                 details={"after_id": after_id})  # fmt: skip


def list_precedences(
    session: Session, *, viewer: UserPublic | None, event_id: int
) -> list[PrecedencePublic]:
    """The event's rules between active meetings (managers)."""
    event = find_event(session, event_id)
    if not is_manager(session, viewer, event):
        raise PermissionDenied("the order of meetings is for the event's managers")
    return [
        _public(session, find_meeting(session, b), find_meeting(session, a))
        for b, a in _pairs(session, event.id)
    ]
