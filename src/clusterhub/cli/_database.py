"""The configured database for commands that read or write it, prepared as the server's first
start prepares it (imports happen when a command runs, not when ``clusterhub`` starts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from clusterhub.cli._console import reference_data

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clusterhub.services.reference import ReferenceData


@contextmanager
def prepared_database() -> Iterator[tuple[Session, ReferenceData]]:
    """One transaction on the configured database, prepared as on the server's first start."""
    from clusterhub.config import get_settings
    from clusterhub.services.bootstrap import prepare_database
    from clusterhub.store.db import make_engine, make_session_factory, transaction

    settings = get_settings()
    with reference_data(settings) as reference:
        prepare_database(settings, reference, directory=False)
        engine = make_engine(settings)
        try:
            with transaction(make_session_factory(engine)) as session:
                yield session, reference
        finally:
            engine.dispose()
