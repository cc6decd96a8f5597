"""Printable region and cluster profiles: an A4 page for the browser's Print, and its PDF.

Each handler gathers one report (``services.reports.profiles``) and renders it; the PDF is
the same document printed by WeasyPrint, so page and PDF show the same numbers and marks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class RegionAsk:
    """What a region report is asked for: page and PDF take the same parameters."""

    request: Request
    session: Session
    code: str
    dataset: str | None
    year: int | None

    def report(self) -> RegionReport:
        return region_report(
            self.session,
            self.request.app.state.reference.regions,
            code=self.code,
            dataset=self.dataset,
            year=self.year,
            site=_site(self.request),
        )


@dataclass(frozen=True)
class ClusterAsk:
    """What a cluster report is asked for: page and PDF take the same parameters."""

    request: Request
    session: Session
    code: str
    dataset: str | None
    year: int | None
    region_type: str | None

    def report(self) -> ClusterReport:
        return cluster_report(
            self.session,
            self.request.app.state.reference.regions,
            code=self.code,
            dataset=self.dataset,
            year=self.year,
            region_type=self.region_type,
            site=_site(self.request),
        )


def region_ask(
    request: Request, session: DbSession, code: Code, dataset: DatasetKey = None, year: Year = None
) -> RegionAsk:
    return RegionAsk(request, session, code, dataset, year)


def cluster_ask(
    request: Request,
    session: DbSession,
    code: Code,
    dataset: DatasetKey = None,
    year: Year = None,
    region_type: RegionType = None,
) -> ClusterAsk:
    return ClusterAsk(request, session, code, dataset, year, region_type)


RegionParams = Annotated[RegionAsk, Depends(region_ask)]
ClusterParams = Annotated[ClusterAsk, Depends(cluster_ask)]


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
def region_page(ask: RegionParams) -> HTMLResponse:
    """A region profile to print (A4): map, strong clusters, scoreboard and sources."""
    report = ask.report()
    query = _query(dataset=report.region.dataset, year=report.region.year)
    toolbar = [
        ("← Region page", f"/regions/{ask.code}?{query}"),
        ("Download PDF", f"/regions/{ask.code}/report.pdf?{query}"),
    ]
    return HTMLResponse(render.region_html(report, toolbar))


@router.get("/regions/{code}/report.pdf", response_class=Response, responses=PDF)
def region_pdf(ask: RegionParams) -> Response:
    """The region profile as an A4 PDF."""
    name = f"region_{ask.code}" + (f"_{ask.year}" if ask.year else "")
    return _pdf(ask.request, ask.session, name, lambda: render.region_html(ask.report()))


@router.get("/clusters/{code}/report", response_class=HTMLResponse)
def cluster_page(ask: ClusterParams) -> HTMLResponse:
    """A cluster profile to print (A4): map of stars, top regions, rating distribution."""
    report = ask.report()
    cluster = report.cluster
    query = _query(dataset=cluster.dataset, year=cluster.year, region_type=cluster.region_type)
    toolbar = [
        ("← Cluster page", f"/clusters/{ask.code}?{query}"),
        ("Download PDF", f"/clusters/{ask.code}/report.pdf?{query}"),
    ]
    return HTMLResponse(render.cluster_html(report, toolbar))


@router.get("/clusters/{code}/report.pdf", response_class=Response, responses=PDF)
def cluster_pdf(ask: ClusterParams) -> Response:
    """The cluster profile as an A4 PDF."""
    name = "_".join(str(p) for p in ("cluster", ask.code, ask.region_type, ask.year) if p)
    return _pdf(ask.request, ask.session, name, lambda: render.cluster_html(ask.report()))
