"""Matchmaking events in the JSON API under /api/v1 (issue 13).

Handlers parse, call ``services.events`` and return its schemas; rights and rules live
there, errors go to ``web/errors.py`` (422 names the field, 403/404 for rights, 409 when the
event changed while a schedule run solved). The pages are ``web/routes/events.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from clusterhub.services.accounts.notifications import MAX_ID
from clusterhub.services.events import agenda, calendar, dashboard, events, meetings, precedences
from clusterhub.services.events import registration as reg
from clusterhub.services.events import requests as reqs
from clusterhub.services.events.access import EventStatus
from clusterhub.services.events.agenda import AgendaItem, PlanRow, RunPublic
from clusterhub.services.events.dashboard import Dashboard
from clusterhub.services.events.events import EventInput, EventPublic
from clusterhub.services.events.meetings import MeetingPublic, MeetingRules
from clusterhub.services.events.precedences import PrecedencePublic
from clusterhub.services.events.registration import (
    ParticipantPublic,
    ProfileInput,
    RegistrationInput,
)
from clusterhub.services.events.requests import RequestPublic
from clusterhub.web.api.params import ErrorBody
from clusterhub.web.deps import DbSession
from clusterhub.web.security import CurrentUser, OptionalUser

EventId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]
MeetingId = Annotated[int, Path(ge=1, le=MAX_ID)]
ParticipantId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: The longest a schedule run from the web may take (the command line may take longer).
WEB_TIME_LIMIT = 300.0
ICS_TYPE = "text/calendar; charset=utf-8"

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Log in first (session cookie)"},
    403: {"model": ErrorBody, "description": "Not allowed, or the CSRF header is missing"},
    404: {"model": ErrorBody, "description": "No such event, request or meeting"},
    409: {"model": ErrorBody, "description": "The event changed while the scheduler ran"},
    422: {"model": ErrorBody, "description": "A field is malformed or a rule refuses; named"},
}
router = APIRouter(prefix="/api/v1", tags=["events"], responses=ERRORS)


class StatusChange(BaseModel):
    """The status an event moves to (``scheduled`` is reached by a schedule run)."""

    model_config = ConfigDict(extra="forbid")

    status: EventStatus


class AdminInput(BaseModel):
    """The e-mail address of the account to make an event admin."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)


class Admins(BaseModel):
    """The event admins' e-mail addresses."""

    admins: list[str]


class RequestInput(BaseModel):
    """A meeting request to another participant of the event."""

    model_config = ConfigDict(extra="forbid")

    receiver_id: int = Field(ge=1, le=MAX_ID, description="The receiver's participant id.")
    message: str = Field(default="", max_length=2000)


class MeetingInput(BaseModel):
    """An organiser's meeting between two participants, with its rules."""

    model_config = ConfigDict(extra="forbid")

    first_id: int = Field(ge=1, le=MAX_ID)
    second_id: int = Field(ge=1, le=MAX_ID)
    rules: MeetingRules = Field(default_factory=MeetingRules)


class PrecedenceInput(BaseModel):
    """The meeting that must come later than the one in the path."""

    model_config = ConfigDict(extra="forbid")

    after_id: int = Field(ge=1, le=MAX_ID, description="The meeting that takes a later slot.")


class RunInput(BaseModel):
    """How long the scheduler may search, and the fairness bound on breaks."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float = Field(default=60.0, gt=0, le=WEB_TIME_LIMIT)
    fairness: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Largest minus smallest number of breaks among those who meet; none: any.",
    )


@router.get("/events")
def api_events(session: DbSession, user: OptionalUser) -> list[EventPublic]:
    """Published events for everyone, and the drafts the caller manages; soonest first."""
    return events.list_events(session, viewer=user)


@router.post("/events", status_code=201)
def api_create_event(
    session: DbSession, user: CurrentUser, body: Annotated[EventInput, Body()]
) -> EventPublic:
    """A new draft event of a profile the caller administers."""
    return events.create_event(session, actor=user, data=body)


@router.get("/events/{event_id}")
def api_event(session: DbSession, user: OptionalUser, event_id: EventId) -> EventPublic:
    """An event with its sessions, slots and tables (a draft for its managers only)."""
    return events.get_event(session, event_id=event_id, viewer=user)


@router.put("/events/{event_id}")
def api_update_event(
    session: DbSession, user: CurrentUser, event_id: EventId, body: Annotated[EventInput, Body()]
) -> EventPublic:
    """Change an event (managers); sessions and tables only while it is a draft."""
    return events.update_event(session, actor=user, event_id=event_id, data=body)


@router.post("/events/{event_id}/status")
def api_event_status(
    session: DbSession, user: CurrentUser, event_id: EventId, body: Annotated[StatusChange, Body()]
) -> EventPublic:
    """Publish, close booking, reopen, mark held or closed (managers)."""
    return events.change_status(session, actor=user, event_id=event_id, status=body.status)


@router.post("/events/{event_id}/admins")
def api_add_admin(
    session: DbSession, user: CurrentUser, event_id: EventId, body: Annotated[AdminInput, Body()]
) -> Admins:
    """Make an account an event admin (the organiser profile's admins)."""
    return Admins(
        admins=events.add_event_admin(session, actor=user, event_id=event_id, email=body.email)
    )


@router.get("/events/{event_id}/participants")
def api_participants(
    session: DbSession, user: CurrentUser, event_id: EventId
) -> list[ParticipantPublic]:
    """The marketplace: the event's participants (for participants and managers)."""
    return reg.list_participants(session, viewer=user, event_id=event_id)


@router.post("/events/{event_id}/participants", status_code=201)
def api_register(
    session: DbSession,
    user: CurrentUser,
    event_id: EventId,
    body: Annotated[RegistrationInput, Body()],
) -> ParticipantPublic:
    """Register for the event on behalf of a profile the caller administers."""
    return reg.register(session, actor=user, event_id=event_id, data=body)


@router.put("/event-participants/{participant_id}")
def api_update_registration(
    session: DbSession,
    user: CurrentUser,
    participant_id: ParticipantId,
    body: Annotated[ProfileInput, Body()],
) -> ParticipantPublic:
    """Change one's own event profile and unavailable slots (until the event is scheduled)."""
    return reg.update_registration(session, actor=user, participant_id=participant_id, data=body)


@router.post("/event-participants/{participant_id}/cancel")
def api_cancel_registration(
    session: DbSession, user: CurrentUser, participant_id: ParticipantId
) -> ParticipantPublic:
    """Cancel a registration (the participant or a manager); its requests and meetings end."""
    return reg.cancel_registration(session, actor=user, participant_id=participant_id)


@router.get("/events/{event_id}/requests")
def api_requests(session: DbSession, user: CurrentUser, event_id: EventId) -> list[RequestPublic]:
    """The caller's requests, sent and received (every request for managers)."""
    return reqs.list_requests(session, viewer=user, event_id=event_id)


@router.post("/events/{event_id}/requests", status_code=201)
def api_send_request(
    session: DbSession, user: CurrentUser, event_id: EventId, body: Annotated[RequestInput, Body()]
) -> RequestPublic:
    """Ask another participant for a meeting, with a message."""
    return reqs.send_request(
        session, actor=user, event_id=event_id, receiver_id=body.receiver_id, message=body.message
    )


@router.get("/event-requests/{request_id}")
def api_request(session: DbSession, user: CurrentUser, request_id: RequestId) -> RequestPublic:
    """A request, for its two sides and the managers (to others: not found)."""
    return reqs.get_request(session, viewer=user, request_id=request_id)


@router.post("/event-requests/{request_id}/accept")
def api_accept(session: DbSession, user: CurrentUser, request_id: RequestId) -> RequestPublic:
    """The receiver accepts: the request becomes a meeting."""
    return reqs.accept_request(session, actor=user, request_id=request_id)


@router.post("/event-requests/{request_id}/decline")
def api_decline(session: DbSession, user: CurrentUser, request_id: RequestId) -> RequestPublic:
    """The receiver declines."""
    return reqs.decline_request(session, actor=user, request_id=request_id)


@router.post("/event-requests/{request_id}/withdraw")
def api_withdraw(session: DbSession, user: CurrentUser, request_id: RequestId) -> RequestPublic:
    """Either side withdraws an open request."""
    return reqs.withdraw_request(session, actor=user, request_id=request_id)


@router.get("/events/{event_id}/meetings")
def api_meetings(session: DbSession, user: CurrentUser, event_id: EventId) -> list[MeetingPublic]:
    """Every active meeting (managers); one's own meetings (participants)."""
    return meetings.list_meetings(session, viewer=user, event_id=event_id)


@router.post("/events/{event_id}/meetings", status_code=201)
def api_add_meeting(
    session: DbSession, user: CurrentUser, event_id: EventId, body: Annotated[MeetingInput, Body()]
) -> MeetingPublic:
    """The organiser's meeting between two participants."""
    return meetings.add_meeting(
        session,
        actor=user,
        event_id=event_id,
        first_id=body.first_id,
        second_id=body.second_id,
        rules=body.rules,
    )


@router.put("/meetings/{meeting_id}/rules")
def api_meeting_rules(
    session: DbSession,
    user: CurrentUser,
    meeting_id: MeetingId,
    body: Annotated[MeetingRules, Body()],
) -> MeetingPublic:
    """Set a meeting's priority, session, fixed slot and table, or lock it (managers)."""
    return meetings.set_meeting_rules(session, actor=user, meeting_id=meeting_id, rules=body)


@router.post("/meetings/{meeting_id}/cancel")
def api_cancel_meeting(
    session: DbSession, user: CurrentUser, meeting_id: MeetingId
) -> MeetingPublic:
    """Cancel a meeting (managers)."""
    return meetings.cancel_meeting(session, actor=user, meeting_id=meeting_id)


@router.get("/events/{event_id}/precedences")
def api_precedences(
    session: DbSession, user: CurrentUser, event_id: EventId
) -> list[PrecedencePublic]:
    """The order of meetings the organiser set: each rule's earlier and later meeting."""
    return precedences.list_precedences(session, viewer=user, event_id=event_id)


@router.post("/meetings/{meeting_id}/precedences", status_code=201)
def api_add_precedence(
    session: DbSession,
    user: CurrentUser,
    meeting_id: MeetingId,
    body: Annotated[PrecedenceInput, Body()],
) -> PrecedencePublic:
    """Meeting ``meeting_id`` takes an earlier slot than ``after_id`` (managers); a rule that
    closes a cycle is refused (422) with the meetings on it."""
    return precedences.add_precedence(
        session, actor=user, before_id=meeting_id, after_id=body.after_id
    )


@router.delete("/meetings/{meeting_id}/precedences/{after_id}", status_code=204)
def api_remove_precedence(
    session: DbSession, user: CurrentUser, meeting_id: MeetingId, after_id: MeetingId
) -> Response:
    """Drop the rule that ``meeting_id`` comes before ``after_id`` (managers)."""
    precedences.remove_precedence(session, actor=user, before_id=meeting_id, after_id=after_id)
    return Response(status_code=204)


@router.post("/events/{event_id}/schedule-runs", status_code=201)
def api_run_schedule(
    request: Request, user: CurrentUser, event_id: EventId, body: Annotated[RunInput, Body()]
) -> RunPublic:
    """Schedule the accepted meetings (managers). The run opens its own transactions (no
    request session: it must not hold the write lock while it solves)."""
    return agenda.run_schedule(
        request.app.state.write_sessions,
        actor=user,
        event_id=event_id,
        time_limit=body.time_limit,
        fairness=body.fairness,
    )


@router.get("/events/{event_id}/schedule-runs/latest")
def api_latest_run(session: DbSession, user: CurrentUser, event_id: EventId) -> RunPublic | None:
    """The last schedule run with the reason for each unplaced meeting (managers)."""
    return agenda.latest_run(session, viewer=user, event_id=event_id)


@router.get("/events/{event_id}/agenda")
def api_agenda(session: DbSession, user: CurrentUser, event_id: EventId) -> list[AgendaItem]:
    """The caller's scheduled meetings, in slot order."""
    return agenda.agenda_of(session, viewer=user, event_id=event_id)


@router.get(
    "/events/{event_id}/agenda.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar file"}},
)
def api_agenda_ics(session: DbSession, user: CurrentUser, event_id: EventId) -> Response:
    """The caller's agenda as an iCalendar file (RFC 5545)."""
    return ics_response(calendar.agenda_ics(session, viewer=user, event_id=event_id), event_id)


def ics_response(text: str, event_id: int) -> Response:
    """An ``.ics`` download, never cached (it is someone's own agenda)."""
    return Response(
        text.encode(),
        media_type=ICS_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="event-{event_id}-agenda.ics"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/events/{event_id}/table-plan")
def api_table_plan(session: DbSession, user: CurrentUser, event_id: EventId) -> list[PlanRow]:
    """Every table of every slot with its meeting (managers)."""
    return agenda.table_plan(session, viewer=user, event_id=event_id)


@router.get("/events/{event_id}/dashboard")
def api_dashboard(session: DbSession, user: CurrentUser, event_id: EventId) -> Dashboard:
    """Registrations, requests, meetings, breaks and table use in numbers (managers)."""
    return dashboard.dashboard(session, viewer=user, event_id=event_id)
