"""Matchmaking events: the organiser's meetings and schedule runs, agendas (page, ICS, PDF),
table plans and the dashboard (pages). The event page, forms and requests are in
``web/routes/events.py``, whose helpers these pages share; the JSON API is ``web/api/events.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events import agenda, calendar, dashboard, events, meetings, precedences
from clusterhub.services.events import registration as reg
from clusterhub.services.reports import render
from clusterhub.services.reports.printing import PrintShop
from clusterhub.web.api.events import WEB_TIME_LIMIT, EventId, MeetingId, ics_response
from clusterhub.web.deps import DbSession, PostedForm
from clusterhub.web.forms import labelled
from clusterhub.web.routes.events import (
    MEETING_LABELS,
    NO_STORE,
    RUN_LABELS,
    event_view,
    form_text,
    parse_number,
    redirect,
    render_page,
)
from clusterhub.web.security import CurrentUser, client_address

router = APIRouter(include_in_schema=False)


@router.post("/events/{event_id}/schedule", response_class=HTMLResponse)
def run_schedule(
    request: Request, form: PostedForm, user: CurrentUser, event_id: EventId
) -> Response:
    """Run the scheduler (managers) and show its result. The run opens its own transactions:
    this handler holds no request session while it solves."""
    values = {
        "time_limit": form_text(form, "time_limit", 20),
        "fairness": form_text(form, "fairness", 20),
    }
    try:
        limit = parse_number(values["time_limit"] or "60", "time_limit", float)
        fairness = parse_number(values["fairness"], "fairness", int) if values["fairness"] else None
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
            return event_view(
                request,
                session,
                user,
                event_id,
                422,
                form="run",
                run_values=values,
                errors=labelled(exc.problems, RUN_LABELS),
            )
    return redirect(f"/events/{event_id}/run")


@router.get("/events/{event_id}/run", response_class=HTMLResponse)
def run_result(
    request: Request, session: DbSession, user: CurrentUser, event_id: EventId
) -> HTMLResponse:
    """The last schedule run, explained (managers)."""
    run = agenda.latest_run(session, viewer=user, event_id=event_id)
    event = events.get_event(session, event_id=event_id, viewer=user)
    listed = {m.id: m for m in meetings.list_meetings(session, viewer=user, event_id=event_id)}
    return render_page(request, "events/run.html", event=event, run=run, meetings=listed)


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
        raise PermissionDenied("the meetings list is for the event's managers")
    found = meetings.list_meetings(session, viewer=user, event_id=event_id)
    people = reg.list_participants(session, viewer=user, event_id=event_id)
    return render_page(
        request,
        "events/meetings.html",
        status,
        event=event,
        meetings=found,
        people=people,
        rules=precedences.list_precedences(session, viewer=user, event_id=event_id),
        **context,
    )


@router.post("/events/{event_id}/meetings", response_class=HTMLResponse)
def add_meeting(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """The organiser's meeting between two participants."""
    values = {name: form_text(form, name, 20) for name in ("first_id", "second_id")}
    try:
        first = parse_number(values["first_id"], "first_id", int)
        second = parse_number(values["second_id"], "second_id", int)
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
    return redirect(f"/events/{event_id}/meetings")


@router.post("/meetings/{meeting_id}/rules", response_class=HTMLResponse)
def meeting_rules(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, meeting_id: MeetingId
) -> Response:
    """Lock a meeting or fix its slot and table."""
    found = meetings.meeting_public(session, meetings.find_meeting(session, meeting_id))
    rules = {
        "priority": form.get("priority") == "on",
        "locked": form.get("locked") == "on",
        "session_kind": form_text(form, "session_kind", 20) or "any",
    }
    try:
        for name in ("fixed_slot", "fixed_table"):
            rules[name] = (
                parse_number(form_text(form, name, 20), name, int)
                if form_text(form, name)
                else None
            )
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
    return redirect(f"/events/{found.event_id}/meetings")


@router.post("/meetings/{meeting_id}/cancel", response_class=HTMLResponse)
def cancel_meeting(
    request: Request, session: DbSession, user: CurrentUser, meeting_id: MeetingId
) -> Response:
    """Cancel a meeting (managers)."""
    found = meetings.cancel_meeting(session, actor=user, meeting_id=meeting_id)
    return redirect(f"/events/{found.event_id}/meetings")


@router.post("/events/{event_id}/precedences", response_class=HTMLResponse)
def add_precedence(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """The organiser's rule: one meeting takes an earlier slot than another."""
    values = {name: form_text(form, name, 20) for name in ("before_id", "after_id")}
    try:
        before = parse_number(values["before_id"], "before_id", int)
        after = parse_number(values["after_id"], "after_id", int)
        if meetings.find_meeting(session, before).event_id != event_id:
            raise InvalidInput.single("a meeting of this event", field="before_id")
        precedences.add_precedence(session, actor=user, before_id=before, after_id=after)
    except InvalidInput as exc:
        return _meetings(
            request, session, user, event_id, 422,
            order_values=values, errors=labelled(exc.problems, MEETING_LABELS),
        )  # fmt: skip
    return redirect(f"/events/{event_id}/meetings#order")


@router.post("/meetings/{meeting_id}/precedences/{after_id}/remove", response_class=HTMLResponse)
def remove_precedence(
    session: DbSession, user: CurrentUser, meeting_id: MeetingId, after_id: MeetingId
) -> Response:
    """Drop a rule of the order of meetings."""
    event_id = meetings.find_meeting(session, meeting_id).event_id
    precedences.remove_precedence(session, actor=user, before_id=meeting_id, after_id=after_id)
    return redirect(f"/events/{event_id}/meetings#order")


# --- agendas, table plans, dashboard -----------------------------------------------------------


@router.get("/events/{event_id}/agenda", response_class=HTMLResponse)
def agenda_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    event_id: EventId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The user's own agenda: slot times in the event's zone, table, the other party; on the
    day, "we met" per meeting."""
    event = events.get_event(session, event_id=event_id, viewer=user)
    items = agenda.agenda_of(session, viewer=user, event_id=event_id)
    mine = reg.my_registration(session, viewer=user, event_id=event_id)
    notice = "Thank you: the meeting is recorded as held." if saved == "held" else None
    return render_page(
        request, "events/agenda.html", event=event, items=items, mine=mine,
        rows=agenda_rows(items), notice=notice,
    )  # fmt: skip


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
    return render_page(request, "events/table_plan.html", event=event, by_slot=_by_slot(plan))


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
    return render_page(request, "events/dashboard.html", event=event, counts=counts, run=run)
