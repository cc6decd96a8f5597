"""Migration 0005 on SQLite and PostgreSQL: audit rows written before it get their actor, stored
labels become declared, and it goes down again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from clusterhub.config import Settings
from clusterhub.store.db import MIGRATIONS, make_engine, upgrade

NOW = datetime(2026, 1, 2, tzinfo=UTC)
USERS = sa.table(
    "users", *(sa.column(c) for c in ("id", "email", "display_name", "password_hash", "role")),
    sa.column("is_active", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)),
)  # fmt: skip
AUDIT = sa.table(
    "audit_log", sa.column("id"), sa.column("at", sa.DateTime(timezone=True)),
    sa.column("user_id"), sa.column("action"), sa.column("entity_type"),
    sa.column("entity_id"), sa.column("details", sa.JSON),
)  # fmt: skip
LISTS = ("nace_codes", "ecosystems", "technologies", "keywords", "s3_priorities", "languages",
         "target_countries")  # fmt: skip
ORGANISATIONS = sa.table(
    "organisations", *(sa.column(c) for c in ("id", "key", "source", "profile_type", "name",
                                              "description", "label", "version")),
    *(sa.column(c, sa.JSON) for c in (*LISTS, "facts")), sa.column("is_synthetic", sa.Boolean),
    sa.column("label_valid_until", sa.Date), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)  # fmt: skip


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0005_names_earlier_actors_declares_labels_and_goes_down(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    _downgrade(engine, "0003")
    assert "actor" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    with engine.begin() as connection:
        connection.execute(
            USERS.insert().values(id=5, email="a@example.org", display_name="A",
                                  password_hash="x", role="member", is_active=True,
                                  created_at=NOW)
        )  # fmt: skip
        connection.execute(
            AUDIT.insert(),
            [
                {"id": 1, "at": NOW, "user_id": 5, "action": "login", "entity_type": "user",
                 "entity_id": "5", "details": {}},
                {"id": 2, "at": NOW, "user_id": None, "action": "login.failed",
                 "entity_type": "user", "entity_id": "5", "details": {}},
            ],
        )  # fmt: skip
        connection.execute(
            ORGANISATIONS.insert().values(
                id=1, key="k", source="user", profile_type="cluster_organisation", name="N",
                description="", label="gold", version=1, facts={}, is_synthetic=False,
                label_valid_until=NOW.date(), created_at=NOW, updated_at=NOW,
                **{name: [] for name in LISTS},
            )
        )  # fmt: skip
    upgrade(engine)
    with engine.connect() as connection:
        actors = connection.execute(sa.text("select id, actor from audit_log order by id")).all()
        review = connection.execute(sa.text("select label_review from organisations")).scalar()
    assert [tuple(row) for row in actors] == [(1, "user:5"), (2, "anonymous")]
    assert review == "declared"
    _downgrade(engine, "0003")
    assert "label_review" not in {c["name"] for c in inspect(engine).get_columns("organisations")}
    upgrade(engine)
    engine.dispose()
