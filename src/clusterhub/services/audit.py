"""The audit log: who wrote what, when. Every write use case records one entry.

Entries are written in the caller's transaction, so a write and its audit entry are stored
together or not at all. ``services.write_actions`` lists every write use case with the action it
records; ``services.accounts.audit_log`` reads the log for site admins.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from clusterhub.services.schemas import ImportReport, UtcDatetime
from clusterhub.store.models import AuditEntry

_OS_USER = re.compile(r"[^A-Za-z0-9._@-]")


@dataclass(frozen=True)
class Actor:
    """Who performs a write, as the audit log names them.

    A person with an account is ``user:<id>``; the command line is ``cli:<OS user name>``, since
    a shell has no account of the platform but the operating system knows who ran it; work the
    platform does by itself is ``system:<task>``.
    """

    name: str
    user_id: int | None = None

    @classmethod
    def of_user(cls, user_id: int) -> Actor:
        """A logged-in user (web page or API)."""
        return cls(f"user:{user_id}", user_id)

    @classmethod
    def command_line(cls) -> Actor:
        """Whoever runs the ``clusterhub`` command, by their operating-system user name."""
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no login name and no password-database entry
            name = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
        return cls(f"cli:{_OS_USER.sub('_', name)[:100] or 'unknown'}")

    @classmethod
    def system(cls, task: str) -> Actor:
        """The platform itself, doing ``task`` (``bootstrap``, ``embedding-backfill``)."""
        return cls(f"system:{task}")


ANONYMOUS = Actor("anonymous")
#: First start (and ``serve --reload-data``): the built-in data sets and directory records.
BOOTSTRAP = Actor.system("bootstrap")


class AuditPublic(BaseModel):
    """One audit entry as pages, the API and the CSV download show it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: UtcDatetime = Field(description="When (UTC, with offset).")
    actor: str = Field(description="user:<id>, cli:<OS user>, system:<task> or anonymous.")
    user_id: int | None
    user_email: str | None = Field(None, description="The account's e-mail, for user actors.")
    action: str
    entity_type: str
    entity_id: str | None
    details: dict[str, Any]


def record(
    session: Session,
    *,
    actor_id: int | None = None,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    details: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Add one entry, by ``actor`` or else by the user ``actor_id`` (None: anonymous, e.g. a
    reset request). Give one of the two: an ``actor`` that is a user names the same id."""
    if actor is None:
        actor = ANONYMOUS if actor_id is None else Actor.of_user(actor_id)
    elif actor_id is not None and actor_id != actor.user_id:
        raise ValueError(f"actor_id {actor_id} contradicts actor {actor.name}")
    session.add(
        AuditEntry(
            user_id=actor.user_id,
            actor=actor.name,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            details=details or {},
        )
    )


def record_import(
    session: Session,
    *,
    by: Actor,
    action: str,
    entity_type: str,
    report: ImportReport,
    file: str | None,
) -> None:
    """One entry for a whole import, with its counts: the records' own histories (profile
    revisions) keep what changed in each, so an entry per record would only repeat them."""
    record(
        session,
        actor=by,
        action=action,
        entity_type=entity_type,
        entity_id=report.source,
        details={
            **({"file": file} if file else {}),
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            **({"extra": report.extra} if report.extra else {}),
        },
    )
