"""Observatory pages: the map, region and cluster profiles, lists and methodology.

Each handler parses its parameters, calls one service, and renders a template; tables come
with CSV / XLSX downloads built from the same records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from clusterhub.classify import NutsHistory, nuts_level
from clusterhub.errors import NotFound
from clusterhub.services.observatory import datasets as observatory
from clusterhub.services.observatory import glossary
from clusterhub.services.observatory.charts import (
    employment_structure,
    figure_json,
    specialisation_comparison,
    star_distribution,
)
from clusterhub.services.observatory.datasets import MetricFilter, StarPolicy
from clusterhub.services.observatory.maps import cluster_map_figure, drawn_codes, geojson_url
from clusterhub.services.observatory.methodology import methodology_html
from clusterhub.services.observatory.recoding import moved_region, provenance
from clusterhub.services.observatory.schemas import MetricPublic, RegionPublic
from clusterhub.services.observatory.vocabulary import MEASURE_LABELS, Measure
from clusterhub.services.reference import ReferenceData
from clusterhub.services.s3.compare import s3_section
from clusterhub.web.deps import DbSession, History
from clusterhub.web.diversification_view import diversification_section
from clusterhub.web.exporting import About, ExportFormat, export_table
from clusterhub.web.scoreboard_view import scoreboard_section

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_.-]+$")]
DatasetKey = Annotated[str | None, Query(max_length=64)]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
MAX_PEERS = 5
METRIC_EXPORT = [
    "dataset", "region_code", "region_name", "region_type", "cluster_code", "cluster_name",
    "year", "employment", "size_share", "focus", "lq", "wage_per_employee", "growth",
    "growth_from", "emp_rank", "lq_rank", "strong", "strong10", "stars", "stars_possible",
    "stars_withheld", "imputed_share", "apportioned_share", "estimated_share",
]  # fmt: skip
#: Show the stars of mostly estimated cells too (they are withheld by default).
EstimatedStars = Annotated[bool, Query()]


def _policy(estimated_stars: bool) -> StarPolicy:
    return StarPolicy(include_estimated=estimated_stars)


def _render(request: Request, template: str, **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, template, context)
    return response


def _memo(request: Request, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The page data for ``key`` from the app's memo (see ``web.memo``)."""
    return request.app.state.memo.get(key, build)


@dataclass(frozen=True)
class MapChoice:
    """What the home map shows: query parameters shared by the page and its HTMX fragment."""

    dataset: DatasetKey = None
    cluster: Annotated[str | None, Query(max_length=16)] = None
    measure: Measure = "stars"
    region_type: Annotated[str, Query(pattern=r"^(nuts[0-3]|state|county)$")] = "nuts2"
    estimated_stars: EstimatedStars = False
    year: Year = None

    def key(self) -> tuple[str | bool | int | None, ...]:
        return (
            self.dataset,
            self.cluster,
            self.measure,
            self.region_type,
            self.estimated_stars,
            self.year,
        )


MapQuery = Annotated[MapChoice, Depends()]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, choice: MapQuery) -> HTMLResponse:
    """What clusterhub is, and a map of Europe coloured by a cluster's strength."""

    def build() -> dict[str, Any]:
        data = _map_dataset(session, choice.dataset)
        return {
            "dataset": data,
            "clusters": observatory.list_clusters(session, dataset=data),
            "region_types": _map_types(session, data),
            "datasets": observatory.list_datasets(session),
            "mappable": _mappable(session),
            **_map_context(session, request.app.state.reference, data, choice),
        }

    context = _memo(request, ("home", *choice.key()), build)
    return _render(request, "pages/home.html", nav="home", measures=MEASURE_LABELS, **context)


@router.get("/_partials/map", response_class=HTMLResponse)
def map_fragment(request: Request, session: DbSession, choice: MapQuery) -> HTMLResponse:
    """The map alone, for HTMX to swap in when the user picks another cluster or measure."""

    def build() -> dict[str, Any]:
        return _map_context(
            session,
            request.app.state.reference,
            _map_dataset(session, choice.dataset),
            choice,
        )

    context = _memo(request, ("map", *choice.key()), build)
    return _render(request, "_partials/_map.html", **context)


def _map_dataset(session: DbSession, dataset: str | None) -> str | None:
    """The requested data set, or the first one with polygons (NUTS regions or U.S. states;
    EU data come first, so the map opens on Europe when its data are loaded).

    None when nothing is loaded: the service then answers "no data loaded".
    """
    if dataset is not None:
        return dataset
    keys = [item.key for item in observatory.list_datasets(session)]
    return next(iter(_mappable(session)), keys[0] if keys else None)


def _mappable(session: DbSession) -> list[str]:
    """Data sets with regions the map can draw (U.S. metropolitan and economic areas have no
    polygons); EU data sets first."""
    keys = [
        item.key for item in observatory.list_datasets(session) if _map_types(session, item.key)
    ]
    return sorted(keys, key=lambda key: not _map_types(session, key)[0].startswith("nuts"))


def _map_types(session: DbSession, dataset: str | None) -> list[str]:
    """The data set's region types that have polygons, coarsest first."""
    if dataset is None:
        return []
    kinds = observatory.region_types(session, dataset)
    return [kind for kind in kinds if geojson_url(kind) is not None]


def _map_context(
    session: DbSession, reference: ReferenceData, dataset: str | None, choice: MapChoice
) -> dict[str, Any]:
    kinds = _map_types(session, dataset)
    # The chosen type where the data set has it, else its finest with polygons (U.S. states
    # when the map was on NUTS 2 and the reader picked the U.S. data set).
    region_type = choice.region_type if choice.region_type in kinds else (kinds or ["nuts2"])[-1]
    code = choice.cluster or observatory.default_cluster(session, dataset)
    years = observatory.get_dataset(session, dataset).years
    detail = observatory.cluster_detail(
        session,
        code=code,
        dataset=dataset,
        # A year the data set does not have (one picked on another data set's map): its
        # latest, which the page then names.
        year=choice.year if choice.year in years else None,
        region_type=region_type,
        stars=_policy(choice.estimated_stars),
    )
    figure = cluster_map_figure(
        detail,
        str(geojson_url(region_type)),
        choice.measure,
        drawn_codes(reference, region_type),
    )
    return {
        "cluster": detail,
        "measure": choice.measure,
        "region_type": region_type,
        "estimated_stars": choice.estimated_stars,
        "figure_json": figure_json(figure, fit_to_page=True),
        "top_regions": detail.regions[:10],
        "period": detail.growth_period,
    }


@router.get("/geo/nuts{level}.json")
def geojson(request: Request, level: Annotated[int, Path(ge=0, le=3)]) -> Response:
    """NUTS 2021 polygons of one level (GISCO), cached by the browser for a day."""
    body = _memo(
        request,
        ("geo", level),
        lambda: json.dumps(
            request.app.state.reference.regions.geojson(level), separators=(",", ":")
        ),
    )
    return Response(
        body, media_type="application/geo+json", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/geo/us-{region_type}.json")
def us_geojson(
    request: Request, region_type: Annotated[str, Path(pattern=r"^(state|county)$")]
) -> Response:
    """U.S. state or county polygons (Census cartographic boundaries, simplified), cached by
    the browser for a day."""
    body = _memo(
        request,
        ("geo", region_type),
        lambda: json.dumps(
            request.app.state.reference.us_geojson(region_type), separators=(",", ":")
        ),
    )
    return Response(
        body, media_type="application/geo+json", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/regions.{fmt}")
def regions_export(
    request: Request,
    session: DbSession,
    history: History,
    fmt: ExportFormat,
    dataset: DatasetKey = None,
    region_type: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The region list as CSV or XLSX (every page of it)."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        listing = observatory.list_regions(
            session,
            dataset=dataset,
            region_type=region_type,
            q=q,
            page=page,
            page_size=500,
            history=history,
        )
        rows += [r.model_dump() for r in listing.items]
        if page * listing.page_size >= listing.total:
            break
        page += 1
    columns = ["dataset", "code", "name", "region_type", "country", "total_employment"]
    about = _about(request, session, "Regions", rows)
    return export_table(rows, columns, name="regions", fmt=fmt, about=about)


@router.get("/clusters.{fmt}")
def clusters_export(
    request: Request,
    session: DbSession,
    fmt: ExportFormat,
    dataset: DatasetKey = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The cluster list as CSV or XLSX."""
    rows = [c.model_dump() for c in observatory.list_clusters(session, dataset=dataset, q=q)]
    columns = ["dataset", "code", "name", "kind", "visible_share"]
    about = _about(request, session, "Cluster categories", rows)
    return export_table(rows, columns, name="clusters", fmt=fmt, about=about)


@router.get("/regions", response_class=HTMLResponse)
def regions(
    request: Request,
    session: DbSession,
    history: History,
    dataset: DatasetKey = None,
    region_type: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """All regions of a data set, filterable."""
    listing = observatory.list_regions(
        session,
        dataset=dataset,
        region_type=region_type,
        q=q,
        page=page,
        page_size=100,
        history=history,
    )
    return _render(
        request,
        "pages/regions.html",
        nav="regions",
        listing=listing,
        q=q,
        dataset=dataset,
        region_type=region_type,
        datasets=observatory.list_datasets(session),
    )


@router.get("/regions/{code}", response_class=HTMLResponse)
def region(
    request: Request,
    session: DbSession,
    history: History,
    code: Code,
    dataset: DatasetKey = None,
    year: Year = None,
    peers: Annotated[str | None, Query(max_length=100, pattern=r"^[A-Za-z0-9, ]*$")] = None,
    formerly: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Za-z0-9]*$")] = None,
    estimated_stars: EstimatedStars = False,
) -> Response:
    """A region's profile: strong clusters, employment structure, country and peer comparison.

    A code of an earlier NUTS version leads to the region it is now (see ``_moved``). Peers
    the reader typed that are not regions of the data set, or more than ``MAX_PEERS``, are
    refused beside the peer box (422) while the rest of the page is shown: one typo must not
    replace the whole profile with an error page, nor a sixth peer be silently dropped.
    """
    moved = _moved(request, session, history, code, dataset)
    if moved is not None:
        return moved
    renamed = moved_region(history, formerly) if history is not None and formerly else None
    asked = _peer_codes(peers, code)
    too_many = len(asked) > MAX_PEERS
    policy = _policy(estimated_stars)

    def build() -> dict[str, Any]:
        detail = observatory.region_detail(
            session, code=code, dataset=dataset, year=year, stars=policy
        )
        compared = _comparison_regions(session, detail, [] if too_many else asked)
        others = compared.country + compared.peers
        chosen = [r.code for r in compared.peers]
        info = observatory.get_dataset(session, detail.dataset)
        notes = glossary.table_notes(detail.clusters, info)
        return {
            "region": detail,
            "dataset_info": info,
            "provenance": (
                provenance(history, info.notes, detail.code, detail.year) if history else None
            ),
            "strong": [
                m for m in detail.clusters if glossary.is_strong(m, estimated=estimated_stars)
            ],
            "estimated_stars": estimated_stars,
            "absent": notes.absent,
            "star_legend": notes.star_legend,
            "structure_json": figure_json(employment_structure(detail)),
            "comparison_json": figure_json(specialisation_comparison(detail, others)),
            "others": others,
            "peer_errors": compared.unknown,
            "scoreboard": scoreboard_section(session, detail.code, chosen),
            "diversification": diversification_section(session, detail),
            "s3": s3_section(session, lambda: request.app.state.directory.s3_codes, detail.code),
        }

    key = ("region", code, dataset, year, tuple(asked), estimated_stars)
    context = _memo(request, key, build)
    errors = list(context["peer_errors"])
    if too_many:
        errors.append(
            f"{len(asked)} peer regions given; compare at most {MAX_PEERS} at a time "
            "(none is compared until the list is shortened)"
        )
    response = _render(
        request,
        "pages/region.html",
        nav="regions",
        peers=", ".join(asked),
        max_peers=MAX_PEERS,
        renamed=renamed if renamed and renamed.single == code else None,
        **{**context, "peer_errors": errors},
    )
    if errors:
        response.status_code = 422
    return response


def _moved(
    request: Request,
    session: DbSession,
    history: NutsHistory | None,
    code: str,
    dataset: str | None,
) -> Response | None:
    """For a code of an earlier NUTS version: a redirect to the region it is now (recoded;
    the page then says what the code was), or the list of regions it became (split)."""
    if history is None or observatory.has_region(session, code, dataset):
        return None
    moved = moved_region(history, code)
    if moved is None:
        return None
    if moved.single is not None:
        target = request.url.include_query_params(formerly=moved.lineage.code)
        return RedirectResponse(str(target.replace(path=f"/regions/{moved.single}")), 307)
    return _render(request, "pages/region_moved.html", nav="regions", moved=moved)


def _peer_codes(peers: str | None, code: str) -> list[str]:
    codes = [p.strip().upper() for p in (peers or "").split(",") if p.strip()]
    return [c for c in dict.fromkeys(codes) if c != code.upper()]


@dataclass(frozen=True)
class _Comparison:
    """Whom a region is compared with: its country, the peers found, the codes refused."""

    country: list[RegionPublic]
    peers: list[RegionPublic]
    unknown: list[str]


def _comparison_regions(session: DbSession, region: RegionPublic, peers: list[str]) -> _Comparison:
    """The region's country (for NUTS 1-3 regions) and the chosen peers that are regions of
    the same data set; for each other code, the sentence saying why it is not compared."""
    country = []
    if region.region_type.startswith("nuts") and nuts_level(region.code) > 0:
        country.append(_same_data(session, region, region.code[:2]))
    found, unknown = [], []
    for peer in peers:
        try:
            found.append(_same_data(session, region, peer))
        except NotFound as exc:
            unknown.append(f"{peer}: {exc}")
    return _Comparison(country, found, unknown)


def _same_data(session: DbSession, region: RegionPublic, code: str) -> RegionPublic:
    return observatory.region_detail(session, code=code, dataset=region.dataset, year=region.year)


@router.get("/regions/{code}/clusters.{fmt}")
def region_export(
    request: Request,
    session: DbSession,
    code: Code,
    fmt: ExportFormat,
    dataset: DatasetKey = None,
    year: Year = None,
    estimated_stars: EstimatedStars = False,
) -> Response:
    """The region's cluster table as CSV or XLSX."""
    detail = observatory.region_detail(
        session, code=code, dataset=dataset, year=year, stars=_policy(estimated_stars)
    )
    rows = _rows(detail.clusters)
    title = f"Clusters of {detail.name or code} ({code}), {detail.year}"
    about = _about(request, session, title, rows, detail.year)
    return export_table(rows, METRIC_EXPORT, name=f"region_{code}", fmt=fmt, about=about)


def _rows(metrics: list[MetricPublic]) -> list[dict[str, Any]]:
    return [m.model_dump() for m in metrics]


def _about(
    request: Request,
    session: DbSession,
    title: str,
    rows: list[dict[str, Any]],
    year: int | None = None,
) -> About:
    """The About sheet of an observatory download: its data set, year, method and link."""
    keys = {row["dataset"] for row in rows}
    loaded = [d for d in observatory.list_datasets(session) if d.key in keys]
    site = str(request.base_url).rstrip("/")
    return About(
        title=title,
        source="; ".join(f"{d.title} (file {d.source})" for d in loaded) or "no rows",
        year=year,
        method=f"Cluster mapping, location quotients, stars and U.S. rule: {site}/methodology",
        link=str(request.url),
        notes=[note for d in loaded for note in d.notes],
    )


@router.get("/clusters", response_class=HTMLResponse)
def clusters(
    request: Request,
    session: DbSession,
    dataset: DatasetKey = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """The cluster categories of a data set."""
    return _render(
        request,
        "pages/clusters.html",
        nav="clusters",
        clusters=observatory.list_clusters(session, dataset=dataset, q=q),
        datasets=observatory.list_datasets(session),
        dataset=dataset,
        q=q,
    )


@router.get("/clusters/{code}", response_class=HTMLResponse)
def cluster(
    request: Request,
    session: DbSession,
    code: Code,
    dataset: DatasetKey = None,
    year: Year = None,
    region_type: Annotated[str | None, Query(max_length=16)] = None,
    estimated_stars: EstimatedStars = False,
) -> HTMLResponse:
    """A cluster's profile: top regions, map (NUTS regions, U.S. states or counties) and
    rating distribution."""

    def build() -> dict[str, Any]:
        detail = observatory.cluster_detail(
            session,
            code=code,
            dataset=dataset,
            year=year,
            region_type=region_type,
            stars=_policy(estimated_stars),
        )
        url = geojson_url(detail.region_type)
        everywhere = drawn_codes(request.app.state.reference, detail.region_type)
        figure = cluster_map_figure(detail, url, "stars", everywhere) if url else None
        notes = glossary.table_notes(
            detail.regions, observatory.get_dataset(session, detail.dataset)
        )
        return {
            "cluster": detail,
            "top_regions": detail.regions[:25],
            "absent": notes.absent,
            "star_legend": notes.star_legend,
            "region_types": observatory.region_types(session, detail.dataset),
            "figure_json": figure_json(figure, fit_to_page=True) if figure else None,
            "stars_json": figure_json(star_distribution(detail)),
            "estimated_stars": estimated_stars,
        }

    context = _memo(request, ("cluster", code, dataset, year, region_type, estimated_stars), build)
    return _render(request, "pages/cluster.html", nav="clusters", **context)


@router.get("/clusters/{code}/regions.{fmt}")
def cluster_export(
    request: Request,
    session: DbSession,
    code: Code,
    fmt: ExportFormat,
    dataset: DatasetKey = None,
    year: Year = None,
    region_type: Annotated[str | None, Query(max_length=16)] = None,
    estimated_stars: EstimatedStars = False,
) -> Response:
    """The cluster's region table as CSV or XLSX."""
    detail = observatory.cluster_detail(
        session,
        code=code,
        dataset=dataset,
        year=year,
        region_type=region_type,
        stars=_policy(estimated_stars),
    )
    rows = _rows(detail.regions)
    kind = glossary.region_type_label(detail.region_type)
    title = f"{detail.name} (cluster {code}) by {kind} region, {detail.year}"
    about = _about(request, session, title, rows, detail.year)
    return export_table(rows, METRIC_EXPORT, name=f"cluster_{code}", fmt=fmt, about=about)


@router.get("/methodology", response_class=HTMLResponse)
def methodology(request: Request) -> HTMLResponse:
    """The methodology, rendered from the documentation that ships with the code."""
    return _render(request, "pages/methodology.html", nav="methodology", body=methodology_html())


@router.get("/metrics.{fmt}")
def metrics_export(
    request: Request,
    session: DbSession,
    fmt: ExportFormat,
    dataset: DatasetKey = None,
    cluster: Annotated[str | None, Query(max_length=16)] = None,
    region: Annotated[str | None, Query(max_length=16)] = None,
    estimated_stars: EstimatedStars = False,
) -> Response:
    """Any metric listing as a download (at most 500 rows per request, like the API)."""
    page = observatory.list_metrics(
        session,
        filters=MetricFilter(
            dataset=dataset, cluster=cluster, region=region, stars=_policy(estimated_stars)
        ),
        page_size=500,
    )
    rows = _rows(page.items)
    about = _about(request, session, "Cluster metrics", rows)
    return export_table(rows, METRIC_EXPORT, name="metrics", fmt=fmt, about=about)


@router.get("/healthz", include_in_schema=False)
def health() -> JSONResponse:
    """Liveness for load balancers."""
    return JSONResponse({"status": "ok"})
