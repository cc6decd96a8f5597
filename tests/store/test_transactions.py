"""A transaction is all-or-nothing on both databases, savepoints inside it included.

SQLite's Python driver starts a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT
issued first became the outermost transaction, and releasing it committed: a later rollback
then left the rows of the savepoint behind (a failed registration kept its account).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clusterhub.config import Settings
from clusterhub.services import audit
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry


def test_a_rolled_back_transaction_undoes_its_released_savepoints(
    db_settings: Settings,
) -> None:
    factory = make_session_factory(make_engine(db_settings))
    with pytest.raises(RuntimeError), transaction(factory) as session:
        session.scalar(select(func.count(AuditEntry.id)))  # a read first, as requests do
        with session.begin_nested():
            audit.record(session, actor_id=None, action="a", entity_type="t", entity_id=1)
        audit.record(session, actor_id=None, action="b", entity_type="t", entity_id=2)
        raise RuntimeError("a later step failed")
    with transaction(factory) as session:
        assert session.scalars(select(AuditEntry.action)).all() == []


def test_a_savepoint_rolls_back_alone(db_settings: Settings) -> None:
    factory = make_session_factory(make_engine(db_settings))
    with transaction(factory) as session:
        audit.record(session, actor_id=None, action="kept", entity_type="t", entity_id=1)
        with pytest.raises(RuntimeError), session.begin_nested():
            audit.record(session, actor_id=None, action="undone", entity_type="t", entity_id=2)
            session.flush()
            raise RuntimeError("this step failed")
    with transaction(factory) as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["kept"]
