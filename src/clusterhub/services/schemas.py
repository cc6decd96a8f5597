"""Pydantic records that services return and the JSON API serialises (the public shapes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """A page of results: the items and how many there are in all."""

    items: list[Item]
    total: int = Field(description="Number of matching items over all pages.")
    page: int = Field(description="1-based page number.")
    page_size: int


class DatasetPublic(BaseModel):
    """A loaded cluster map and the notes a reader must know to trust it."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    title: str
    source: str
    notes: list[str]
    loaded_at: datetime = Field(description="When the data set was loaded (UTC, with offset).")

    @field_validator("loaded_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        """Timestamps are stored in UTC, but SQLite hands them back without an offset, which
        would serialise as a local time that is not an RFC 3339 ``date-time``."""
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MetricPublic(BaseModel):
    """Measures and ratings of one region x cluster x year."""

    model_config = ConfigDict(from_attributes=True)

    dataset: str
    region_code: str
    region_name: str | None = None
    region_type: str
    cluster_code: str
    cluster_name: str | None = None
    year: int
    employment: float | None
    establishments: float | None
    wages: float | None
    imputed_share: float | None
    size_share: float | None
    focus: float | None
    lq: float | None
    wage_per_employee: float | None
    growth: float | None
    emp_rank: int | None
    lq_rank: int | None
    emp_percentile: float | None
    lq_percentile: float | None
    strong: bool | None
    strong10: bool | None
    significant: bool | None
    qualifying: bool | None
    stars: int
    stars_possible: int
    star_flags: dict[str, bool | None]


class RegionSummary(BaseModel):
    """A region in lists and search results."""

    model_config = ConfigDict(from_attributes=True)

    dataset: str
    code: str
    name: str | None
    region_type: str
    country: str | None
    total_employment: float | None
    has_geometry: bool


class RegionPublic(RegionSummary):
    """A region with its clusters (strongest first) in one year."""

    year: int
    clusters: list[MetricPublic]


class ClusterSummary(BaseModel):
    """A cluster category in lists and search results."""

    model_config = ConfigDict(from_attributes=True)

    dataset: str
    code: str
    name: str
    kind: str
    visible_share: float | None


class ClusterPublic(ClusterSummary):
    """A cluster with its regions (strongest first) in one year and the star distribution."""

    year: int
    region_type: str
    star_counts: dict[int, int]
    regions: list[MetricPublic]
