"""Reading the audit log: filtered, newest first, a page at a time or whole as a download.

Only site admins read it. Programme officers do not: the log holds every account's log-ins
with their client addresses and every profile's changes, and no rule yet says which of those
entries belong to an officer's programme (see ``docs/reference/accounts.md``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput
from clusterhub.services.accounts.users import Role, UserPublic, normalise_email, require
from clusterhub.services.audit import AuditPublic
from clusterhub.services.schemas import Page
from clusterhub.store.models import AuditEntry, User, as_utc

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
#: Most rows one download holds (newest first); narrow the filters for older ones.
MAX_EXPORT_ROWS = 100_000
EXPORT_COLUMNS = (
    "id", "at", "actor", "user_id", "user_email", "action", "entity_type", "entity_id",
    "details",
)  # fmt: skip
_TEXT = r"^[^\x00-\x1f\x7f]*$"


class AuditQuery(BaseModel):
    """Which entries to read; every filter is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    actor: str | None = Field(
        None,
        max_length=254,
        pattern=_TEXT,
        description="An actor (user:42, cli:alice, system:bootstrap, anonymous) or an "
        "account's e-mail address.",
    )
    action: str | None = Field(None, max_length=64, pattern=_TEXT, description="e.g. login.")
    entity_type: str | None = Field(None, max_length=64, pattern=_TEXT)
    entity_id: str | None = Field(None, max_length=128, pattern=_TEXT)
    since: date | None = Field(None, description="From this day on (UTC, inclusive).")
    until: date | None = Field(None, description="Up to this day (UTC, inclusive).")

    @field_validator("actor")
    @classmethod
    def _email_normalised(cls, value: str | None) -> str | None:
        if value is None or "@" not in value:
            return value
        try:
            return normalise_email(value)
        except InvalidInput as exc:
            raise ValueError(exc.problems[0].message) from None

    @model_validator(mode="after")
    def _ordered(self) -> AuditQuery:
        if self.since and self.until and self.since > self.until:
            raise ValueError("'since' is after 'until'")
        return self

    @classmethod
    def parse(cls, values: dict[str, Any]) -> AuditQuery:
        """The filters from a form or address (empty fields left out), or ``InvalidInput``
        naming the field."""
        try:
            return cls.model_validate({k: v for k, v in values.items() if v not in (None, "")})
        except ValidationError as error:
            first = error.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "until"
            value = first.get("input")
            raise InvalidInput.single(
                first["msg"].removeprefix("Value error, "),
                field=field,
                value=value if isinstance(value, str) else None,
            ) from None

    def params(self) -> dict[str, str]:
        """The filters that are set, as address parameters (for page links and downloads)."""
        return {k: str(v) for k, v in self.model_dump().items() if v is not None}


def search(
    session: Session,
    *,
    actor: UserPublic | None,
    query: AuditQuery,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Page[AuditPublic]:
    """One page of matching entries, newest first, with the number matching (site admins)."""
    require(session, actor=actor, minimum=Role.SITE_ADMIN)
    if not 1 <= page_size <= MAX_PAGE_SIZE or page < 1:
        raise InvalidInput.single(f"expected a page >= 1 and a page size 1-{MAX_PAGE_SIZE}")
    where = _conditions(query)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    rows = session.execute(_entries(where).offset((page - 1) * page_size).limit(page_size)).all()
    return Page[AuditPublic](
        items=[_public(entry, email) for entry, email in rows],
        total=total,
        page=page,
        page_size=page_size,
    )


def export_rows(
    session: Session, *, actor: UserPublic | None, query: AuditQuery
) -> list[dict[str, Any]]:
    """Every matching entry (at most ``MAX_EXPORT_ROWS``, newest first) as download rows.

    Read as plain columns, not as entries: a download of 100,000 rows would otherwise spend
    most of its time building objects nobody sees.
    """
    require(session, actor=actor, minimum=Role.SITE_ADMIN)
    columns = [getattr(AuditEntry, name) for name in _ENTRY_COLUMNS]
    statement = (
        select(*columns, User.email)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(*_conditions(query))
        .order_by(AuditEntry.id.desc())
        .limit(MAX_EXPORT_ROWS)
    )
    return [_download_row(row) for row in session.execute(statement)]


_ENTRY_COLUMNS = ("id", "at", "actor", "user_id", "action", "entity_type", "entity_id", "details")


def _download_row(row: Any) -> dict[str, Any]:
    values = dict(zip((*_ENTRY_COLUMNS, "user_email"), row, strict=True))
    values["at"] = as_utc(values["at"]).isoformat()
    values["details"] = json.dumps(values["details"], ensure_ascii=False, sort_keys=True)
    return values


def _entries(where: list[Any]) -> Select[AuditEntry, str]:
    return (
        select(AuditEntry, User.email)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(*where)
        .order_by(AuditEntry.id.desc())
    )


def _public(entry: AuditEntry, email: str | None) -> AuditPublic:
    return AuditPublic.model_validate(entry).model_copy(update={"user_email": email})


def _conditions(query: AuditQuery) -> list[Any]:
    where: list[Any] = []
    if query.actor:
        where.append(_actor_condition(query.actor))
    for name in ("action", "entity_type", "entity_id"):
        value = getattr(query, name)
        if value:
            where.append(getattr(AuditEntry, name) == value)
    if query.since:
        where.append(AuditEntry.at >= _start_of(query.since))
    if query.until:
        where.append(AuditEntry.at < _start_of(query.until + timedelta(days=1)))
    return where


def _actor_condition(actor: str) -> Any:
    """An e-mail address matches its account's entries; anything else the actor's name."""
    if "@" in actor:  # normalised by AuditQuery
        return AuditEntry.user_id.in_(select(User.id).where(User.email == actor))
    return AuditEntry.actor == actor


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
