"""Printable region and cluster profiles: what a printed page holds, gathered in one record.

The same record feeds the printable web page, its PDF and the build's report, so the three
cannot disagree. Estimated values are carried as the pages carry them (``estimated_share`` of
each cell) and marked wherever a person reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from clusterhub.classify import RegionCatalogue, nuts_level
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.observatory import datasets as observatory
from clusterhub.services.observatory import glossary
from clusterhub.services.observatory.schemas import (
    ClusterPublic,
    DatasetPublic,
    MetricPublic,
    RegionPublic,
)
from clusterhub.services.observatory.vocabulary import STAR_BLUES, WITHHELD_COLOUR, star_colours
from clusterhub.services.reports import svg_map
from clusterhub.services.reports.svg_map import MapSpec, Shade
from clusterhub.services.scoreboard.schemas import ScorecardPublic
from clusterhub.services.scoreboard.scorecards import region_scorecard
from clusterhub.stats.vocabulary import MAX_ESTIMATED_SHARE

#: A cell whose estimated share is above this is "mostly estimated" (issue 12's default).
#: Rows of the "largest clusters" table of a region and of the top-regions table of a cluster.
LARGEST = 10
TOP_REGIONS = 25
#: The region of a region profile, and the other regions of its country around it.
REGION_FILL, PEER_FILL = "#08519c", "#c6dbef"
BOUNDARIES = (
    "Boundaries: GISCO NUTS 2021, 1:60 million (© EuroGeographics for the administrative "
    "boundaries)."
)


@dataclass(frozen=True)
class MapFigure:
    """An SVG map with its legend and what it leaves out."""

    svg: str
    legend: list[tuple[str, str]]  # (fill, label)
    notes: list[str] = field(default_factory=list)
    hatched: bool = False  # some regions are hatched as mostly estimated


#: A map, or why there is none.
Drawn = tuple[MapFigure | None, str | None]


@dataclass(frozen=True)
class RegionReport:
    """A region profile to print: strong clusters, largest clusters, scoreboard, sources."""

    region: RegionPublic
    country_name: str | None
    dataset: DatasetPublic
    strong: list[MetricPublic]
    largest: list[MetricPublic]
    estimated: int  # cells of the region that are mostly estimated
    map: MapFigure | None
    map_note: str | None
    scorecard: ScorecardPublic | None
    scoreboard_note: str | None
    generated_at: datetime
    site: str | None  # the platform's address, for links to the interactive pages


@dataclass(frozen=True)
class ClusterReport:
    """A cluster profile to print: map of stars, top regions, rating distribution, sources."""

    cluster: ClusterPublic
    dataset: DatasetPublic
    top: list[MetricPublic]
    estimated: int  # regions whose cell of this cluster is mostly estimated
    map: MapFigure | None
    map_note: str | None
    generated_at: datetime
    site: str | None  # the platform's address, for links to the interactive pages


def is_estimated(metric: MetricPublic) -> bool:
    """True when more than ``MAX_ESTIMATED_SHARE`` of the cell's employment is an estimate."""
    return (metric.estimated_share or 0.0) > MAX_ESTIMATED_SHARE


def region_report(
    session: Session,
    geometry: RegionCatalogue,
    *,
    code: str,
    dataset: str | None = None,
    year: int | None = None,
    site: str | None = None,
) -> RegionReport:
    """The profile of region ``code``; the map is drawn from ``geometry``'s polygons."""
    region = observatory.region_detail(session, code=code, dataset=dataset, year=year)
    card, note = _scorecard(session, region)
    by_size = sorted(region.clusters, key=lambda m: -(m.employment or 0.0))
    figure, map_note = _region_map(region, geometry)
    return RegionReport(
        region=region,
        country_name=_country_name(region, geometry),
        dataset=_dataset(session, region.dataset),
        strong=[m for m in region.clusters if glossary.is_strong(m)],
        largest=by_size[:LARGEST],
        estimated=sum(is_estimated(m) for m in region.clusters),
        map=figure,
        map_note=map_note,
        scorecard=card,
        scoreboard_note=note,
        generated_at=datetime.now(UTC),
        site=site,
    )


def cluster_report(
    session: Session,
    geometry: RegionCatalogue,
    *,
    code: str,
    dataset: str | None = None,
    year: int | None = None,
    region_type: str | None = None,
    site: str | None = None,
) -> ClusterReport:
    """The profile of cluster ``code`` over the regions of one type."""
    cluster = observatory.cluster_detail(
        session, code=code, dataset=dataset, year=year, region_type=region_type
    )
    figure, map_note = _cluster_map(cluster, geometry)
    return ClusterReport(
        cluster=cluster,
        dataset=_dataset(session, cluster.dataset),
        top=cluster.regions[:TOP_REGIONS],
        estimated=sum(is_estimated(m) for m in cluster.regions),
        map=figure,
        map_note=map_note,
        generated_at=datetime.now(UTC),
        site=site,
    )


def _country_name(region: RegionPublic, geometry: RegionCatalogue) -> str | None:
    """The NUTS name of a European region's country (None for U.S. states)."""
    if not region.region_type.startswith("nuts"):
        return None
    try:
        return geometry.name(region.code[:2])
    except NotFound:
        return region.country


def _dataset(session: Session, key: str) -> DatasetPublic:
    return next(d for d in observatory.list_datasets(session) if d.key == key)


def _scorecard(session: Session, region: RegionPublic) -> tuple[ScorecardPublic | None, str | None]:
    """The region's scoreboard against its default peers, or why there is none."""
    try:
        card = region_scorecard(session, code=region.code)
    except (NotFound, InvalidInput) as exc:
        return None, str(exc)
    if not card.indicators:
        return None, "no ecosystem indicator has a value for this region yet."
    return card, None


def _region_map(region: RegionPublic, geometry: RegionCatalogue) -> Drawn:
    """Where the region lies: its country zoomed in, the region in dark blue."""
    if not region.region_type.startswith("nuts"):
        return None, "No map: the statistics of this region type have no polygons here."
    level = nuts_level(region.code)
    if level not in geometry.collections or 0 not in geometry.collections:
        return None, "No map: the NUTS polygons are not loaded."
    shapes = geometry.collections[level]
    country_code = region.code[:2]
    peers = [f for f in shapes["features"] if str(f["properties"]["NUTS_ID"])[:2] == country_code]
    own = [f for f in peers if f["properties"]["NUTS_ID"] == region.code]
    if not own:
        return None, (
            f"No map: {region.code} has no NUTS 2021 polygon (the code was changed since "
            "the statistics were published)."
        )
    countries = geometry.collections[0]
    country = [f for f in countries["features"] if f["properties"]["NUTS_ID"] == country_code]
    name = region.name or region.code
    spec = MapSpec(
        regions={"type": "FeatureCollection", "features": peers},
        shades={region.code: Shade(fill=REGION_FILL, title=name)},
        frame=svg_map.frame_of(country or own),
        background=countries,
        label=f"Map: {name} within its country",
        unshaded=PEER_FILL,
    )
    legend = [(REGION_FILL, name), (svg_map.BACKGROUND, "other countries")]
    if level:
        legend.insert(1, (PEER_FILL, f"other NUTS {level} regions of {country_code}"))
    return MapFigure(svg=svg_map.render(spec), legend=legend, notes=[BOUNDARIES]), None


def _cluster_map(cluster: ClusterPublic, geometry: RegionCatalogue) -> Drawn:
    """Stars of every region of the cluster's region type; mostly estimated cells hatched."""
    if not cluster.region_type.startswith("nuts"):
        return None, "No map: the statistics of this region type have no polygons here."
    level = int(cluster.region_type[-1])
    if level not in geometry.collections:
        return None, "No map: the NUTS polygons are not loaded."
    shapes = geometry.collections[level]
    drawn = {str(f["properties"].get("NUTS_ID")) for f in shapes["features"]}
    most = max((m.stars_possible for m in cluster.regions), default=len(STAR_BLUES))
    fills = star_colours(most)  # the pages' colours: "no star" grey, stars blue
    shades = {
        m.region_code: Shade(
            fill=WITHHELD_COLOUR if m.stars_withheld else fills[min(m.stars, most)],
            hatched=is_estimated(m),
            title=f"{m.region_name or m.region_code}: "
            + ("stars withheld (mostly estimated)" if m.stars_withheld else f"{m.stars} stars"),
        )
        for m in cluster.regions
    }
    spec = MapSpec(
        regions=shapes,
        shades=shades,
        background=geometry.collections.get(0) if level else None,
        label=f"Map: {cluster.name}, stars by {cluster.region_type.upper()} region, {cluster.year}",
    )
    legend = [(fills[s], f"{s} ★" if s else "no star") for s in range(most + 1)]
    if any(m.stars_withheld for m in cluster.regions):
        legend.append((WITHHELD_COLOUR, "stars withheld (mostly estimated)"))
    legend.append((svg_map.NO_DATA, "no data"))
    missing = sorted(set(shades) - drawn)
    notes = [BOUNDARIES]
    if missing:
        notes.insert(
            0,
            f"{len(missing)} regions of the table have no NUTS 2021 polygon and are not drawn: "
            + ", ".join(missing[:12])
            + (" …" if len(missing) > 12 else "")
            + ".",
        )
    hatched = any(shade.hatched for shade in shades.values())
    figure = MapFigure(svg=svg_map.render(spec), legend=legend, notes=notes, hatched=hatched)
    return figure, None
