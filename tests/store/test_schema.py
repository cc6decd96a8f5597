"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from clusterhub.config import Settings
from clusterhub.store.db import make_engine
from clusterhub.store.fts import is_index_table
from clusterhub.store.models import Base


def test_migrated_schema_matches_the_models(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": lambda name, kind, _: not (kind == "table" and is_index_table(name))
            },
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_every_model_table_exists_after_migration(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
