"""Records every domain shares: a page of results, UTC timestamps, what an import did.

Each domain keeps its own public shapes in its ``schemas`` module (``directory.schemas``,
``observatory.schemas``, ...); only what several domains return lives here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, Field

Item = TypeVar("Item")


def _utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without an offset; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]


class Page(BaseModel, Generic[Item]):
    """A page of results: the items and how many there are in all."""

    items: list[Item]
    total: int = Field(description="Number of matching items over all pages.")
    page: int = Field(description="1-based page number.")
    page_size: int


class ImportReport(BaseModel):
    """What an import did (it either did all of it or nothing)."""

    source: str
    rows: int
    created: int
    updated: int
    unchanged: int
    extra: dict[str, int] = Field(default_factory=dict)
