"""JSON API ``/api/v1``: what the observatory pages show, for programs. Parse, call, return."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from clusterhub.errors import InvalidInput
from clusterhub.services import observatory, scoreboard, scoreboard_export, scoreboard_imports
from clusterhub.services.accounts import UserPublic
from clusterhub.services.diversification import region_diversification
from clusterhub.services.diversification_schemas import DiversificationPublic
from clusterhub.services.observatory import MAX_PAGE_SIZE, MetricFilter, SortKey
from clusterhub.services.schemas import (
    ClusterPublic,
    ClusterSummary,
    DatasetPublic,
    MetricPublic,
    Page,
    RegionPublic,
    RegionSummary,
)
from clusterhub.services.scoreboard_schemas import ImportResult, ScorecardPublic
from clusterhub.stats.scoreboard import Method, ScoreOptions
from clusterhub.web.caching import data_changed
from clusterhub.web.deps import DbSession
from clusterhub.web.exporting import export_table
from clusterhub.web.security import require_role
from clusterhub.web.uploads import UploadForm


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


router = APIRouter(
    prefix="/api/v1",
    tags=["observatory"],
    responses=ERRORS,
)

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


@router.get("/datasets")
def datasets(session: DbSession) -> list[DatasetPublic]:
    """Loaded cluster maps with their sources and the notes needed to read them."""
    return observatory.list_datasets(session)


@router.get("/regions")
def regions(
    session: DbSession,
    dataset: DatasetKey = None,
    region_type: RegionType = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name or code fragment.")] = None,
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> Page[RegionSummary]:
    """Regions, filtered by type, country or a name fragment, one page at a time."""
    return observatory.list_regions(
        session,
        dataset=dataset,
        region_type=region_type,
        country=country,
        q=q,
        page=page,
        page_size=page_size,
    )


@router.get("/regions/{nuts_code}")
def region(
    session: DbSession,
    nuts_code: RegionCode,
    dataset: DatasetKey = None,
    year: Year = None,
    limit: Limit = None,
) -> RegionPublic:
    """A region's clusters with metrics and ratings, strongest first."""
    return observatory.region_detail(
        session, code=nuts_code, dataset=dataset, year=year, limit=limit
    )


Peers = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=r"^[A-Za-z0-9, ]*$",
        description="Up to 5 comma-separated peer regions of the same NUTS level; "
        "default: the 5 closest in cluster portfolio and size.",
        examples=["DE21,ITC4"],
    ),
]


ScoreMethod = Annotated[
    Method,
    Query(description="Normalisation: minmax (0-100, default) or zscore."),
]


@router.get("/regions/{nuts_code}/scoreboard", tags=["scoreboard"])
def region_scoreboard(
    session: DbSession, nuts_code: RegionCode, peers: Peers = None, method: ScoreMethod = "minmax"
) -> ScorecardPublic:
    """The region's Regional Ecosystem Scoreboard: six dimension scores against peers,
    bottlenecks and the indicators behind them (country-level values flagged)."""
    return scoreboard.region_scorecard(
        session, code=nuts_code, peers=peers, options=ScoreOptions(method=method)
    )


@router.get("/regions/{nuts_code}/scoreboard.csv", tags=["scoreboard"], response_class=Response)
def region_scoreboard_csv(
    session: DbSession, nuts_code: RegionCode, peers: Peers = None, method: ScoreMethod = "minmax"
) -> Response:
    """The scoreboard as CSV: one row per dimension, then per indicator."""
    card = scoreboard.region_scorecard(
        session, code=nuts_code, peers=peers, options=ScoreOptions(method=method)
    )
    return export_table(
        scoreboard_export.scorecard_rows(card),
        scoreboard_export.SCORECARD_COLUMNS,
        name=f"scoreboard_{card.region}",
        fmt="csv",
    )


#: Who may upload indicator values, checked before the upload is read.
Importer = Annotated[UserPublic, Depends(require_role(scoreboard_imports.IMPORT_ROLE))]
_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "eurostat": {
                            "type": "string",
                            "maxLength": 64,
                            "description": "Catalogue indicator of a Eurostat TSV / SDMX-CSV file.",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/scoreboard/indicators",
    tags=["scoreboard"],
    status_code=201,
    openapi_extra=_UPLOAD_FORM,
    responses={
        400: {"model": ErrorBody, "description": "The body is not readable multipart form data"},
        401: {"model": ErrorBody, "description": "Not logged in"},
        403: {"model": ErrorBody, "description": "Below the programme officer role"},
        413: {"model": ErrorBody, "description": "The body is above the upload limit"},
    },
)
def upload_indicators(
    request: Request, user: Importer, upload: UploadForm, session: DbSession
) -> ImportResult:
    """Import scoreboard indicator values (``region,indicator,year,value`` CSV, or a Eurostat
    download with ``eurostat``): programme officers and site admins; every row or none.

    The role is checked before a byte of the body is read, and the body limit
    (``web.limits``) refuses an oversized body as it arrives."""
    if isinstance(upload, InvalidInput):
        raise upload
    result = scoreboard_imports.import_upload(
        session, actor=user, name=upload.name, content=upload.content,
        reference=request.app.state.reference, eurostat=upload.eurostat,
    )  # fmt: skip
    session.commit()  # before the caches forget: the next request reads the new values
    data_changed(request.app.state)
    return result


@router.get("/regions/{nuts_code}/diversification", tags=["relatedness"])
def region_diversification_paths(
    session: DbSession,
    nuts_code: RegionCode,
    dataset: DatasetKey = None,
    year: Year = None,
    limit: Limit = None,
) -> DiversificationPublic:
    """Clusters the region is not specialised in, by relatedness density, each with the
    region's specialisations that justify it and regions abroad strong in it (422 when the
    data set's regions of this type are too few for relatedness, for an Extra-Regio code, or
    for a data set of emerging industries, whose shared NACE codes make proximity mechanical)."""
    return region_diversification(session, code=nuts_code, dataset=dataset, year=year, limit=limit)


@router.get("/clusters")
def clusters(
    session: DbSession,
    dataset: DatasetKey = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> list[ClusterSummary]:
    """Cluster categories with how much of each the data can see."""
    return observatory.list_clusters(session, dataset=dataset, q=q)


@router.get("/clusters/{cluster_code}")
def cluster(
    session: DbSession,
    cluster_code: ClusterCode,
    dataset: DatasetKey = None,
    year: Year = None,
    region_type: RegionType = None,
    limit: Limit = None,
) -> ClusterPublic:
    """A cluster's regions with metrics and ratings, strongest first, and its star counts."""
    return observatory.cluster_detail(
        session,
        code=cluster_code,
        dataset=dataset,
        year=year,
        region_type=region_type,
        limit=limit,
    )


@router.get("/metrics")
def metrics(
    session: DbSession,
    dataset: DatasetKey = None,
    region: Annotated[str | None, Query(max_length=16)] = None,
    cluster: Annotated[str | None, Query(max_length=16)] = None,
    year: Year = None,
    region_type: RegionType = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    min_stars: Annotated[int | None, Query(ge=0, le=10)] = None,
    strong: bool | None = None,
    sort: SortKey = "strength",
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> Page[MetricPublic]:
    """Metric rows (region x cluster x year) filtered and paged."""
    filters = MetricFilter(
        dataset=dataset,
        region=region,
        cluster=cluster,
        year=year,
        region_type=region_type,
        country=country.upper() if country else None,
        min_stars=min_stars,
        strong=strong,
    )
    return observatory.list_metrics(
        session, filters=filters, sort=sort, page=page, page_size=page_size
    )
