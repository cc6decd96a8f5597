"""Matchmaking events on the day and after (pages): the organisers' desk (check-in, meetings
held or missed, the day's counts), the participants' follow-up questionnaire, and the
meetings suggested to a participant.

The rules are in ``services.events.day`` and ``services.events.followup``; these handlers parse
the forms, call them and show the page again with the problem next to its field (422).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events import day, events, followup, meetings, suggestions
from clusterhub.services.events import registration as reg
from clusterhub.services.events.access import find_participant
from clusterhub.web.api.events import EventId, MeetingId, ParticipantId
from clusterhub.web.deps import (
    DbSession,
    DirCatalogues,
    DirIndex,
    Partners,
    PostedForm,
    SentenceEmbedder,
)
from clusterhub.web.forms import labelled
from clusterhub.web.routes.events import form_text, parse_number, redirect, render_page
from clusterhub.web.security import CurrentUser

router = APIRouter(include_in_schema=False)

DESK_LABELS = {"now": "Check-in", "status": "Check-in", "meeting_id": "Meeting",
               "no_show_id": "Who did not come", "held": "Meeting"}  # fmt: skip
FOLLOWUP_LABELS = {"outcome": "What came of it", "note": "Comment", "round": "Round",
                   "meeting_id": "Meeting"}  # fmt: skip


# --- the desk (managers) -----------------------------------------------------------------------


@router.get("/events/{event_id}/desk", response_class=HTMLResponse)
def desk(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    event_id: EventId,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Check-in, meetings held or missed, and the day's counts (managers)."""
    return _desk(request, session, user, event_id, q=q)


def _desk(
    request: Request,
    session: Session,
    user: UserPublic,
    event_id: int,
    status: int = 200,
    *,
    q: str = "",
    **context: Any,
) -> HTMLResponse:
    event = events.get_event(session, event_id=event_id, viewer=user)
    if not event.can_manage:
        raise PermissionDenied("the desk is for the event's managers")
    people = reg.list_participants(session, viewer=user, event_id=event_id)
    placed = [m for m in meetings.list_meetings(session, viewer=user, event_id=event_id) if m.slot]
    return render_page(
        request,
        "events/desk.html",
        status,
        event=event,
        summary=day.day_summary(session, viewer=user, event_id=event_id),
        people=reg.find_in_marketplace(people, text=q),
        total=len(people),
        q=q,
        by_slot=_by_slot(placed),
        desk_open=day.desk_open(session, event_id=event_id),
        on_the_day=event.status in day.ON_THE_DAY,
        **context,
    )


def _by_slot(placed: list[meetings.MeetingPublic]) -> list[tuple[int, list[Any]]]:
    """Scheduled meetings grouped by slot, in slot and table order."""
    slots: dict[int, list[meetings.MeetingPublic]] = {}
    for m in sorted(placed, key=lambda m: (m.slot or 0, m.table or 0)):
        slots.setdefault(m.slot or 0, []).append(m)
    return list(slots.items())


@router.post("/event-participants/{participant_id}/check-in", response_class=HTMLResponse)
def check_in(
    request: Request,
    form: PostedForm,
    session: DbSession,
    user: CurrentUser,
    participant_id: ParticipantId,
) -> Response:
    """Check a participant in at the desk, or take it back."""
    event_id = find_participant(session, participant_id).event_id
    try:
        day.check_in(session, actor=user, participant_id=participant_id,
                     undo=form.get("undo") == "1")  # fmt: skip
    except InvalidInput as exc:
        return _desk(request, session, user, event_id, 422, failed=participant_id,
                     errors=labelled(exc.problems, DESK_LABELS))  # fmt: skip
    return redirect(f"/events/{event_id}/desk#p-{participant_id}")


@router.post("/meetings/{meeting_id}/held", response_class=HTMLResponse)
def mark_meeting(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, meeting_id: MeetingId
) -> Response:
    """Record a meeting held, or (managers) who did not come. Participants come from their
    agenda and go back to it; managers from the desk."""
    event_id = meetings.find_meeting(session, meeting_id).event_id
    back = form_text(form, "back", 20)
    missing = form_text(form, "no_show_id", 20)
    try:
        no_show = parse_number(missing, "no_show_id", int) if missing else None
        day.mark_meeting(session, actor=user, meeting_id=meeting_id, held=no_show is None,
                         no_show_id=no_show)  # fmt: skip
    except InvalidInput as exc:
        if back == "agenda":
            raise
        return _desk(request, session, user, event_id, 422, failed_meeting=meeting_id,
                     errors=labelled(exc.problems, DESK_LABELS))  # fmt: skip
    if back == "agenda":
        return redirect(f"/events/{event_id}/agenda?saved=held#m-{meeting_id}")
    return redirect(f"/events/{event_id}/desk#m-{meeting_id}")


# --- suggested meetings (participants) ---------------------------------------------------------


@router.get("/events/{event_id}/suggestions", response_class=HTMLResponse)
def suggestions_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    event_id: EventId,
    index: DirIndex,
    embedder: SentenceEmbedder,
    partners: Partners,
    catalogues: DirCatalogues,
) -> HTMLResponse:
    """Participants worth meeting, each with why, and a request form."""
    event = events.get_event(session, event_id=event_id, viewer=user)
    evidence = partners.evidence(session, catalogues.clusters)
    found = suggestions.suggest_meetings(session, viewer=user, event_id=event_id, index=index,
                                         embedder=embedder, partners=evidence)  # fmt: skip
    people = {p.id: p for p in reg.list_participants(session, viewer=user, event_id=event_id)}
    return render_page(request, "events/suggestions.html", event=event, found=found,
                       people=people, model=evidence.status)  # fmt: skip


# --- the follow-up (participants) --------------------------------------------------------------


@router.get("/events/{event_id}/followup", response_class=HTMLResponse)
def followup_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    event_id: EventId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The questionnaire: what came of each held meeting, per round."""
    notice = "Thank you: your answer is saved." if saved else None
    return _followup(request, session, user, event_id, notice=notice)


def _followup(
    request: Request,
    session: Session,
    user: UserPublic,
    event_id: int,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    event = events.get_event(session, event_id=event_id, viewer=user)
    taking_part = reg.my_registration(session, viewer=user, event_id=event_id) is not None
    if not taking_part and not event.can_manage:
        raise PermissionDenied("the follow-up is for the event's participants")
    items = followup.my_followups(session, viewer=user, event_id=event_id) if taking_part else []
    return render_page(
        request, "events/followup.html", status, event=event, items=items,
        after=event.status in followup.AFTER, taking_part=taking_part, **context,
    )  # fmt: skip


@router.post("/meetings/{meeting_id}/outcome", response_class=HTMLResponse)
def record_outcome(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, meeting_id: MeetingId
) -> Response:
    """Save one answer of the questionnaire."""
    event_id = meetings.find_meeting(session, meeting_id).event_id
    round_ = form_text(form, "round", 20)
    values = {"outcome": form_text(form, "outcome", 40), "note": form_text(form, "note", 2001)}
    try:
        if not values["outcome"]:
            raise InvalidInput.single("choose one answer", field="outcome")
        followup.record_outcome(session, actor=user, meeting_id=meeting_id, round=round_,
                                outcome=values["outcome"], note=values["note"])  # fmt: skip
    except InvalidInput as exc:
        return _followup(request, session, user, event_id, 422,
                         failed=(meeting_id, round_), values=values,
                         errors=labelled(exc.problems, FOLLOWUP_LABELS))  # fmt: skip
    return redirect(f"/events/{event_id}/followup?saved=1#m-{meeting_id}")
