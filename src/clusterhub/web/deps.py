"""Request-scoped dependencies: a database session per request, the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput


def db_session(request: Request) -> Iterator[Session]:
    """A session committed when the request succeeds and rolled back when it fails."""
    factory = request.app.state.sessions
    with factory() as session, session.begin():
        yield session


def app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(db_session)]
AppSettings = Annotated[Settings, Depends(app_settings)]


def no_nul_characters(request: Request) -> None:
    """Refuse NUL characters in any query parameter (422), on every page and API route:
    PostgreSQL text cannot hold them, so they would otherwise fail in the database as a 500."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise InvalidInput.single(
                "text cannot contain NUL characters", field=name, value=repr(value)[1:-1]
            )
