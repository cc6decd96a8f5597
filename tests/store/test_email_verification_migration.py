"""Migration 0004 on SQLite and PostgreSQL: accounts that exist before e-mail verification
keep their rights (they count as verified), and the migration can be undone and redone."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from clusterhub.config import Settings
from clusterhub.store.db import MIGRATIONS, make_engine, upgrade

CREATED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def _downgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_existing_accounts_count_as_verified(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    _downgrade(engine, "0003")
    assert "email_verification_tokens" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, display_name, password_hash, role, is_active, "
                "created_at) VALUES ('old@example.org', 'Old', 'x', 'member', true, :at)"
            ),
            {"at": CREATED},
        )
    upgrade(engine)
    with engine.connect() as connection:
        verified = connection.execute(
            text("SELECT email_verified_at FROM users WHERE email = 'old@example.org'")
        ).scalar_one()
    engine.dispose()
    assert verified is not None
    stored = verified if isinstance(verified, datetime) else datetime.fromisoformat(verified)
    assert stored.replace(tzinfo=stored.tzinfo or UTC) == CREATED
