"""The operator's ``clusterhub events`` commands on SQLite and PostgreSQL: schedule an event,
export it as JSON and CSV, expire requests, ask the follow-ups; clear errors and exit codes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import Settings, get_settings
from clusterhub.services.accounts import users
from clusterhub.services.events import day, requests
from clusterhub.store.db import make_engine, make_session_factory
from clusterhub.store.events import Event, EventParticipant, EventTable
from clusterhub.store.models import AuditEntry, Organisation
from tests.services.events_world import EventWorld

runner = CliRunner()


@pytest.fixture
def world(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[EventWorld]:
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", db_settings.database_url)
    get_settings.cache_clear()
    engine = make_engine(db_settings)
    yield EventWorld(make_session_factory(engine), db_settings)
    engine.dispose()
    get_settings.cache_clear()


def test_schedule_export_expire_and_followups(
    world: EventWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERHUB_MAIL_BACKEND", "file")  # the commands mail as the server
    monkeypatch.setenv("CLUSTERHUB_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    organiser, event_id = world.event(status="published")
    people = [world.join(event_id) for _ in range(3)]
    with world.tx() as session:
        for x, y in ((0, 1), (1, 2)):
            sent = requests.send_request(session, actor=people[x][0], event_id=event_id,
                                         receiver_id=people[y][1])  # fmt: skip
            requests.accept_request(session, actor=people[y][0], request_id=sent.id)
    world.status(organiser, event_id, "booking_closed")
    ran = runner.invoke(app, ["events", "schedule", str(event_id), "--time-limit", "10"])
    assert ran.exit_code == 0, ran.output
    assert "2 of 2 meetings" in ran.output
    out = tmp_path / "schedule.json"
    done = runner.invoke(app, ["events", "export", str(event_id), "--out", str(out)])
    assert done.exit_code == 0, done.output
    rows = json.loads(out.read_text())["meetings"]
    assert len(rows) == 2 and rows[0]["slot"] <= rows[1]["slot"]
    assert {"table", "local_start", "first_name"} <= set(rows[0])
    flat = tmp_path / "schedule.csv"
    assert (
        runner.invoke(app, ["events", "export", str(event_id), "--out", str(flat)]).exit_code == 0
    )
    with flat.open(encoding="utf-8") as handle:
        assert [int(r["meeting_id"]) for r in csv.DictReader(handle)] == [
            r["meeting_id"] for r in rows
        ]
    with world.tx() as session:
        day.mark_meeting(session, actor=organiser, meeting_id=rows[0]["meeting_id"], held=True)
    world.status(organiser, event_id, "held")
    outbox = tmp_path / "state" / "mail"
    agendas = len(list(outbox.glob("*.eml")))
    assert agendas == 3  # the agenda, to each of the three people with a placed meeting
    asked = runner.invoke(app, ["events", "followups"])
    assert asked.exit_code == 0 and "asked 2 follow-up questions of 2" in asked.output
    assert len(list(outbox.glob("*.eml"))) == agendas + 2
    assert "asked 0" in runner.invoke(app, ["events", "followups"]).output
    assert "expired 0 requests" in runner.invoke(app, ["events", "expire"]).output
    with world.tx() as session:
        actors = set(session.scalars(select(AuditEntry.actor).where(
            AuditEntry.action.in_(["events.schedule", "events.followups_ask"]))))  # fmt: skip
    assert actors == {next(a for a in actors if a.startswith("cli:")), "system:events-followup"}


def test_errors_name_the_field_and_exit_codes(world: EventWorld, tmp_path: Path) -> None:
    _organiser, event_id = world.event(status="published")
    wrong = runner.invoke(
        app, ["events", "export", str(event_id), "--out", str(tmp_path / "x.txt")]
    )
    assert wrong.exit_code == 1 and ".json or .csv" in wrong.output
    missing = runner.invoke(app, ["events", "schedule", "999999"])
    assert missing.exit_code == 2 and "no event with id 999999" in missing.output
    empty = runner.invoke(app, ["events", "schedule", str(event_id)])
    assert empty.exit_code == 1


EVENT_YAML = """title: Aerospace brokerage
organiser: {key}
time_zone: Europe/Brussels
sessions:
  - {{date: "2027-03-10", start: "09:00", end: "12:00", slot_minutes: 30}}
table_count: {tables}
"""


def test_create_from_yaml_and_a_bad_file_named_by_line(world: EventWorld, tmp_path: Path) -> None:
    owner = world.user()
    org_id = world.org(owner)
    good = tmp_path / "event.yaml"
    good.write_text(EVENT_YAML.format(key=f"test:{world.serial}", tables=4), encoding="utf-8")
    made = runner.invoke(app, ["events", "create", str(good)])
    assert made.exit_code == 0, made.output
    assert "created event" in made.output
    with world.tx() as session:
        event = session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert event is not None and event.organiser_id == org_id and event.created_by is None
        assert (
            len(session.scalars(select(EventTable).where(EventTable.event_id == event.id)).all())
            == 4
        )
    bad = tmp_path / "bad.yaml"
    bad.write_text(EVENT_YAML.format(key=f"test:{world.serial}", tables=0), encoding="utf-8")
    refused = runner.invoke(app, ["events", "create", str(bad)])
    assert refused.exit_code == 1
    assert "bad.yaml:6" in refused.output and "table_count" in refused.output
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(EVENT_YAML.format(key="nobody:1", tables=2), encoding="utf-8")
    missing = runner.invoke(app, ["events", "create", str(unknown)])
    assert missing.exit_code == 1 and "unknown.yaml:2" in missing.output


def test_import_participants_all_or_nothing(world: EventWorld, tmp_path: Path) -> None:
    _organiser, event_id = world.event(status="published")
    ana, ben = world.user(), world.user()
    org_a, org_b = world.org(ana), world.org(ben)
    with world.tx() as session:
        key_a = session.get(Organisation, org_a).key  # type: ignore[union-attr]
        key_b = session.get(Organisation, org_b).key  # type: ignore[union-attr]
    bad = tmp_path / "bad.csv"
    bad.write_text("email,organisation,participant_type,offer,seek\n"
                   f"{ana.email},{key_a},sme,drones,\n"
                   f"nobody@example.org,{key_b},sme,,\n"
                   f"{ben.email},{key_b},astronaut,,\n", encoding="utf-8")  # fmt: skip
    refused = runner.invoke(app, ["events", "import-participants", str(event_id), str(bad)])
    assert refused.exit_code == 1
    assert "bad.csv:3" in refused.output and "email" in refused.output
    assert "bad.csv:4" in refused.output and "participant_type" in refused.output
    with world.tx() as session:
        assert session.scalars(select(EventParticipant).where(
            EventParticipant.event_id == event_id)).all() == []  # fmt: skip
    good = tmp_path / "good.csv"
    good.write_text("email,organisation,participant_type,offer,seek\n"
                    f"{ana.email},{key_a},sme,drones,\n"
                    f"{ben.email.upper()},{key_b},sme,,sensors\n", encoding="utf-8")  # fmt: skip
    done = runner.invoke(app, ["events", "import-participants", str(event_id), str(good)])
    assert done.exit_code == 0, done.output
    assert "registered 2 participants" in done.output
    again = runner.invoke(app, ["events", "import-participants", str(event_id), str(good)])
    assert again.exit_code == 1 and "registered for this event already" in again.output


def test_the_demo_command_says_what_is_missing(world: EventWorld) -> None:
    built = runner.invoke(app, ["events", "demo"])
    assert built.exit_code == 0 and "synthetic directory profiles are missing" in built.output
    assert runner.invoke(app, ["events", "demo", "--remove"]).output.strip() == "no demo event"
    admin = runner.invoke(app, ["events", "demo", "--admin", "someone@example.org"])
    assert admin.exit_code == 2 and "there is no synthetic demo event" in admin.output
