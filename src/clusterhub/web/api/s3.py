"""JSON API ``/api/v1/s3``: Smart Specialisation strategies, a region's priorities beside its
strong clusters, partner regions, thematic partnerships and the seed's facts (read only; imports
and coding are the command line's, ``clusterhub s3``). Synthetic demonstration records say so in
their ``synthetic`` field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from clusterhub.services.s3 import compare, strategies
from clusterhub.services.s3.schemas import (
    PartnerRegion,
    RegionComparison,
    S3PartnershipPublic,
    StrategySummary,
)
from clusterhub.services.s3.seed import SeedFacts, seed_facts
from clusterhub.web.api.directory import errors
from clusterhub.web.deps import DbSession, DirIndex, S3CodeLists

router = APIRouter(prefix="/api/v1/s3", tags=["smart specialisation"], responses=errors(422))
RegionCode = Annotated[
    str, Path(min_length=2, max_length=8, pattern=r"^[A-Za-z0-9]+$", examples=["DE11"])
]
Country = Annotated[
    str | None, Query(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$", examples=["DE"])
]


@router.get("/strategies")
def strategy_list(
    session: DbSession, index: DirIndex, country: Country = None
) -> list[StrategySummary]:
    """Each region's latest strategy (with ``country``: that country's regions only)."""
    return strategies.list_strategies(session, country=country, region_names=index.region_names)


@router.get("/regions/{code}", responses=errors(404))
def region(session: DbSession, codes: S3CodeLists, code: RegionCode) -> RegionComparison:
    """The region's latest strategy with its priorities beside its strong clusters: each row a
    priority backed by a strong cluster, a priority without a cluster base, or a strong cluster
    outside the priorities."""
    return compare.compare_region(session, region=code, codes=codes)


@router.get("/regions/{code}/partners", responses=errors(404))
def partners(
    session: DbSession,
    codes: S3CodeLists,
    code: RegionCode,
    top: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[PartnerRegion]:
    """Regions to partner with, by shared priorities and complementary strengths, each with
    its reasons (404 when the region has no stored strategy)."""
    return compare.partner_regions(session, region=code, codes=codes, top=top)


@router.get("/partnerships")
def partnership_list(
    session: DbSession,
    region: Annotated[str | None, Query(max_length=8, pattern=r"^[A-Za-z0-9]+$")] = None,
) -> list[S3PartnershipPublic]:
    """Thematic S3 partnerships with their lead and member regions (``region``: its own)."""
    return strategies.list_partnerships(session, region=region)


@router.get("/facts")
def facts() -> SeedFacts:
    """What the 2018 seed document states about the thematic S3 platforms, with its source
    (it names no region or thematic area; none is made up)."""
    return seed_facts()
