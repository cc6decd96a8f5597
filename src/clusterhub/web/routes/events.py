"""Matchmaking events: pages (Jinja2 + HTMX); the JSON API is ``web/api/events.py``.

Handlers parse forms, call ``services.events`` and render; every rule and right lives in the
services. A form with a problem is shown again (422) with the problem next to its field;
other domain errors go to ``web/errors.py`` (403/404 pages, never a 500). Times are shown in
the event's zone, as the services give them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from clusterhub.errors import InvalidInput, Problem
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.directory import profiles as directory
from clusterhub.services.events import agenda, calendar, dashboard, events, meetings
from clusterhub.services.events import registration as reg
from clusterhub.services.events import requests as reqs
from clusterhub.services.events.events import EventPublic
from clusterhub.services.events.slots import event_slots
from clusterhub.services.reports import render
from clusterhub.services.reports.printing import PrintShop
from clusterhub.web.api.events import (
    WEB_TIME_LIMIT,
    EventId,
    MeetingId,
    RequestId,
    ics_response,
)
from clusterhub.web.deps import DbSession, PostedForm
from clusterhub.web.forms import labelled
from clusterhub.web.security import CurrentUser, OptionalUser, client_address

NO_STORE = {"Cache-Control": "no-store"}
NOTICES = {
    "created": "The event is saved as a draft: add what it needs, then publish it.",
    "saved": "Your changes are saved.",
    "status": "The event's status changed.",
    "admin": "The event admin was added.",
    "registered": "You are registered: find partners in the marketplace below.",
    "sent": "Your request was sent.",
    "answered": "The request was answered.",
    "meeting": "The meeting was saved.",
}
STATUS_LABELS = {
    "draft": "Draft",
    "published": "Open for registration and requests",
    "booking_closed": "Booking closed",
    "scheduled": "Scheduled",
    "held": "Held",
    "closed": "Closed",
}
#: The organiser's buttons: the status each moves to, and what it says.
STATUS_BUTTONS = {
    "published": "Publish (open registration and requests)",
    "booking_closed": "Close booking",
    "held": "Mark as held",
    "closed": "Close the event",
}
TYPE_LABELS = {
    "cluster_organisation": "Cluster organisation",
    "sme": "SME",
    "large_company": "Large company",
    "research": "Research organisation",
    "university": "University",
    "investor": "Investor",
    "public_body": "Public body",
    "other": "Other",
}
#: Field labels, in form order: they name a field in error messages.
EVENT_LABELS = {
    "title": "Title",
    "organiser_id": "Organiser",
    "description": "Description",
    "mode": "Mode",
    "venue": "Venue",
    "time_zone": "Time zone",
    "registration_opens_at": "Registration opens",
    "registration_closes_at": "Registration closes",
    "booking_opens_at": "Booking opens",
    "booking_closes_at": "Booking closes",
    "request_mode": "Requests",
    "request_expiry_hours": "Requests expire after",
    "max_meetings": "Meetings per participant",
    "max_opportunities": "Opportunities per participant",
    "sessions": "Sessions",
    "tables": "Table names",
    "table_count": "Number of tables",
    "status": "Status",
    "email": "E-mail address",
}
REGISTER_LABELS = {
    "organisation_id": "On behalf of",
    "participant_type": "Type",
    "offer": "We offer",
    "seek": "We seek",
    "opportunities": "Opportunities",
    "unavailable_slots": "Unavailable slots",
    "status": "Registration",
    "registration_opens_at": "Registration",
    "registration_closes_at": "Registration",
}
REQUEST_LABELS = {
    "receiver_id": "Participant",
    "message": "Message",
    "status": "Request",
    "booking_opens_at": "Booking",
    "booking_closes_at": "Booking",
}
RUN_LABELS = {
    "time_limit": "Time limit",
    "fairness": "Fairness",
    "meetings": "Meetings",
    "status": "Status",
    "session_kind": "Sessions",
}
MEETING_LABELS = {
    "first_id": "First participant",
    "second_id": "Second participant",
    "fixed_slot": "Fixed slot",
    "fixed_table": "Fixed table",
    "status": "Meeting",
    "session_kind": "Session",
}
EVENT_FIELDS = (
    "title",
    "organiser_id",
    "description",
    "mode",
    "venue",
    "time_zone",
    "registration_opens_at",
    "registration_closes_at",
    "booking_opens_at",
    "booking_closes_at",
    "request_mode",
    "request_expiry_hours",
    "max_meetings",
    "max_opportunities",
    "table_count",
    "tables",
)
SESSION_ROWS = 4
FormText = Annotated[str, Query(max_length=20)]

router = APIRouter(include_in_schema=False)


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("errors", [])
    context.setdefault("values", {})
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request,
        template,
        {"nav": "events", "status_labels": STATUS_LABELS, "type_labels": TYPE_LABELS, **context},
        status_code=status,
        headers=NO_STORE,
    )
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _text(form: FormData, name: str, limit: int = 10_000) -> str:
    return str(form.get(name) or "").strip()[:limit]


# --- the list and the event page ---------------------------------------------------------------


@router.get("/events", response_class=HTMLResponse)
def event_list(request: Request, session: DbSession, user: OptionalUser) -> HTMLResponse:
    """Published events for everyone; drafts for their managers."""
    found = events.list_events(session, viewer=user)
    profiles = directory.my_profiles(session, actor=user) if user else []
    return _render(request, "events/list.html", listing=found, me=user, can_create=bool(profiles))


# --- organisers: create and edit -----------------------------------------------------------------


@router.get("/events/new", response_class=HTMLResponse)
def new_event_form(request: Request, session: DbSession, user: OptionalUser) -> Response:
    """The form for a new event of a profile the user administers."""
    if user is None:
        return _redirect(f"/account/login?next={request.url.path}")
    values = {
        "mode": "venue",
        "time_zone": "Europe/Brussels",
        "request_mode": "opt_in",
        "request_expiry_hours": "72",
        "max_opportunities": "3",
        "table_count": "10",
        "sessions": [],
    }
    return _form(request, session, user, values=values)


@router.post("/events/new", response_class=HTMLResponse)
def create_event_page(
    request: Request, user: CurrentUser, form: PostedForm, session: DbSession
) -> Response:
    """Save the new draft, or show the form again with what is wrong."""
    values = _event_values(form)
    try:
        created = events.create_event(session, actor=user, data=_event_data(values))
    except InvalidInput as exc:
        return _form(request, session, user, values=values, errors=exc.problems, status=422)
    return _redirect(f"/events/{created.id}?saved=created")


@router.get("/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event_form(
    request: Request, session: DbSession, user: OptionalUser, event_id: EventId
) -> Response:
    """The edit form (managers)."""
    if user is None:
        return _redirect(f"/account/login?next={request.url.path}")
    event = events.get_event(session, event_id=event_id, viewer=user)
    if not event.can_manage:
        events.change_status(session, actor=user, event_id=event_id, status=event.status)
    return _form(request, session, user, values=_stored_values(event), event=event)


@router.post("/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event(
    request: Request, user: CurrentUser, form: PostedForm, session: DbSession, event_id: EventId
) -> Response:
    """Save the edited event."""
    values = _event_values(form)
    try:
        events.update_event(session, actor=user, event_id=event_id, data=_event_data(values))
    except InvalidInput as exc:
        event = events.get_event(session, event_id=event_id, viewer=user)
        return _form(
            request, session, user, values=values, errors=exc.problems, status=422, event=event
        )
    return _redirect(f"/events/{event_id}?saved=saved")


def _form(
    request: Request,
    session: Session,
    user: UserPublic,
    *,
    values: dict[str, Any],
    status: int = 200,
    errors: list[Problem] | None = None,
    **context: Any,
) -> Response:
    rows = list(values.get("sessions") or [])
    rows += [{}] * max(0, SESSION_ROWS - len(rows))
    return _render(
        request,
        "events/form.html",
        status,
        values=values,
        session_rows=rows,
        profiles=directory.my_profiles(session, actor=user),
        errors=labelled(errors or [], EVENT_LABELS),
        **context,
    )


def _event_values(form: FormData) -> dict[str, Any]:
    """The event form as typed: its fields, and one row per session."""
    values: dict[str, Any] = {name: _text(form, name) for name in EVENT_FIELDS}
    columns = [form.getlist(f"session_{part}")[:60] for part in ("date", "start", "end", "minutes")]
    values["sessions"] = [
        {"date": str(d), "start": str(s), "end": str(e), "slot_minutes": str(m)}
        for d, s, e, m in zip(*columns, strict=False)
        if any(str(v).strip() for v in (d, s, e))
    ]
    return values


def _event_data(values: dict[str, Any]) -> dict[str, Any]:
    """Form values as the service takes them: empty fields left out (the defaults apply),
    table names one a line."""
    data = {k: v for k, v in values.items() if k not in ("tables", "sessions") and v != ""}
    data["sessions"] = values["sessions"]
    names = [line.strip() for line in values["tables"].splitlines() if line.strip()]
    if names:
        data["tables"] = [{"name": name} for name in names]
    return data


def _stored_values(event: EventPublic) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(event, name, "") for name in EVENT_FIELDS}
    for name in (
        "registration_opens_at",
        "registration_closes_at",
        "booking_opens_at",
        "booking_closes_at",
    ):
        moment = values[name]
        values[name] = _local(event, moment).strftime("%Y-%m-%dT%H:%M") if moment else ""
    values["max_meetings"] = event.max_meetings or ""
    values["venue"] = event.venue or ""
    values["table_count"] = ""
    values["tables"] = "\n".join(t.name for t in event.tables)
    values["sessions"] = [
        {
            "date": _local(event, b.starts_at).date().isoformat(),
            "start": _local(event, b.starts_at).strftime("%H:%M"),
            "end": _local(event, b.ends_at).strftime("%H:%M"),
            "slot_minutes": b.slot_minutes,
        }
        for b in event.sessions
    ]
    return values


def _local(event: EventPublic, moment: Any) -> Any:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    return moment.astimezone(ZoneInfo(event.time_zone))


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    event_id: EventId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The event: what, where and when; for participants the marketplace and their requests;
    for managers the organiser's buttons."""
    return _event(request, session, user, event_id, notice=NOTICES.get(saved or ""))


def _event(
    request: Request,
    session: Session,
    user: UserPublic | None,
    event_id: int,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    event = events.get_event(session, event_id=event_id, viewer=user)
    mine = reg.my_registration(session, viewer=user, event_id=event_id) if user else None
    people, requests = [], []
    if mine is not None or event.can_manage:
        people = reg.list_participants(session, viewer=user, event_id=event_id)
        requests = reqs.list_requests(session, viewer=user, event_id=event_id)
    names = {p.id: p.organisation_name for p in people}
    asked = {
        r.receiver_id
        for r in requests
        if mine and r.sender_id == mine.id and r.status in ("sent", "accepted")
    }
    return _render(
        request,
        "events/detail.html",
        status,
        event=event,
        me=user,
        mine=mine,
        people=people,
        requests=requests,
        names=names,
        asked=asked,
        slots=_slot_times(session, event),
        profiles=directory.my_profiles(session, actor=user) if user else [],
        buttons={s: STATUS_BUTTONS[s] for s in events.NEXT[event.status] if s in STATUS_BUTTONS},
        web_time_limit=WEB_TIME_LIMIT,
        **context,
    )


def _slot_times(session: Session, event: EventPublic) -> list[tuple[int, str]]:
    """Each slot's number and local start, for the unavailable-slot choices."""
    return [
        (s.number, s.local(event.time_zone)[0].strftime("%a %d %b %H:%M"))
        for s in event_slots(session, event.id)
    ]


# --- organisers: status, admins, meetings, runs ------------------------------------------------


@router.post("/events/{event_id}/status", response_class=HTMLResponse)
def change_status(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Move the event one step."""
    try:
        events.change_status(
            session, actor=user, event_id=event_id, status=_text(form, "status", 20)
        )
    except InvalidInput as exc:
        return _event(
            request,
            session,
            user,
            event_id,
            422,
            form="status",
            errors=labelled(exc.problems, EVENT_LABELS),
        )
    return _redirect(f"/events/{event_id}?saved=status")


@router.post("/events/{event_id}/admins", response_class=HTMLResponse)
def add_admin(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Make an account an event admin."""
    try:
        events.add_event_admin(
            session, actor=user, event_id=event_id, email=_text(form, "email", 320)
        )
    except InvalidInput as exc:
        return _event(
            request,
            session,
            user,
            event_id,
            422,
            form="admins",
            errors=labelled(exc.problems, EVENT_LABELS),
        )
    return _redirect(f"/events/{event_id}?saved=admin")


@router.post("/events/{event_id}/schedule", response_class=HTMLResponse)
def run_schedule(
    request: Request, form: PostedForm, user: CurrentUser, event_id: EventId
) -> Response:
    """Run the scheduler (managers) and show its result. The run opens its own transactions:
    this handler holds no request session while it solves."""
    values = {"time_limit": _text(form, "time_limit", 20), "fairness": _text(form, "fairness", 20)}
    try:
        limit = _number(values["time_limit"] or "60", "time_limit", float)
        fairness = _number(values["fairness"], "fairness", int) if values["fairness"] else None
        if not 0 < limit <= WEB_TIME_LIMIT:
            raise InvalidInput.single(
                f"expected more than 0 and at most {WEB_TIME_LIMIT:g} seconds",
                field="time_limit",
                value=values["time_limit"],
            )
        agenda.run_schedule(
            request.app.state.write_sessions,
            actor=user,
            event_id=event_id,
            time_limit=limit,
            fairness=fairness,
        )
    except InvalidInput as exc:
        with request.app.state.sessions() as session:
            return _event(
                request,
                session,
                user,
                event_id,
                422,
                form="run",
                run_values=values,
                errors=labelled(exc.problems, RUN_LABELS),
            )
    return _redirect(f"/events/{event_id}/run")


def _number(text: str, field: str, kind: Callable[[str], Any]) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise InvalidInput.single("expected a number", field=field, value=text) from None


@router.get("/events/{event_id}/run", response_class=HTMLResponse)
def run_result(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> HTMLResponse:
    """The last schedule run, explained (managers)."""
    run = agenda.latest_run(session, viewer=user, event_id=event_id)
    event = events.get_event(session, event_id=event_id, viewer=user)
    listed = {m.id: m for m in meetings.list_meetings(session, viewer=user, event_id=event_id)}
    return _render(request, "events/run.html", event=event, run=run, meetings=listed)


@router.get("/events/{event_id}/meetings", response_class=HTMLResponse)
def meeting_list(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> HTMLResponse:
    """Every meeting with the organiser's controls (managers)."""
    return _meetings(request, session, user, event_id)


def _meetings(
    request: Request,
    session: Session,
    user: UserPublic,
    event_id: int,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    event = events.get_event(session, event_id=event_id, viewer=user)
    if not event.can_manage:
        agenda.latest_run(session, viewer=user, event_id=event_id)  # refuses with the reason
    found = meetings.list_meetings(session, viewer=user, event_id=event_id)
    people = reg.list_participants(session, viewer=user, event_id=event_id)
    return _render(
        request,
        "events/meetings.html",
        status,
        event=event,
        meetings=found,
        people=people,
        **context,
    )


@router.post("/events/{event_id}/meetings", response_class=HTMLResponse)
def add_meeting(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """The organiser's meeting between two participants."""
    values = {name: _text(form, name, 20) for name in ("first_id", "second_id")}
    try:
        first = _number(values["first_id"], "first_id", int)
        second = _number(values["second_id"], "second_id", int)
        meetings.add_meeting(
            session, actor=user, event_id=event_id, first_id=first, second_id=second
        )
    except InvalidInput as exc:
        return _meetings(
            request,
            session,
            user,
            event_id,
            422,
            values=values,
            errors=labelled(exc.problems, MEETING_LABELS),
        )
    return _redirect(f"/events/{event_id}/meetings")


@router.post("/meetings/{meeting_id}/rules", response_class=HTMLResponse)
def meeting_rules(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, meeting_id: MeetingId
) -> Response:
    """Lock a meeting or fix its slot and table."""
    found = meetings.meeting_public(session, meetings.find_meeting(session, meeting_id))
    rules = {
        "priority": form.get("priority") == "on",
        "locked": form.get("locked") == "on",
        "session_kind": _text(form, "session_kind", 20) or "any",
    }
    try:
        for name in ("fixed_slot", "fixed_table"):
            rules[name] = _number(_text(form, name, 20), name, int) if _text(form, name) else None
        meetings.set_meeting_rules(session, actor=user, meeting_id=meeting_id, rules=rules)
    except InvalidInput as exc:
        return _meetings(
            request,
            session,
            user,
            found.event_id,
            422,
            failed=meeting_id,
            errors=labelled(exc.problems, MEETING_LABELS),
        )
    return _redirect(f"/events/{found.event_id}/meetings")


@router.post("/meetings/{meeting_id}/cancel", response_class=HTMLResponse)
def cancel_meeting(
    request: Request, session: DbSession, user: CurrentUser, meeting_id: MeetingId
) -> Response:
    """Cancel a meeting (managers)."""
    found = meetings.cancel_meeting(session, actor=user, meeting_id=meeting_id)
    return _redirect(f"/events/{found.event_id}/meetings")


# --- participants ------------------------------------------------------------------------------


@router.post("/events/{event_id}/register", response_class=HTMLResponse)
def register(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Register on behalf of a profile the user administers."""
    values: dict[str, Any] = {
        name: _text(form, name, 2000)
        for name in ("organisation_id", "participant_type", "offer", "seek")
    }
    values["opportunities"] = _text(form, "opportunities")
    values["unavailable_slots"] = [str(v)[:6] for v in form.getlist("unavailable_slots")][:500]
    data: dict[str, Any] = {
        **{k: v for k, v in values.items() if k not in ("opportunities", "unavailable_slots")},
        "opportunities": _opportunities(values["opportunities"]),
        "unavailable_slots": values["unavailable_slots"],
    }
    try:
        reg.register(session, actor=user, event_id=event_id, data=data)
    except InvalidInput as exc:
        return _event(
            request,
            session,
            user,
            event_id,
            422,
            form="register",
            values=values,
            errors=labelled(exc.problems, REGISTER_LABELS),
        )
    return _redirect(f"/events/{event_id}?saved=registered")


def _opportunities(text: str) -> list[dict[str, str]]:
    """One opportunity a line: "offer: title" or "seek: title" (a line without a kind is an
    offer)."""
    found = []
    for line in text.splitlines():
        kind, _, title = line.partition(":")
        if not title:
            kind, title = "offer", line
        if title.strip():
            found.append({"kind": kind.strip().lower(), "title": title.strip()})
    return found


@router.post("/events/{event_id}/requests", response_class=HTMLResponse)
def send_request(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Ask another participant for a meeting."""
    values = {
        "receiver_id": _text(form, "receiver_id", 20),
        "message": _text(form, "message", 2000),
    }
    try:
        receiver = _number(values["receiver_id"], "receiver_id", int)
        reqs.send_request(
            session, actor=user, event_id=event_id, receiver_id=receiver, message=values["message"]
        )
    except InvalidInput as exc:
        return _event(
            request,
            session,
            user,
            event_id,
            422,
            form=f"request-{values['receiver_id']}",
            values=values,
            errors=labelled(exc.problems, REQUEST_LABELS),
        )
    return _redirect(f"/events/{event_id}?saved=sent#requests")


ANSWERS = {
    "accept": reqs.accept_request,
    "decline": reqs.decline_request,
    "withdraw": reqs.withdraw_request,
}


@router.post("/event-requests/{request_id}/{action}", response_class=HTMLResponse)
def answer_request(
    request: Request, session: DbSession, user: CurrentUser, request_id: RequestId, action: str
) -> Response:
    """Accept, decline or withdraw a request."""
    found = reqs.get_request(session, viewer=user, request_id=request_id)
    answer = ANSWERS.get(action)
    if answer is None:
        raise InvalidInput.single(
            "expected accept, decline or withdraw", field="action", value=action[:20]
        )
    try:
        answer(session, actor=user, request_id=request_id)
    except InvalidInput as exc:
        return _event(
            request,
            session,
            user,
            found.event_id,
            422,
            form="requests",
            errors=labelled(exc.problems, REQUEST_LABELS),
        )
    return _redirect(f"/events/{found.event_id}?saved=answered#requests")


# --- agendas, table plans, dashboard -----------------------------------------------------------


@router.get("/events/{event_id}/agenda", response_class=HTMLResponse)
def agenda_page(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> HTMLResponse:
    """The user's own agenda: slot times in the event's zone, table, the other party."""
    event = events.get_event(session, event_id=event_id, viewer=user)
    items = agenda.agenda_of(session, viewer=user, event_id=event_id)
    mine = reg.my_registration(session, viewer=user, event_id=event_id)
    return _render(
        request, "events/agenda.html", event=event, items=items, mine=mine, rows=agenda_rows(items)
    )


def agenda_rows(items: list[agenda.AgendaItem]) -> list[tuple[str, agenda.AgendaItem | None]]:
    """The agenda with a break row between two meetings that are not in consecutive slots."""
    rows: list[tuple[str, agenda.AgendaItem | None]] = []
    for before, item in zip([None, *items], items, strict=False):
        if before is not None and item.slot > before.slot + 1:
            rows.append(("break", None))
        rows.append(("meeting", item))
    return rows


@router.get("/events/{event_id}/agenda.ics", response_class=Response)
def agenda_ics(session: DbSession, user: CurrentUser, event_id: EventId) -> Response:
    """The user's agenda as an iCalendar file."""
    return ics_response(calendar.agenda_ics(session, viewer=user, event_id=event_id), event_id)


@router.get("/events/{event_id}/agenda.pdf", response_class=Response)
def agenda_pdf(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """The user's agenda as a PDF (kept under the user and the event's version only)."""
    event = events.get_event(session, event_id=event_id, viewer=user)
    items = agenda.agenda_of(session, viewer=user, event_id=event_id)
    mine = reg.my_registration(session, viewer=user, event_id=event_id)
    html = request.app.state.templates.get_template("events/print_agenda.html").render(
        event=event, rows=agenda_rows(items), mine=mine
    )
    return _pdf(
        request,
        session,
        ("agenda", event.id, event.version, user.id),
        html,
        f"event-{event.id}-agenda",
    )


@router.get("/events/{event_id}/table-plan", response_class=HTMLResponse)
def table_plan(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> HTMLResponse:
    """Which pair sits at which table in each slot (managers)."""
    plan = agenda.table_plan(session, viewer=user, event_id=event_id)
    event = events.get_event(session, event_id=event_id, viewer=user)
    return _render(request, "events/table_plan.html", event=event, by_slot=_by_slot(plan))


def _by_slot(plan: list[agenda.PlanRow]) -> list[tuple[int, str, list[agenda.PlanRow]]]:
    slots: dict[int, list[agenda.PlanRow]] = {}
    for row in plan:
        slots.setdefault(row.slot, []).append(row)
    return [(n, rows[0].local_start, rows) for n, rows in slots.items()]


@router.get("/events/{event_id}/table-plan.pdf", response_class=Response)
def table_plan_pdf(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """The table plan to print (managers), one slot after another."""
    plan = agenda.table_plan(session, viewer=user, event_id=event_id)
    event = events.get_event(session, event_id=event_id, viewer=user)
    html = request.app.state.templates.get_template("events/print_plan.html").render(
        event=event, by_slot=_by_slot(plan)
    )
    return _pdf(
        request,
        session,
        ("plan", event.id, event.version, user.id),
        html,
        f"event-{event.id}-table-plan",
    )


def _pdf(
    request: Request, session: Session, address: tuple[Any, ...], html: str, name: str
) -> Response:
    """Printed by WeasyPrint through the print shop; the address holds the viewer and the
    event's version, so a kept PDF goes to its own viewer only and never outlives a change."""
    shop: PrintShop = request.app.state.print_shop
    data, _kept = shop.pdf(session, client_address(request), address, lambda: render.pdf(html))
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"', **NO_STORE},
    )


@router.get("/events/{event_id}/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> HTMLResponse:
    """The organiser's dashboard (managers)."""
    counts = dashboard.dashboard(session, viewer=user, event_id=event_id)
    event = events.get_event(session, event_id=event_id, viewer=user)
    run = agenda.latest_run(session, viewer=user, event_id=event_id)
    return _render(request, "events/dashboard.html", event=event, counts=counts, run=run)
