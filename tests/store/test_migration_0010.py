"""Migration 0010 (Smart Specialisation) on SQLite and PostgreSQL: up from 0009 with data in
place, one strategy per region and period, priorities removed with their strategy, and down
again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from clusterhub.config import Settings
from clusterhub.store.db import current_revision, make_engine, upgrade
from tests.store.test_migration_0009 import _downgrade, _row

NOW = datetime(2026, 12, 5, tzinfo=UTC)
S3_TABLES = {"s3_strategies", "s3_priorities", "s3_partnerships", "s3_partnership_regions"}


def test_0010_goes_up_from_0009_and_down_again(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    _downgrade(engine, "0009")
    assert not S3_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine, "0010")
    assert set(inspect(engine).get_table_names()) >= S3_TABLES
    with engine.connect() as connection:
        assert current_revision(connection) == "0010"
    strategy = {"region_code": "DE11", "country": "DE", "title": "S", "source": "test",
                "synthetic": True, "created_at": NOW, "updated_at": NOW}  # fmt: skip
    with engine.begin() as connection:
        _row(connection, "s3_strategies", id=1, period="2014-2020", **strategy)
        _row(connection, "s3_strategies", id=2, period="2021-2027", **strategy)
        _row(connection, "s3_priorities", id=1, strategy_id=1, position=1, title="Wind",
             description="", nace_codes='["35.11"]', fos_codes="[]", objectives="[]",
             cluster_codes="[]", cluster_edits="{}", coding_status="imported",
             proposal="{}")  # fmt: skip
    with pytest.raises(IntegrityError), engine.begin() as connection:
        _row(connection, "s3_strategies", id=3, period="2014-2020", **strategy)
    _downgrade(engine, "0009")
    assert not S3_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from s3_strategies")).scalar() == 0
    engine.dispose()
