"""The event's day and after, through the pages and the API: the organisers' desk (check-in on
the event's day only, meetings held or missed), "we met" on a participant's agenda, the
follow-up questionnaire with its answers on the dashboard; rights and named errors. SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clusterhub.services.events.followup import OUTCOMES
from clusterhub.store.db import transaction
from clusterhub.store.events import Event
from clusterhub.web.routes.events import OUTCOME_LABELS
from tests.web.directory_fixtures import DirectoryWorld
from tests.web.events_fixtures import EventWorld, build_event, ok

TODAY = datetime.now(ZoneInfo("Europe/Brussels")).date().isoformat()


@pytest.fixture(scope="module")
def today(directory_world: DirectoryWorld) -> Iterator[EventWorld]:
    """The fixture's event held today (Brussels time), booking closed and scheduled."""
    sessions = [{"date": TODAY, "start": "00:00", "end": "01:00", "slot_minutes": 30}]
    built = build_event(directory_world, sessions=sessions, time_zone="Europe/Brussels")
    ok(built.organiser.post(f"/api/v1/events/{built.event_id}/status",
                            json={"status": "booking_closed"}))  # fmt: skip
    ok(built.organiser.post(f"/api/v1/events/{built.event_id}/schedule-runs",
                            json={"time_limit": 10}), 201)  # fmt: skip
    yield built
    built.close()


def _error(html: str) -> str:
    found = re.search(r'class="error-summary".*?<li>(?:<a [^>]*>)?([^<]+)<', html, re.S)
    assert found, "no error summary"
    return found.group(1)


def test_every_step_of_the_scale_has_its_words() -> None:
    assert tuple(OUTCOME_LABELS) == OUTCOMES


def test_the_desk_checks_in_and_records_meetings(today: EventWorld) -> None:
    w = today
    ada, bruno, chiara = w.people
    a, b, _c = w.participant_ids
    desk = w.organiser.get(f"/events/{w.event_id}/desk")
    assert desk.status_code == 200 and "0 of 3" in desk.text and "Check in Ada" in desk.text
    assert ada.get(f"/events/{w.event_id}/desk").status_code == 403
    assert ada.post(f"/event-participants/{a}/check-in").status_code == 403
    checked = w.organiser.post(f"/event-participants/{a}/check-in", follow_redirects=False)
    assert checked.status_code == 303 and checked.headers["location"].endswith(f"#p-{a}")
    twice = w.organiser.post(f"/event-participants/{a}/check-in")
    assert twice.status_code == 422 and "checked in already" in _error(twice.text)
    undo = w.organiser.post(
        f"/event-participants/{b}/check-in", data={"undo": "1"}, follow_redirects=False
    )
    assert undo.status_code == 422 and "not checked in" in _error(undo.text)
    found = w.organiser.get(f"/events/{w.event_id}/desk", params={"q": "ada batteries"})
    assert "1 of 3 participants match." in found.text and "Undo the check-in of Ada" in found.text
    meeting = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/meetings"))[0]
    assert meeting["slot"] is not None
    missing = w.organiser.post(f"/meetings/{meeting['id']}/held", data={"no_show_id": str(999)})
    assert missing.status_code == 422 and "did not come" in _error(missing.text)
    assert chiara.post(f"/meetings/{meeting['id']}/held").status_code == 403  # not hers
    assert (
        bruno.post(f"/meetings/{meeting['id']}/held", data={"no_show_id": str(a)}).status_code
        == 403
    )  # only the desk records a no-show
    met = bruno.post(
        f"/meetings/{meeting['id']}/held", data={"back": "agenda"}, follow_redirects=False
    )
    assert met.status_code == 303 and "/agenda?saved=held" in met.headers["location"]
    agenda = bruno.get(met.headers["location"].split("#")[0])
    assert "recorded as held" in agenda.text and "You met" in agenda.text
    board = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/dashboard"))
    assert board["day"]["checked_in"] == 1 and board["day"]["held"] == 1
    desk = w.organiser.get(f"/events/{w.event_id}/desk")
    assert "1 of 3" in desk.text and "Held" in desk.text


def test_the_follow_up_is_answered_and_counted(today: EventWorld) -> None:
    w = today
    ada, bruno, chiara = w.people
    meeting = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/meetings"))[0]
    marked = w.organiser.post(f"/meetings/{meeting['id']}/held", follow_redirects=False)
    assert marked.status_code == 303
    closed = ada.get(f"/events/{w.event_id}/followup")
    assert closed.status_code == 200 and "opens when the organiser marks the event as held" in (
        closed.text
    )
    ok(w.organiser.post(f"/api/v1/events/{w.event_id}/status", json={"status": "held"}))
    page = ada.get(f"/events/{w.event_id}/followup")
    assert "With " in page.text and "At the end of the event" in page.text
    assert "Six months later" not in page.text  # not due yet
    empty = ada.post(f"/meetings/{meeting['id']}/outcome", data={"round": "end"})
    assert empty.status_code == 422 and "What came of it: choose one answer" in _error(empty.text)
    bad = ada.post(
        f"/meetings/{meeting['id']}/outcome", data={"round": "end", "outcome": "world_peace"}
    )
    assert bad.status_code == 422 and "the outcome is one of" in _error(bad.text)
    answer = {"round": "end", "outcome": "negotiation_started", "note": "Pilot line talks"}
    saved = ada.post(f"/meetings/{meeting['id']}/outcome", data=answer, follow_redirects=False)
    assert saved.status_code == 303
    again = ada.get(saved.headers["location"].split("#")[0])
    assert "your answer is saved" in again.text and "Pilot line talks" in again.text
    assert "answered: Negotiations started" in again.text
    assert chiara.post(f"/meetings/{meeting['id']}/outcome", data=answer).status_code == 403
    board = w.organiser.get(f"/events/{w.event_id}/dashboard")
    row = re.search(r"<td>Negotiations started</td><td>(\d+)</td><td>(\d+)</td>", board.text)
    assert row and row.groups() == ("1", "0")
    counted = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/dashboard"))["outcomes"]
    assert counted["end"]["negotiation_started"] == 1 and sum(counted["six_months"].values()) == 0
    assert bruno.get(f"/events/{w.event_id}/followup").status_code == 200
    organiser = w.organiser.get(f"/events/{w.event_id}/followup")  # runs it, takes no part
    assert organiser.status_code == 200 and "counted on the" in organiser.text


def test_the_day_and_the_follow_up_through_the_api(today: EventWorld) -> None:
    w = today  # may run on its own (another worker's copy of the module): sets up what it needs
    _ada, bruno, chiara = w.people
    c = w.participant_ids[2]
    before = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/day-summary"))["checked_in"]
    checked = ok(w.organiser.post(f"/api/v1/event-participants/{c}/check-in", json={}))
    assert checked["status"] == "checked_in"
    refused = w.organiser.post(f"/api/v1/event-participants/{c}/check-in", json={"when": 1})
    assert refused.status_code == 422  # unknown field named, never a 500
    assert chiara.get(f"/api/v1/events/{w.event_id}/day-summary").status_code == 403
    summary = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/day-summary"))
    assert summary["checked_in"] == before + 1 and summary["participants"] == 3
    meeting = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/meetings"))[0]
    held = ok(bruno.post(f"/api/v1/meetings/{meeting['id']}/held", json={"held": True}))
    assert held["held"] is True
    if ok(w.organiser.get(f"/api/v1/events/{w.event_id}"))["status"] != "held":
        ok(w.organiser.post(f"/api/v1/events/{w.event_id}/status", json={"status": "held"}))
    mine = ok(bruno.get(f"/api/v1/events/{w.event_id}/followups"))
    assert [m["meeting_id"] for m in mine] == [meeting["id"]]
    assert [a["round"] for a in mine[0]["answers"]] == ["end"]
    wrong = bruno.post(
        f"/api/v1/meetings/{meeting['id']}/outcomes", json={"round": "end", "outcome": "maybe"}
    )
    assert wrong.status_code == 422 and "outcome" in wrong.text
    answer = {"round": "end", "outcome": "agreement_reached"}
    saved = ok(bruno.post(f"/api/v1/meetings/{meeting['id']}/outcomes", json=answer))
    assert saved["outcome"] == "agreement_reached" and saved["round"] == "end"
    everyone = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/outcomes"))
    assert "agreement_reached" in {r["outcome"] for r in everyone}
    own = ok(chiara.get(f"/api/v1/events/{w.event_id}/outcomes"))
    assert own == []  # Chiara answered nothing and sees no one else's answers
    noshow = w.organiser.post(
        f"/api/v1/meetings/{meeting['id']}/held", json={"held": False, "no_show_id": c}
    )
    assert noshow.status_code == 422 and "did not come" in noshow.text  # Chiara is not in it


def test_a_synthetic_event_says_so_on_its_pages(today: EventWorld) -> None:
    w = today
    with transaction(w.world.app.state.write_sessions) as session:
        session.get(Event, w.event_id).synthetic = True  # type: ignore[union-attr]
    try:
        page = w.people[0].get(f"/events/{w.event_id}")
        assert "Synthetic demo event." in page.text and "clusterhub events demo --admin" in (
            page.text
        )
        desk = w.organiser.get(f"/events/{w.event_id}/desk")
        assert "Synthetic demo event." in desk.text and "--admin" not in desk.text
        listing = w.world.anonymous().get("/events")
        assert "synthetic demo" in listing.text
    finally:
        with transaction(w.world.app.state.write_sessions) as session:
            session.get(Event, w.event_id).synthetic = False  # type: ignore[union-attr]
