"""The events JSON API on SQLite and PostgreSQL: the whole flow, rights, bad input, ICS, OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.web.directory_fixtures import DirectoryWorld, csrf
from tests.web.events_fixtures import EventWorld, event_world_fixture, member, ok

event_world = pytest.fixture(scope="module")(event_world_fixture)


@pytest.fixture(scope="module")
def scheduled(event_world: EventWorld) -> Iterator[EventWorld]:
    """The event with booking closed and a schedule run."""
    w = event_world
    ok(w.organiser.post(f"/api/v1/events/{w.event_id}/status", json={"status": "booking_closed"}))
    run = ok(w.organiser.post(f"/api/v1/events/{w.event_id}/schedule-runs",
                              json={"time_limit": 20}), 201)  # fmt: skip
    assert run["status"] in ("optimal", "feasible") and run["scheduled"] == 1
    yield w


def test_list_and_read(event_world: EventWorld) -> None:
    w = event_world
    anonymous = w.world.anonymous()
    listed = ok(anonymous.get("/api/v1/events"))
    assert w.event_id in [e["id"] for e in listed]
    event = ok(anonymous.get(f"/api/v1/events/{w.event_id}"))
    assert event["slots"] == 5 and len(event["tables"]) == 2 and not event["can_manage"]
    assert ok(w.organiser.get(f"/api/v1/events/{w.event_id}"))["can_manage"]
    market = ok(w.people[2].get(f"/api/v1/events/{w.event_id}/participants"))
    assert len(market) == 3 and market[0]["opportunities"][0]["title"] == "Pilot site"


def test_a_draft_is_hidden_from_others(directory_world: DirectoryWorld) -> None:
    owner = directory_world.logged_in(directory_world.admin_email)
    owner.headers["X-CSRF-Token"] = csrf(owner)
    draft = ok(owner.post("/api/v1/events", json={
        "title": "Secret draft", "organiser_id": directory_world.ids[directory_world.owned_key]}),
        201)  # fmt: skip
    assert directory_world.anonymous().get(f"/api/v1/events/{draft['id']}").status_code == 404
    listed = ok(directory_world.anonymous().get("/api/v1/events"))
    assert draft["id"] not in [e["id"] for e in listed]


def test_bad_input_names_the_field(event_world: EventWorld) -> None:
    w = event_world
    body = {"title": "X", "organiser_id": w.world.ids[w.world.owned_key], "time_zone": "Mars/Base"}
    answer = w.organiser.post("/api/v1/events", json=body)
    assert answer.status_code == 422
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["time_zone"]
    odd = w.organiser.post("/api/v1/events", json={**body, "time_zone": "UTC", "mode": "moon"})
    assert odd.status_code == 422 and "mode" in odd.text
    late = w.organiser.post(f"/api/v1/events/{w.event_id}/status", json={"status": "held"})
    assert late.status_code == 422 and late.json()["error"]["details"][0]["field"] == "status"
    stranger = member(w.world, "Dora")
    wrong = stranger.post(f"/api/v1/events/{w.event_id}/participants",
                          json={"organisation_id": 1, "participant_type": "alien"})  # fmt: skip
    assert wrong.status_code == 422
    assert "participant_type" in {d["field"] for d in wrong.json()["error"]["details"]}


def test_rights_of_participants_and_strangers(event_world: EventWorld) -> None:
    w = event_world
    ada, _bruno, chiara = w.people
    first, second = w.request_ids
    assert chiara.get(f"/api/v1/event-requests/{first}").status_code == 404
    assert ok(ada.get(f"/api/v1/event-requests/{first}"))["status"] == "accepted"
    assert {r["id"] for r in ok(chiara.get(f"/api/v1/events/{w.event_id}/requests"))} == {second}
    assert len(ok(w.organiser.get(f"/api/v1/events/{w.event_id}/requests"))) == 2
    for path in ("dashboard", "table-plan", "schedule-runs/latest"):
        assert chiara.get(f"/api/v1/events/{w.event_id}/{path}").status_code == 403, path
    run = chiara.post(f"/api/v1/events/{w.event_id}/schedule-runs", json={})
    assert run.status_code == 403
    stranger = w.world.anonymous()
    assert stranger.get(f"/api/v1/events/{w.event_id}/agenda").status_code == 401
    outsider = member(w.world, "Emil")
    assert outsider.get(f"/api/v1/events/{w.event_id}/participants").status_code == 403
    assert outsider.get(f"/api/v1/events/{w.event_id}/agenda.ics").status_code == 403
    assert ada.post(f"/api/v1/event-requests/{second}/accept").status_code == 403  # not hers


def test_schedule_agenda_plan_dashboard(scheduled: EventWorld) -> None:
    w = scheduled
    ada, _bruno, chiara = w.people
    latest = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/schedule-runs/latest"))
    assert latest["scheduled"] == 1 and latest["reasons"] == {}
    mine = ok(ada.get(f"/api/v1/events/{w.event_id}/agenda"))
    assert len(mine) == 1 and mine[0]["partner_id"] == w.participant_ids[1]
    assert ok(chiara.get(f"/api/v1/events/{w.event_id}/agenda")) == []
    plan = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/table-plan"))
    assert len(plan) == 5 * 2 and sum(1 for r in plan if r["meeting_id"]) == 1
    counts = ok(w.organiser.get(f"/api/v1/events/{w.event_id}/dashboard"))
    assert counts["registrations"] == {"sme": 3}
    assert counts["requests"]["accepted"] == 1 and counts["requests"]["expired"] == 0
    assert counts["requests"]["sent"] == 1  # Chiara's, never answered
    assert counts["meetings"] == counts["scheduled"] == 1
    assert sum(s["used"] for s in counts["table_use"]) == 1
    assert {b["breaks"] for b in counts["breaks"]} == {0}


def test_agenda_ics_parses_back(scheduled: EventWorld) -> None:
    w = scheduled
    answer = w.people[0].get(f"/api/v1/events/{w.event_id}/agenda.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    raw = answer.content.decode()
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    unfolded = raw.replace("\r\n ", "")
    lines = unfolded.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 1 == lines.count("END:VEVENT")
    props = dict(line.split(":", 1) for line in lines if ":" in line)
    start = datetime.strptime(props["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    agenda = ok(w.people[0].get(f"/api/v1/events/{w.event_id}/agenda"))
    assert start == datetime.fromisoformat(agenda[0]["starts_at"])
    assert props["SUMMARY"].startswith("Meeting with Bruno Batteries")
    assert (
        props["LOCATION"]
        == "Table " + agenda[0]["table"].split()[-1] + "\\, Messe Stuttgart\\, Hall 4"
    )
    assert props["UID"].startswith(f"event-{w.event_id}-meeting-")


def test_openapi_lists_the_event_paths(event_world: EventWorld) -> None:
    spec = ok(event_world.world.anonymous().get("/openapi.json"))
    for path in ("/api/v1/events", "/api/v1/events/{event_id}", "/api/v1/events/{event_id}/status",
                 "/api/v1/events/{event_id}/participants", "/api/v1/events/{event_id}/requests",
                 "/api/v1/event-requests/{request_id}/accept",
                 "/api/v1/events/{event_id}/schedule-runs", "/api/v1/events/{event_id}/agenda",
                 "/api/v1/events/{event_id}/agenda.ics", "/api/v1/events/{event_id}/table-plan",
                 "/api/v1/events/{event_id}/dashboard"):  # fmt: skip
        assert path in spec["paths"], path


def test_the_reference_names_every_event_path(event_world: EventWorld) -> None:
    spec = ok(event_world.world.anonymous().get("/openapi.json"))
    text = (Path(__file__).resolve().parents[2] / "docs/reference/api-events.md").read_text()
    tagged = [
        re.sub(r"\{\w+\}", "{id}", path)
        for path, methods in spec["paths"].items()
        if any("events" in op.get("tags", []) for op in methods.values())
    ]
    assert len(tagged) >= 15
    missing = [p for p in tagged if p not in text and p.rsplit("/", 1)[0] not in text]
    assert not missing, f"docs/reference/api-events.md does not name {missing}"
