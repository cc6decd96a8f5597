"""Printable region and cluster profiles: an A4 page for the browser's Print, and its PDF.

Each handler gathers one report (``services.reports.profiles``) and renders it; the PDF is
the same document printed by WeasyPrint, so page and PDF show the same numbers and marks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from clusterhub.services.reports import render
from clusterhub.services.reports.printing import PrintShop
from clusterhub.services.reports.profiles import (
    ClusterReport,
    RegionReport,
    cluster_report,
    region_report,
)
from clusterhub.web.api.params import CODE_PATTERN, ERRORS, DatasetKey, RegionType, Year
from clusterhub.web.deps import DbSession
from clusterhub.web.security import client_address

router = APIRouter(tags=["reports"], responses=ERRORS)

Code = Annotated[
    str, Path(min_length=1, max_length=16, pattern=CODE_PATTERN, examples=["DE21", "4"])
]
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "An A4 PDF document."}
}


def _site(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _query(**params: object) -> str:
    return urlencode({k: v for k, v in params.items() if v is not None})


def _region(
    request: Request, session: DbSession, code: str, dataset: str | None, year: int | None
) -> RegionReport:
    return region_report(
        session,
        request.app.state.reference.regions,
        code=code,
        dataset=dataset,
        year=year,
        site=_site(request),
    )


def _cluster(
    request: Request,
    session: DbSession,
    code: str,
    dataset: str | None,
    year: int | None,
    region_type: str | None,
) -> ClusterReport:
    return cluster_report(
        session,
        request.app.state.reference.regions,
        code=code,
        dataset=dataset,
        year=year,
        region_type=region_type,
        site=_site(request),
    )


def _pdf(request: Request, session: DbSession, name: str, document: Callable[[], str]) -> Response:
    """The PDF of ``document`` (gathered and printed only when not kept: ``PrintShop``)."""
    shop: PrintShop = request.app.state.print_shop
    address = (request.url.path, request.url.query)
    data, kept = shop.pdf(session, client_address(request), address, lambda: render.pdf(document()))
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}.pdf"',
            "X-Clusterhub-Print": "kept" if kept else "printed",
        },
    )


@router.get("/regions/{code}/report", response_class=HTMLResponse)
def region_page(
    request: Request, session: DbSession, code: Code, dataset: DatasetKey = None, year: Year = None
) -> HTMLResponse:
    """A region profile to print (A4): map, strong clusters, scoreboard and sources."""
    report = _region(request, session, code, dataset, year)
    query = _query(dataset=report.region.dataset, year=report.region.year)
    toolbar = [
        ("← Region page", f"/regions/{code}?{query}"),
        ("Download PDF", f"/regions/{code}/report.pdf?{query}"),
    ]
    return HTMLResponse(render.region_html(report, toolbar))


@router.get("/regions/{code}/report.pdf", response_class=Response, responses=PDF)
def region_pdf(
    request: Request, session: DbSession, code: Code, dataset: DatasetKey = None, year: Year = None
) -> Response:
    """The region profile as an A4 PDF."""
    name = f"region_{code}" + (f"_{year}" if year else "")
    return _pdf(
        request,
        session,
        name,
        lambda: render.region_html(_region(request, session, code, dataset, year)),
    )


@router.get("/clusters/{code}/report", response_class=HTMLResponse)
def cluster_page(
    request: Request,
    session: DbSession,
    code: Code,
    dataset: DatasetKey = None,
    year: Year = None,
    region_type: RegionType = None,
) -> HTMLResponse:
    """A cluster profile to print (A4): map of stars, top regions, rating distribution."""
    report = _cluster(request, session, code, dataset, year, region_type)
    cluster = report.cluster
    query = _query(dataset=cluster.dataset, year=cluster.year, region_type=cluster.region_type)
    toolbar = [
        ("← Cluster page", f"/clusters/{code}?{query}"),
        ("Download PDF", f"/clusters/{code}/report.pdf?{query}"),
    ]
    return HTMLResponse(render.cluster_html(report, toolbar))


@router.get("/clusters/{code}/report.pdf", response_class=Response, responses=PDF)
def cluster_pdf(
    request: Request,
    session: DbSession,
    code: Code,
    dataset: DatasetKey = None,
    year: Year = None,
    region_type: RegionType = None,
) -> Response:
    """The cluster profile as an A4 PDF."""
    name = "_".join(str(p) for p in ("cluster", code, region_type, year) if p)

    def document() -> str:
        return render.cluster_html(_cluster(request, session, code, dataset, year, region_type))

    return _pdf(request, session, name, document)
