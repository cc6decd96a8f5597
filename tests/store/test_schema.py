"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from clusterhub.config import Settings
from clusterhub.store.db import make_engine
from clusterhub.store.models import Base


def test_migrated_schema_matches_the_models(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_every_model_table_exists_after_migration(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
