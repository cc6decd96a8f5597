"""The day-and-after JSON API on SQLite and PostgreSQL: check-in, held / no-show, the desk's
summary, follow-up answers and their counts, suggestions; rights and bad input (422 names the
field)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.web.directory_fixtures import DirectoryWorld
from tests.web.events_fixtures import EventWorld, build_event, ok


@pytest.fixture(scope="module")
def today_event(directory_world: DirectoryWorld) -> Iterator[EventWorld]:
    """An event whose one session is late today (UTC), booked and scheduled: Ada meets Bruno."""
    today = datetime.now(UTC).date().isoformat()
    session = {"date": today, "start": "23:00", "end": "23:59", "slot_minutes": 30}
    w = build_event(directory_world, sessions=[session], time_zone="UTC")
    ok(w.organiser.post(f"/api/v1/events/{w.event_id}/status", json={"status": "booking_closed"}))
    run = ok(w.organiser.post(f"/api/v1/events/{w.event_id}/schedule-runs",
                              json={"time_limit": 20}), 201)  # fmt: skip
    assert run["scheduled"] == 1
    yield w
    w.close()


def _meeting(w: EventWorld) -> int:
    return int(ok(w.people[0].get(f"/api/v1/events/{w.event_id}/agenda"))[0]["meeting_id"])


def test_desk_check_in_and_marks(today_event: EventWorld) -> None:
    w = today_event
    ada, bruno, chiara = w.people
    a, b, _c = w.participant_ids
    desk = f"/api/v1/event-participants/{a}/check-in"
    assert ada.post(desk).status_code == 403  # participants do not run the desk
    assert ok(w.organiser.post(desk))["status"] == "checked_in"
    again = w.organiser.post(desk)
    assert again.status_code == 422 and again.json()["error"]["details"][0]["field"] == "status"
    assert ok(w.organiser.post(desk, json={"undo": True}))["status"] == "registered"
    ok(w.organiser.post(desk))
    bad = w.organiser.post(desk, json={"undo": "maybe"})
    assert bad.status_code == 422 and "undo" in bad.text
    meeting = _meeting(w)
    held = f"/api/v1/meetings/{meeting}/held"
    assert chiara.post(held, json={"held": True}).status_code == 403  # not her meeting
    assert ada.post(held, json={"held": False, "no_show_id": b}).status_code == 403
    missing = w.organiser.post(held, json={"held": False})
    assert missing.status_code == 422 and "no_show_id" in missing.text
    assert ok(w.organiser.post(held, json={"held": False, "no_show_id": b}))["held"] is False
    assert ok(bruno.post(held, json={"held": True}))["held"] is True
    summary = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/day-summary"))
    assert (summary["checked_in"], summary["held"], summary["pending"]) == (1, 1, 0)
    assert ada.get(f"/api/v1/events/{w.event_id}/day-summary").status_code == 403


def test_followup_answers_and_counts(today_event: EventWorld) -> None:
    w = today_event
    ada, bruno, chiara = w.people
    meeting = _meeting(w)
    ok(w.organiser.post(f"/api/v1/meetings/{meeting}/held", json={"held": True}))
    answer = {"round": "end", "outcome": "valuable_contact", "note": "Pilot next spring"}
    early = ada.post(f"/api/v1/meetings/{meeting}/outcomes", json=answer)
    assert early.status_code == 422 and "meeting_id" in early.text  # the event is not held yet
    ok(w.organiser.post(f"/api/v1/events/{w.event_id}/status", json={"status": "held"}))
    odd = ada.post(f"/api/v1/meetings/{meeting}/outcomes", json={**answer, "outcome": "great"})
    assert odd.status_code == 422 and "outcome" in odd.text
    assert chiara.post(f"/api/v1/meetings/{meeting}/outcomes", json=answer).status_code == 403
    record = ok(ada.post(f"/api/v1/meetings/{meeting}/outcomes", json=answer))
    assert record["outcome"] == "valuable_contact" and record["note"] == "Pilot next spring"
    ok(bruno.post(f"/api/v1/meetings/{meeting}/outcomes",
                  json={"outcome": "negotiation_started"}))  # fmt: skip
    assert [r["outcome"] for r in ok(ada.get(f"/api/v1/events/{w.event_id}/outcomes"))] == [
        "valuable_contact"
    ]
    assert ok(chiara.get(f"/api/v1/events/{w.event_id}/outcomes")) == []
    counts = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/outcome-counts"))
    assert counts["valuable_contact"] == counts["negotiation_started"] == 1
    assert counts["agreement_reached"] == 0


def test_suggestions_explained_for_participants_only(today_event: EventWorld) -> None:
    w = today_event
    found = ok(w.people[2].get(f"/api/v1/events/{w.event_id}/suggestions"))
    assert all(s["reasons"] for s in found)
    assert w.participant_ids[2] not in [s["participant_id"] for s in found]
    assert w.organiser.get(f"/api/v1/events/{w.event_id}/suggestions").status_code == 403
    too_many = w.people[2].get(f"/api/v1/events/{w.event_id}/suggestions?limit=500")
    assert too_many.status_code == 422 and "limit" in too_many.text


def test_check_in_outside_the_event_days_names_them(directory_world: DirectoryWorld) -> None:
    w = build_event(directory_world)  # 10 March 2030
    try:
        ok(w.organiser.post(f"/api/v1/events/{w.event_id}/status",
                            json={"status": "booking_closed"}))  # fmt: skip
        ok(w.organiser.post(f"/api/v1/events/{w.event_id}/schedule-runs",
                            json={"time_limit": 20}), 201)  # fmt: skip
        early = w.organiser.post(f"/api/v1/event-participants/{w.participant_ids[0]}/check-in")
        assert early.status_code == 422 and "2030-03-10" in early.text
        assert early.json()["error"]["details"][0]["field"] == "now"
        summary = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/day-summary"))
        assert summary["checked_in"] == 0  # nothing was written
    finally:
        w.close()
