"""Observatory use cases on the database: query the stored cluster maps for pages and API.

Cluster maps are computed by ``services.observatory.analytics`` (Polars) and stored whole by
``services.observatory.loading``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from clusterhub.classify import NutsHistory
from clusterhub.classify.nuts_versions import fold
from clusterhub.classify.places import find_places
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.observatory.loading import METRIC_COLUMNS
from clusterhub.services.observatory.periods import growth_period
from clusterhub.services.observatory.schemas import (
    ClusterPublic,
    ClusterSummary,
    DatasetPublic,
    MetricPublic,
    RegionPublic,
    RegionSummary,
)
from clusterhub.services.schemas import Page
from clusterhub.stats.ratings import check_max_estimated
from clusterhub.stats.vocabulary import MAX_ESTIMATED_SHARE
from clusterhub.store.models import Cluster, ClusterMetric, Dataset, Region

MAX_PAGE_SIZE = 500
SortKey = Literal["strength", "employment", "lq", "region", "cluster"]


@dataclass(frozen=True)
class StarPolicy:
    """Whether stars of mostly estimated cells are shown (``stats.ratings.withhold_stars``).

    By default a cell more than ``max_estimated`` estimated (filled confidential cells or
    industry codes apportioned among classes) shows no stars; the reader may ask for them.
    """

    max_estimated: float = MAX_ESTIMATED_SHARE
    include_estimated: bool = False

    def __post_init__(self) -> None:
        check_max_estimated(self.max_estimated)

    def withheld(self) -> ColumnElement[bool]:
        """True where the cell's stars are withheld."""
        if self.include_estimated:
            return false()
        estimated = func.coalesce(ClusterMetric.estimated_share, 0.0)
        return and_(estimated > self.max_estimated, ClusterMetric.stars > 0)

    def stars(self) -> ColumnElement[int]:
        """The stars a reader sees: 0 where withheld."""
        return case((self.withheld(), 0), else_=ClusterMetric.stars)


#: The default: stars of cells more than half estimated are withheld.
DEFAULT_STARS = StarPolicy()


# --- queries ----------------------------------------------------------------------------------


def list_datasets(session: Session) -> list[DatasetPublic]:
    """Loaded data sets, oldest first (the first is the default of pages and API)."""
    rows = session.scalars(select(Dataset).order_by(Dataset.id)).all()
    return [_dataset_public(session, row) for row in rows]


def get_dataset(session: Session, key: str | None = None) -> DatasetPublic:
    """One loaded data set (the default when ``key`` is None), with its title, notes, years
    and growth period."""
    return _dataset_public(session, _dataset(session, key))


def _dataset_public(session: Session, row: Dataset) -> DatasetPublic:
    """A data set as readers see it; one loaded before its years were stored (revision 0011)
    gets them from its metrics, and the default growth period."""
    public = DatasetPublic.model_validate(
        {
            **{c: getattr(row, c) for c in ("key", "title", "source", "notes", "loaded_at")},
            "series_breaks": row.series_breaks or [],
            **({"growth_years": row.growth_years} if row.growth_years else {}),
        }
    )
    years = row.years
    if years is None:
        years = sorted(
            session.scalars(
                select(ClusterMetric.year).where(ClusterMetric.dataset_id == row.id).distinct()
            ).all()
        )
    return public.model_copy(update={"years": list(years)})


def _dataset(session: Session, key: str | None) -> Dataset:
    query = select(Dataset).order_by(Dataset.id)
    if key is not None:
        query = query.where(Dataset.key == key)
    dataset = session.scalars(query.limit(1)).first()
    if dataset is None:
        known = ", ".join(session.scalars(select(Dataset.key)).all()) or "none loaded"
        raise NotFound(f"no data set {key!r}; data sets: {known}" if key else "no data loaded")
    return dataset


def _metrics_query(
    dataset: Dataset, policy: StarPolicy
) -> Select[ClusterMetric, str | None, str, bool]:
    return (
        select(ClusterMetric, Region.name, Cluster.name, policy.withheld())
        .join(
            Region,
            (Region.dataset_id == ClusterMetric.dataset_id)
            & (Region.code == ClusterMetric.region_code),
        )
        .join(
            Cluster,
            (Cluster.dataset_id == ClusterMetric.dataset_id)
            & (Cluster.code == ClusterMetric.cluster_code),
        )
        .where(ClusterMetric.dataset_id == dataset.id)
    )


def _public(dataset: Dataset, rows: Sequence[Any], policy: StarPolicy) -> list[MetricPublic]:
    period = dataset.growth_years or DatasetPublic.model_fields["growth_years"].default
    return [
        MetricPublic.model_validate(
            {
                **{c: getattr(metric, c) for c in METRIC_COLUMNS},
                "growth_from": None if metric.growth is None else metric.year - period,
                "stars": 0 if withheld else metric.stars,
                "stars_withheld": bool(withheld),
                "mostly_estimated": (metric.estimated_share or 0.0) > policy.max_estimated,
                "star_flags": metric.star_flags,
                "dataset": dataset.key,
                "region_name": region_name,
                "cluster_name": cluster_name,
            }
        )
        for metric, region_name, cluster_name, withheld in rows
    ]


def _strength_order(policy: StarPolicy) -> list[Any]:
    """Strongest first (stars as shown) with nulls last on both SQLite and PostgreSQL."""
    strength = (
        policy.stars().desc(),
        ClusterMetric.strong10.desc(),
        ClusterMetric.strong.desc(),
        ClusterMetric.lq.desc(),
    )
    return [col.nulls_last() for col in strength]


def _latest_year(session: Session, dataset: Dataset, year: int | None, where: Any) -> int:
    years = session.scalars(
        select(ClusterMetric.year).where(ClusterMetric.dataset_id == dataset.id, where).distinct()
    ).all()
    if not years:
        raise NotFound(f"no data in {dataset.key}")
    if year is None:
        return max(years)
    if year not in years:
        listed = ", ".join(str(y) for y in sorted(years))
        raise NotFound(f"no data for {year} in {dataset.key}; years: {listed}")
    return year


def _suggest(session: Session, column: Any, dataset: Dataset, code: str, what: str) -> NotFound:
    codes = session.scalars(select(column).where(column.class_.dataset_id == dataset.id)).all()
    close = difflib.get_close_matches(code.upper(), [c.upper() for c in codes], n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return NotFound(f"no {what} with code {code!r} in {dataset.key}{hint}")


def region_detail(
    session: Session,
    *,
    code: str,
    dataset: str | None = None,
    year: int | None = None,
    limit: int | None = None,
    stars: StarPolicy = DEFAULT_STARS,
) -> RegionPublic:
    """A region with its clusters in one year, strongest first (stars as ``stars`` shows)."""
    data = _region_dataset(session, code, dataset)
    region = session.scalars(
        select(Region).where(Region.dataset_id == data.id, Region.code == code)
    ).first()
    if region is None:
        raise _suggest(session, Region.code, data, code, "region")
    chosen = _latest_year(session, data, year, ClusterMetric.region_code == code)
    query = (
        _metrics_query(data, stars)
        .where(ClusterMetric.region_code == code, ClusterMetric.year == chosen)
        .order_by(*_strength_order(stars), ClusterMetric.cluster_code)
        .limit(limit)
    )
    summary = RegionSummary.model_validate({**_attrs(region), "dataset": data.key})
    year_total = session.scalar(
        select(func.max(ClusterMetric.region_total)).where(
            ClusterMetric.dataset_id == data.id,
            ClusterMetric.region_code == code,
            ClusterMetric.year == chosen,
        )
    )
    info = _dataset_public(session, data)
    return RegionPublic(
        **{**summary.model_dump(), "total_employment": year_total},
        year=chosen,
        years=info.years,
        growth_period=growth_period(info, chosen),
        clusters=_public(data, session.execute(query).all(), stars),
    )


def has_region(session: Session, code: str, dataset: str | None = None) -> bool:
    """Whether the data set (any loaded one when None) has a region ``code``."""
    query = select(Region.id).join(Dataset).where(Region.code == code)
    if dataset is not None:
        query = query.where(Dataset.key == dataset)
    return session.scalars(query.limit(1)).first() is not None


def _region_dataset(session: Session, code: str, key: str | None) -> Dataset:
    """The named data set, or the first one that has this region."""
    if key is not None:
        return _dataset(session, key)
    found = session.scalars(
        select(Dataset).join(Region).where(Region.code == code).order_by(Dataset.id).limit(1)
    ).first()
    return found or _dataset(session, None)


def _attrs(row: Region | Cluster) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


def cluster_detail(
    session: Session,
    *,
    code: str,
    dataset: str | None = None,
    year: int | None = None,
    region_type: str | None = None,
    limit: int | None = None,
    stars: StarPolicy = DEFAULT_STARS,
) -> ClusterPublic:
    """A cluster's regions of one type in one year, strongest first, with star counts (stars
    as ``stars`` shows them)."""
    data = _dataset(session, dataset)
    cluster = session.scalars(
        select(Cluster).where(Cluster.dataset_id == data.id, Cluster.code == code)
    ).first()
    if cluster is None:
        raise _suggest(session, Cluster.code, data, code, "cluster")
    chosen = _latest_year(session, data, year, ClusterMetric.cluster_code == code)
    kind = region_type or _finest_region_type(session, data)
    where = (
        ClusterMetric.cluster_code == code,
        ClusterMetric.year == chosen,
        ClusterMetric.region_type == kind,
    )
    shown = stars.stars().label("shown")
    counts = session.execute(
        select(shown, func.count())
        .where(ClusterMetric.dataset_id == data.id, *where)
        .group_by(shown)
        .order_by(shown)
    ).all()
    if not counts:
        raise InvalidInput.single(
            f"no {kind} regions for this cluster", field="region_type", value=kind
        )
    withheld = session.scalar(
        select(func.count()).where(ClusterMetric.dataset_id == data.id, *where, stars.withheld())
    )
    query = (
        _metrics_query(data, stars)
        .where(*where)
        .order_by(*_strength_order(stars), ClusterMetric.employment.desc().nulls_last())
        .limit(limit)
    )
    summary = ClusterSummary.model_validate({**_attrs(cluster), "dataset": data.key})
    info = _dataset_public(session, data)
    return ClusterPublic(
        **summary.model_dump(),
        year=chosen,
        years=info.years,
        growth_period=growth_period(info, chosen),
        region_type=kind,
        star_counts={int(stars): int(n) for stars, n in counts},
        withheld_regions=int(withheld or 0),
        regions=_public(data, session.execute(query).all(), stars),
    )


def region_types(session: Session, dataset: str | None = None) -> list[str]:
    """Region types of a data set, coarsest first (nuts0 .. nuts3, or state)."""
    data = _dataset(session, dataset)
    kinds = session.scalars(
        select(Region.region_type).where(Region.dataset_id == data.id).distinct()
    ).all()
    return sorted(kinds)


def _finest_region_type(session: Session, dataset: Dataset) -> str:
    return region_types(session, dataset.key)[-1]


def latest_scope(session: Session, dataset: str | None = None) -> tuple[str, int, str] | None:
    """A data set's key, latest year and finest region type (the default data set when
    ``dataset`` is None), or None when no data is loaded."""
    try:
        data = _dataset(session, dataset)
        region_type = _finest_region_type(session, data)
        year = _latest_year(session, data, None, ClusterMetric.region_type == region_type)
    except (NotFound, IndexError):
        return None
    return data.key, year, region_type


@dataclass(frozen=True)
class MetricFilter:
    """Filters of the metric listing (all optional)."""

    dataset: str | None = None
    region: str | None = None
    cluster: str | None = None
    year: int | None = None
    region_type: str | None = None
    country: str | None = None
    min_stars: int | None = None
    strong: bool | None = None
    stars: StarPolicy = DEFAULT_STARS


def list_metrics(
    session: Session,
    *,
    filters: MetricFilter,
    sort: SortKey = "strength",
    page: int = 1,
    page_size: int = 50,
) -> Page[MetricPublic]:
    """Metric rows matching ``filters``, one page at a time."""
    _check_page(page, page_size)
    data = _dataset(session, filters.dataset)
    query = _metrics_query(data, filters.stars)
    conditions = {
        ClusterMetric.region_code: filters.region,
        ClusterMetric.cluster_code: filters.cluster,
        ClusterMetric.year: filters.year,
        ClusterMetric.region_type: filters.region_type,
        ClusterMetric.strong: filters.strong,
        Region.country: filters.country,
    }
    for column, value in conditions.items():
        if value is not None:
            query = query.where(column == value)
    if filters.min_stars is not None:
        query = query.where(filters.stars.stars() >= filters.min_stars)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = {
        "strength": _strength_order(filters.stars),
        "employment": [ClusterMetric.employment.desc().nulls_last()],
        "lq": [ClusterMetric.lq.desc().nulls_last()],
        "region": [ClusterMetric.region_code],
        "cluster": [ClusterMetric.cluster_code],
    }[sort]
    rows = session.execute(
        query.order_by(*order, ClusterMetric.id).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return Page(
        items=_public(data, rows, filters.stars), total=total, page=page, page_size=page_size
    )


def list_regions(
    session: Session,
    *,
    dataset: str | None = None,
    region_type: str | None = None,
    country: str | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
    history: NutsHistory | None = None,
) -> Page[RegionSummary]:
    """Regions of a data set, filtered by type, country or a name/code fragment.

    With a NUTS ``history``, ``q`` also finds a region by any code or name it had in an earlier
    NUTS version ("FR62", "Midi-Pyrénées" find FRJ2; "Bassin Parisien" the regions it became),
    saying so in ``formerly``. A town's whole name finds the NUTS 2 and 3 regions it lies in
    (``classify.places``: "Toulouse", "München" or "Munich"), listed first with the town in
    ``towns``.
    """
    _check_page(page, page_size)
    data = _dataset(session, dataset)
    query = select(Region).where(Region.dataset_id == data.id)
    if region_type:
        query = query.where(Region.region_type == region_type)
    if country:
        query = query.where(Region.country == country.upper())
    former: dict[str, str | None] = {}
    towns: dict[str, list[str]] = {}
    if q:
        pattern = f"%{q.lower()}%"
        former = history.matches(q) if history is not None else {}
        for place in find_places(q):
            for code in (place.nuts2, place.nuts3):
                towns.setdefault(code, []).append(place.called(q))
        query = query.where(
            or_(
                func.lower(Region.name).like(pattern),
                func.lower(Region.code).like(pattern),
                Region.code.in_([*former, *towns]),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    town_first = case((Region.code.in_(list(towns)), 0), else_=1)
    rows = session.scalars(
        query.order_by(town_first, Region.code).offset((page - 1) * page_size).limit(page_size)
    ).all()
    items = [
        RegionSummary.model_validate(
            {
                **_attrs(r),
                "dataset": data.key,
                "formerly": _formerly(r, q, former),
                "towns": towns.get(r.code, []),
            }
        )
        for r in rows
    ]
    return Page(items=items, total=total, page=page, page_size=page_size)


def _formerly(region: Region, q: str | None, former: dict[str, str | None]) -> str | None:
    """The former name and code that found ``region``, unless its own name or code holds
    ``q`` (then nothing needs saying)."""
    note = former.get(region.code)
    if note is None or not q:
        return None
    own = f"{region.name or ''} {region.code}"
    return None if fold(q) in fold(own) else note


#: The cluster a map shows when none is chosen (Automotive), in data sets that have it.
DEFAULT_MAP_CLUSTER = "4"


def default_cluster(session: Session, dataset: str | None = None) -> str:
    """The cluster a map shows when none is chosen: Automotive where the data set has it (the
    51 clusters), else the data set's first cluster (e.g. of the emerging industries)."""
    clusters = list_clusters(session, dataset=dataset)
    if not clusters:
        raise NotFound(f"no clusters in {dataset or 'the default data set'}")
    codes = [c.code for c in clusters]
    return DEFAULT_MAP_CLUSTER if DEFAULT_MAP_CLUSTER in codes else codes[0]


def list_clusters(
    session: Session, *, dataset: str | None = None, q: str | None = None
) -> list[ClusterSummary]:
    """Cluster categories of a data set (51 traded, local ones for the U.S., or emerging
    industries)."""
    data = _dataset(session, dataset)
    query = select(Cluster).where(Cluster.dataset_id == data.id)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(Cluster.name).like(pattern), func.lower(Cluster.code).like(pattern))
        )
    rows = session.scalars(query).all()
    ordered = sorted(
        rows, key=lambda c: (c.kind != "traded", int(c.code) if c.code.isdigit() else 0, c.code)
    )
    return [ClusterSummary.model_validate({**_attrs(c), "dataset": data.key}) for c in ordered]


def _check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise InvalidInput.single(
            "expected a page number of 1 or more", field="page", value=str(page)
        )
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput.single(
            f"expected a page size between 1 and {MAX_PAGE_SIZE}",
            field="page_size",
            value=str(page_size),
        )
