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

from clusterhub.errors import InvalidInput, PermissionDenied, Problem
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.directory import profiles as directory
from clusterhub.services.events import events
from clusterhub.services.events import registration as reg
from clusterhub.services.events import requests as reqs
from clusterhub.services.events.events import EventPublic
from clusterhub.services.events.slots import event_slots
from clusterhub.web.api.events import (
    WEB_TIME_LIMIT,
    EventId,
    RequestId,
)
from clusterhub.web.deps import DbSession, PostedForm
from clusterhub.web.forms import labelled
from clusterhub.web.security import CurrentUser, OptionalUser

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
    "cancelled": "Your registration is cancelled; your open requests were withdrawn.",
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
#: The outcome scale in words, weakest first, as the questionnaire asks it.
OUTCOME_LABELS = {
    "no_further_contact": "No further contact",
    "knowledge_gain": "Knowledge gained (no business yet)",
    "valuable_contact": "A valuable contact",
    "negotiation_started": "Negotiations started",
    "agreement_reached": "A cooperation agreement reached",
}
ROUND_LABELS = {"end": "At the end of the event", "six_months": "Six months later"}
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
    "type_caps": "Places per participant type",
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
    "before_id": "Earlier meeting",
    "after_id": "Later meeting",
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


def render_page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("errors", [])
    context.setdefault("values", {})
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request,
        template,
        {
            "nav": "events",
            "status_labels": STATUS_LABELS,
            "type_labels": TYPE_LABELS,
            "outcome_labels": OUTCOME_LABELS,
            "round_labels": ROUND_LABELS,
            **context,
        },
        status_code=status,
        headers=NO_STORE,
    )
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def form_text(form: FormData, name: str, limit: int = 10_000) -> str:
    return str(form.get(name) or "").strip()[:limit]


# --- the list and the event page ---------------------------------------------------------------


@router.get("/events", response_class=HTMLResponse)
def event_list(request: Request, session: DbSession, user: OptionalUser) -> HTMLResponse:
    """Published events for everyone; drafts for their managers."""
    found = events.list_events(session, viewer=user)
    profiles = directory.my_profiles(session, actor=user) if user else []
    return render_page(
        request, "events/list.html", listing=found, me=user, can_create=bool(profiles)
    )


# --- organisers: create and edit -----------------------------------------------------------------


@router.get("/events/new", response_class=HTMLResponse)
def new_event_form(request: Request, session: DbSession, user: OptionalUser) -> Response:
    """The form for a new event of a profile the user administers."""
    if user is None:
        return redirect(f"/account/login?next={request.url.path}")
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
    return redirect(f"/events/{created.id}?saved=created")


@router.get("/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event_form(
    request: Request, session: DbSession, user: OptionalUser, event_id: EventId
) -> Response:
    """The edit form (managers)."""
    if user is None:
        return redirect(f"/account/login?next={request.url.path}")
    event = events.get_event(session, event_id=event_id, viewer=user)
    if not event.can_manage:
        raise PermissionDenied("only the event's managers edit it")
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
    return redirect(f"/events/{event_id}?saved=saved")


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
    return render_page(
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
    values: dict[str, Any] = {name: form_text(form, name) for name in EVENT_FIELDS}
    values["type_caps"] = {kind: form_text(form, f"cap_{kind}", 20) for kind in TYPE_LABELS}
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
    data = {
        k: v for k, v in values.items() if k not in ("tables", "sessions", "type_caps") and v != ""
    }
    data["sessions"] = values["sessions"]
    data["type_caps"] = {kind: cap for kind, cap in values["type_caps"].items() if cap}
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
    values["type_caps"] = {kind: str(cap) for kind, cap in event.type_caps.items()}
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
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(alias="type", max_length=40)] = "",
) -> HTMLResponse:
    """The event: what, where and when; for participants the marketplace (filtered by words
    and type) and their requests; for managers the organiser's buttons."""
    return event_view(
        request, session, user, event_id, notice=NOTICES.get(saved or ""), q=q, kind=kind
    )


@router.get("/events/{event_id}/marketplace", response_class=HTMLResponse)
def marketplace(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    event_id: EventId,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(alias="type", max_length=40)] = "",
) -> HTMLResponse:
    """The marketplace list alone, filtered (what the search box swaps in as you type)."""
    return event_view(
        request, session, user, event_id, q=q, kind=kind, template="events/_market.html"
    )


def event_view(
    request: Request,
    session: Session,
    user: UserPublic | None,
    event_id: int,
    status: int = 200,
    *,
    q: str = "",
    kind: str = "",
    template: str = "events/detail.html",
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
    if mine is not None and context.get("form") != "registration":
        context["mine_values"] = _registration_values(mine)
    else:
        context["mine_values"] = context.get("values", {})
    return render_page(
        request,
        template,
        status,
        event=event,
        me=user,
        mine=mine,
        people=people,
        shown=reg.find_in_marketplace(people, text=q, kind=kind),
        q=q,
        kind=kind,
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


def on_event_page(
    request: Request,
    session: Session,
    user: UserPublic,
    event_id: int,
    write: Callable[[], str],
    *,
    form: str,
    labels: dict[str, str],
    **context: Any,
) -> Response:
    """Do ``write`` and go where it answers; on bad input show the event page again (422) with
    the problems next to form ``form``'s fields, worded with ``labels``."""
    try:
        return redirect(write())
    except InvalidInput as exc:
        errors = labelled(exc.problems, labels)
        return event_view(
            request, session, user, event_id, 422, form=form, errors=errors, **context
        )


@router.post("/events/{event_id}/status", response_class=HTMLResponse)
def change_status(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Move the event one step."""

    def write() -> str:
        status = form_text(form, "status", 20)
        events.change_status(session, actor=user, event_id=event_id, status=status)
        return f"/events/{event_id}?saved=status"

    return on_event_page(
        request, session, user, event_id, write, form="status", labels=EVENT_LABELS
    )


@router.post("/events/{event_id}/admins", response_class=HTMLResponse)
def add_admin(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Make an account an event admin."""

    def write() -> str:
        email = form_text(form, "email", 320)
        events.add_event_admin(session, actor=user, event_id=event_id, email=email)
        return f"/events/{event_id}?saved=admin"

    return on_event_page(
        request, session, user, event_id, write, form="admins", labels=EVENT_LABELS
    )


def parse_number(text: str, field: str, kind: Callable[[str], Any]) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise InvalidInput.single("expected a number", field=field, value=text) from None


# --- participants ------------------------------------------------------------------------------


@router.post("/events/{event_id}/register", response_class=HTMLResponse)
def register(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Register on behalf of a profile the user administers."""
    values, data = _registration(form)

    def write() -> str:
        reg.register(session, actor=user, event_id=event_id, data=data)
        return f"/events/{event_id}?saved=registered"

    return on_event_page(
        request, session, user, event_id, write,
        form="register", labels=REGISTER_LABELS, values=values,
    )  # fmt: skip


@router.post("/events/{event_id}/registration", response_class=HTMLResponse)
def change_registration(
    request: Request, form: PostedForm, session: DbSession, user: CurrentUser, event_id: EventId
) -> Response:
    """Change one's event profile and unavailable slots, or cancel the registration."""
    mine = reg.my_registration(session, viewer=user, event_id=event_id)
    if mine is None:
        raise PermissionDenied("register for the event first")
    values, data = _registration(form)

    def write() -> str:
        if form.get("cancel"):
            reg.cancel_registration(session, actor=user, participant_id=mine.id)
            return f"/events/{event_id}?saved=cancelled"
        del data["organisation_id"]
        reg.update_registration(session, actor=user, participant_id=mine.id, data=data)
        return f"/events/{event_id}?saved=saved"

    return on_event_page(
        request, session, user, event_id, write,
        form="registration", labels=REGISTER_LABELS, values=values,
    )  # fmt: skip


def _registration(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """The registration form as typed, and as the services take it."""
    values: dict[str, Any] = {
        name: form_text(form, name, 2000)
        for name in ("organisation_id", "participant_type", "offer", "seek")
    }
    values["opportunities"] = form_text(form, "opportunities")
    values["unavailable_slots"] = [str(v)[:6] for v in form.getlist("unavailable_slots")][:500]
    data: dict[str, Any] = {
        **{k: v for k, v in values.items() if k not in ("opportunities", "unavailable_slots")},
        "opportunities": _opportunities(values["opportunities"]),
        "unavailable_slots": values["unavailable_slots"],
    }
    return values, data


def _registration_values(mine: reg.ParticipantPublic) -> dict[str, Any]:
    """The stored registration as the form shows it."""
    return {
        "participant_type": mine.participant_type,
        "offer": mine.offer,
        "seek": mine.seek,
        "opportunities": "\n".join(f"{o.kind}: {o.title}" for o in mine.opportunities),
        "unavailable_slots": [str(s) for s in mine.unavailable_slots],
    }


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
        "receiver_id": form_text(form, "receiver_id", 20),
        "message": form_text(form, "message", 2000),
    }

    def write() -> str:
        receiver = parse_number(values["receiver_id"], "receiver_id", int)
        reqs.send_request(
            session, actor=user, event_id=event_id, receiver_id=receiver, message=values["message"]
        )
        return f"/events/{event_id}?saved=sent#requests"

    return on_event_page(
        request, session, user, event_id, write,
        form=f"request-{values['receiver_id']}", labels=REQUEST_LABELS, values=values,
    )  # fmt: skip


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

    def write() -> str:
        answer(session, actor=user, request_id=request_id)
        return f"/events/{found.event_id}?saved=answered#requests"

    return on_event_page(
        request, session, user, found.event_id, write, form="requests", labels=REQUEST_LABELS
    )
