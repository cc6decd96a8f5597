"""JSON API ``/api/v1``: what the observatory pages show, for programs. Parse, call, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from clusterhub.errors import NotFound
from clusterhub.services.observatory import datasets as observatory
from clusterhub.services.observatory.datasets import (
    DEFAULT_STARS,
    MetricFilter,
    SortKey,
    StarPolicy,
)
from clusterhub.services.observatory.diversification import region_diversification
from clusterhub.services.observatory.recoding import moved_region
from clusterhub.services.observatory.schemas import (
    ClusterPublic,
    ClusterSummary,
    DatasetPublic,
    DiversificationPublic,
    MetricPublic,
    RegionPublic,
    RegionSummary,
)
from clusterhub.services.schemas import Page
from clusterhub.web.api.params import (
    ERRORS,
    ClusterCode,
    DatasetKey,
    EstimatedStars,
    Limit,
    MaxEstimated,
    PageNo,
    PageSize,
    RegionCode,
    RegionType,
    Year,
)
from clusterhub.web.deps import DbSession, History

router = APIRouter(prefix="/api/v1", tags=["observatory"], responses=ERRORS)


@router.get("/datasets")
def datasets(session: DbSession) -> list[DatasetPublic]:
    """Loaded cluster maps with their sources and the notes needed to read them."""
    return observatory.list_datasets(session)


@router.get("/regions")
def regions(
    session: DbSession,
    history: History,
    dataset: DatasetKey = None,
    region_type: RegionType = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Name or code fragment; also any code or name of an earlier NUTS version.",
        ),
    ] = None,
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
        history=history,
    )


@router.get(
    "/regions/{nuts_code}",
    response_model=RegionPublic,
    responses={307: {"description": "An earlier NUTS version's code: its NUTS 2021 region."}},
)
def region(
    request: Request,
    session: DbSession,
    history: History,
    nuts_code: RegionCode,
    dataset: DatasetKey = None,
    year: Year = None,
    limit: Limit = None,
    estimated_stars: EstimatedStars = False,
    max_estimated: MaxEstimated = DEFAULT_STARS.max_estimated,
) -> RegionPublic | Response:
    """A region's clusters with metrics and ratings, strongest first. Each carries its
    ``estimated_share``; stars of mostly estimated cells are withheld unless asked. A code of
    an earlier NUTS version that is only recoded (FR62) redirects to its NUTS 2021 code
    (FRJ2); one that was split answers 404 naming the regions it became."""
    try:
        return observatory.region_detail(
            session,
            code=nuts_code,
            dataset=dataset,
            year=year,
            limit=limit,
            stars=StarPolicy(max_estimated, include_estimated=estimated_stars),
        )
    except NotFound:
        moved = moved_region(history, nuts_code) if history is not None else None
        if moved is None:
            raise
        if moved.single is None:
            raise NotFound(moved.sentence) from None
        target = request.url.replace(path=f"/api/v1/regions/{moved.single}")
        return RedirectResponse(str(target), status_code=307)


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
    estimated_stars: EstimatedStars = False,
    max_estimated: MaxEstimated = DEFAULT_STARS.max_estimated,
) -> ClusterPublic:
    """A cluster's regions with metrics and ratings, strongest first, and its star counts
    (stars of mostly estimated cells withheld unless asked)."""
    return observatory.cluster_detail(
        session,
        code=cluster_code,
        dataset=dataset,
        year=year,
        region_type=region_type,
        limit=limit,
        stars=StarPolicy(max_estimated, include_estimated=estimated_stars),
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
    estimated_stars: EstimatedStars = False,
    max_estimated: MaxEstimated = DEFAULT_STARS.max_estimated,
) -> Page[MetricPublic]:
    """Metric rows (region x cluster x year) filtered and paged; ``min_stars`` counts the
    stars shown (withheld stars of mostly estimated cells are 0 unless asked)."""
    filters = MetricFilter(
        dataset=dataset,
        region=region,
        cluster=cluster,
        year=year,
        region_type=region_type,
        country=country.upper() if country else None,
        min_stars=min_stars,
        strong=strong,
        stars=StarPolicy(max_estimated, include_estimated=estimated_stars),
    )
    return observatory.list_metrics(
        session, filters=filters, sort=sort, page=page, page_size=page_size
    )
