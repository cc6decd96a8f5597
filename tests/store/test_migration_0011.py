"""Migration 0011 (a data set's years, growth period and series breaks) on SQLite and
PostgreSQL: up from 0010 with a data set in place, which then reads its years off its metrics
and the default period, and down again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect

from clusterhub.config import Settings
from clusterhub.services.observatory.datasets import get_dataset
from clusterhub.store.db import current_revision, make_engine, make_session_factory, upgrade
from tests.store.test_migration_0009 import _downgrade, _row

NOW = datetime(2026, 12, 6, tzinfo=UTC)
COLUMNS = {"years", "growth_years", "series_breaks"}


def _columns(engine: object) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("datasets")}


def test_0011_goes_up_from_0010_and_down_again(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    _downgrade(engine, "0010")
    assert not COLUMNS & _columns(engine)
    with engine.begin() as connection:
        _row(connection, "datasets", id=1, key="old", title="Loaded before", source="x.csv",
             notes="[]", loaded_at=NOW)  # fmt: skip
        for n, year in enumerate((2019, 2015, 2019), start=1):
            _row(connection, "cluster_metrics", id=n, dataset_id=1, region_code=f"AT1{n}",
                 region_type="nuts2", cluster_code="4", year=year, stars=0, stars_possible=2,
                 star_flags="{}")  # fmt: skip
    upgrade(engine, "0011")
    assert _columns(engine) >= COLUMNS
    with engine.connect() as connection:
        assert current_revision(connection) == "0011"
    with make_session_factory(engine)() as session:
        legacy = get_dataset(session, "old")
    assert (legacy.years, legacy.growth_years, legacy.series_breaks) == ([2015, 2019], 5, [])
    _downgrade(engine, "0010")
    assert not COLUMNS & _columns(engine)
    upgrade(engine)
    engine.dispose()
