"""Alembic environment: runs on the connection handed over by ``store.db.upgrade``.

``alembic`` on the command line also works: the URL then comes from the settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from clusterhub.config import get_settings
from clusterhub.store.fts import is_index_table
from clusterhub.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Migrate on the given connection, or on one opened from the settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(get_settings().database_url)
    with engine.begin() as fresh:
        _migrate(fresh)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=_described_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


def _described_by_models(name: str | None, type_: str, _parents: object) -> bool:
    """Autogenerate leaves the full-text index alone: its DDL is per-database (``store.fts``)."""
    return not (type_ == "table" and name is not None and is_index_table(name))


run()
