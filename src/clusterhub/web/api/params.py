"""What every module of the JSON API shares: the one error shape and the path and query
parameter types (with their limits and examples, which document the API and feed its fuzzers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel

from clusterhub.services.observatory.datasets import MAX_PAGE_SIZE


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a message for people, structured details."""

    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown code, with close matches suggested"},
    422: {"model": ErrorBody, "description": "A parameter is malformed; the field is named"},
}


CODE_PATTERN = r"^[A-Za-z0-9_.-]+$"
# The examples document the API and give fuzzers (tests/web/test_fuzz_api.py) codes that exist.
RegionCode = Annotated[
    str, Path(min_length=1, max_length=16, pattern=CODE_PATTERN, examples=["DE11", "DE", "CA"])
]
ClusterCode = Annotated[
    str, Path(min_length=1, max_length=16, pattern=CODE_PATTERN, examples=["4", "3"])
]
DatasetKey = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Data set key (see /api/v1/datasets); default: the first.",
        examples=["eu-sbs", "us-states"],
    ),
]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="Default: the latest year.")]
RegionType = Annotated[
    str | None, Query(max_length=16, description="nuts0, nuts1, nuts2, nuts3 or state.")
]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Limit = Annotated[int | None, Query(ge=1, le=1000, description="At most this many rows.")]
EstimatedStars = Annotated[
    bool,
    Query(
        description="Show the stars of mostly estimated cells too (by default a cell whose "
        "estimated_share is above max_estimated gets 0 stars and stars_withheld true)."
    ),
]
MaxEstimated = Annotated[
    float,
    Query(
        ge=0.0,
        le=1.0,
        description="Largest estimated share (filled or apportioned employment) a cell may "
        "have and keep its stars; default 0.5.",
    ),
]
