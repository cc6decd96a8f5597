"""The audit log: who wrote what, when. Every write use case records one entry.

Entries are written in the caller's transaction, so a write and its audit entry are stored
together or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.store.models import AuditEntry, User

MAX_ENTRIES = 500


class AuditPublic(BaseModel):
    """One audit entry as pages and the API show it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    user_id: int | None
    actor: str | None = None
    action: str
    entity_type: str
    entity_id: str | None
    details: dict[str, Any]


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one entry; ``actor_id`` is None for anonymous actors (e.g. a reset request)."""
    session.add(
        AuditEntry(
            user_id=actor_id,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            details=details or {},
        )
    )


def recent(
    session: Session, *, limit: int = 100, entity_type: str | None = None
) -> list[AuditPublic]:
    """The newest entries first, with the actor's e-mail (callers check who may see them)."""
    query = (
        select(AuditEntry, User.email)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .order_by(AuditEntry.id.desc())
        .limit(max(1, min(limit, MAX_ENTRIES)))
    )
    if entity_type is not None:
        query = query.where(AuditEntry.entity_type == entity_type)
    return [
        AuditPublic.model_validate(entry).model_copy(update={"actor": email})
        for entry, email in session.execute(query)
    ]
