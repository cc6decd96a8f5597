"""Migration 0009 (matchmaking events) on SQLite and PostgreSQL: up from 0008 with data in
place, the open-pair constraint holding, and down again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from clusterhub.config import Settings
from clusterhub.store.db import MIGRATIONS, current_revision, make_engine, upgrade

NOW = datetime(2026, 12, 4, tzinfo=UTC)
LISTS = ("nace_codes", "ecosystems", "technologies", "keywords", "s3_priorities", "languages",
         "target_countries")  # fmt: skip
EVENT_TABLES = {
    "events", "event_sessions", "event_tables", "event_admins", "event_participants",
    "event_opportunities", "meeting_requests", "meetings", "meeting_precedences",
    "schedule_runs", "schedule_run_reasons", "meeting_outcomes",
}  # fmt: skip


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _row(connection: sa.Connection, table: str, **values: object) -> None:
    columns = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    connection.execute(sa.text(f"insert into {table} ({columns}) values ({marks})"), values)


def test_0009_goes_up_from_0008_and_down_again(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    _downgrade(engine, "0008")
    assert not EVENT_TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        _row(connection, "users", id=1, email="a@example.org", display_name="A",
             password_hash="x", role="member", is_active=True, created_at=NOW)  # fmt: skip
    upgrade(engine, "0009")
    assert set(inspect(engine).get_table_names()) >= EVENT_TABLES
    with engine.connect() as connection:
        assert current_revision(connection) == "0009"
    index_names = {i["name"] for i in inspect(engine).get_indexes("meeting_outcomes")}
    assert {"ix_meeting_outcomes_event_answered", "ix_meeting_outcomes_organisation_answered",
            "ix_meeting_outcomes_answered_at"} <= index_names  # fmt: skip
    with engine.begin() as connection:
        _row(connection, "organisations", id=1, key="k", source="user",
             profile_type="cluster_organisation", name="Org", description="", version=1,
             facts="{}", is_synthetic=False, created_at=NOW, updated_at=NOW,
             label_review="declared", **dict.fromkeys(LISTS, "[]"))  # fmt: skip
        _row(connection, "events", id=1, title="E", description="", organiser_id=1,
             mode="venue", time_zone="Europe/Brussels", request_mode="opt_in",
             request_expiry_hours=72, max_opportunities=3, type_caps="{}", status="draft",
             synthetic=False, version=1, created_at=NOW, updated_at=NOW)  # fmt: skip
        for pid in (1, 2):
            _row(connection, "event_participants", id=pid, event_id=1, user_id=1,
                 organisation_id=1, participant_type="sme", offer="", seek="",
                 unavailable_slots="[]", status="registered", active=None,
                 registered_at=NOW)  # fmt: skip
        request = {
            "event_id": 1,
            "sender_id": 1,
            "receiver_id": 2,
            "message": "",
            "status": "declined",
            "mutual": False,
            "sent_at": NOW,
            "expires_at": NOW,
        }
        _row(connection, "meeting_requests", id=1, open_pair=None, **request)
        _row(connection, "meeting_requests", id=2, open_pair=None, **request)  # closed: repeat
        _row(connection, "meeting_requests", id=3, open_pair=True, **request)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        _row(connection, "meeting_requests", id=4, open_pair=True, **request)  # a second open
    _downgrade(engine, "0008")
    assert not EVENT_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    engine.dispose()
