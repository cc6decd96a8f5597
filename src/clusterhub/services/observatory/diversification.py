"""Diversification paths of a region in a stored cluster map: the clusters it could grow into,
the specialisations that make them reachable, and the regions elsewhere strong in them.

The matrix is the data set's regions of the region's own type (NUTS level, or U.S. states) x
its non-local clusters, in one year: relatedness among NUTS 2 regions says nothing about a
country, and local clusters serve local markets everywhere, so specialising in them is not
a path. The matrix follows ``stats.relatedness.engine_input``, as related clusters do: no
Extra-Regio code, suppressed (null) employment counted as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.classify import is_extra_regio
from clusterhub.errors import InvalidInput
from clusterhub.services.dataset_cache import per_dataset
from clusterhub.services.observatory import datasets
from clusterhub.services.observatory.schemas import (
    ClusterPositionPublic,
    DiversificationPathPublic,
    DiversificationPublic,
    MetricPublic,
    NeighbourPublic,
    RegionPublic,
    RegionStrengthPublic,
)
from clusterhub.stats.complexity import YearComplexity, complexity
from clusterhub.stats.diversification import (
    opportunities,
    region_index,
    specialisations,
    strong_neighbours,
    strong_regions,
)
from clusterhub.stats.relatedness import engine_input
from clusterhub.store.models import Cluster, ClusterMetric, Dataset, Region

#: Cluster kinds left out of the matrix (see the module's docstring).
LEFT_OUT_KINDS = ("local",)
#: Cluster kinds relatedness is refused on: emerging industries share NACE codes and split
#: divisions equally among themselves by design, so two of them co-specialise partly because
#: they hold the same employment, and their proximity would be mechanical.
REFUSED_KINDS = ("emerging",)
REFUSED = (
    "the data set's clusters are emerging industries, which share NACE codes and divisions "
    "by design, so their relatedness would be partly mechanical; use a data set of the 51 "
    "traded clusters (e.g. eu-sbs)"
)
#: The long frame read from the store, before ``stats.relatedness.engine_input``.
_CELLS = {
    "region": pl.String,
    "region_type": pl.String,
    "industry": pl.String,
    "year": pl.Int32,
    "value": pl.Float64,
}


@dataclass(frozen=True)
class _Matrix:
    """The year's measures and what the faces need to name and link them."""

    year: YearComplexity
    region_names: dict[str, str | None]
    countries: dict[str, str | None]
    cluster_names: dict[str, str]
    notes: tuple[str, ...]


def region_diversification(
    session: Session,
    *,
    code: str,
    dataset: str | None = None,
    year: int | None = None,
    limit: int | None = None,
) -> DiversificationPublic:
    """The region's specialisations and its diversification paths, best first.

    Raises
    ------
    NotFound
        Unknown data set, region or year (close codes suggested).
    InvalidInput
        The year's matrix is degenerate (too few regions, a network that falls apart), or
        the region has no employment in the clusters compared, or it is an Extra-Regio code,
        or the data set's clusters are emerging industries (``REFUSED_KINDS``).
    """
    detail = datasets.region_detail(session, code=code, dataset=dataset, year=year)
    if is_extra_regio(detail.code):
        raise InvalidInput.single(
            "an Extra-Regio code collects what belongs to no region (offshore, embassies), "
            "so it has no diversification paths",
            field="region",
            value=detail.code,
        )
    matrix = per_dataset(
        session,
        detail.dataset,
        ("diversification", detail.region_type, detail.year),
        lambda: _matrix(session, detail),
    )
    measures = matrix.year
    stored = {m.cluster_code: m for m in detail.clusters}
    country = matrix.countries.get(detail.code)
    abroad = [
        r for r in measures.regions
        if r != detail.code and (country is None or matrix.countries.get(r) != country)
    ]  # fmt: skip
    row = region_index(measures, detail.code)
    ranked = opportunities(measures, detail.code)
    paths = ranked if limit is None else ranked.head(limit)
    return DiversificationPublic(
        dataset=detail.dataset,
        region_code=detail.code,
        region_name=detail.name,
        region_type=detail.region_type,
        country=country,
        year=detail.year,
        regions_compared=len(measures.regions),
        clusters_compared=len(measures.industries),
        eci=_finite(float(measures.eci[row])),
        specialisations=[
            _position(r, matrix, stored)
            for r in specialisations(measures, detail.code).iter_rows(named=True)
        ],
        paths=[
            DiversificationPathPublic(
                **_position(r, matrix, stored).model_dump(),
                cog=r["cog"],
                pci=_finite(r["pci"]),
                neighbours=[
                    NeighbourPublic(
                        cluster_code=n.cluster,
                        cluster_name=matrix.cluster_names.get(n.cluster),
                        proximity=n.proximity,
                    )
                    for n in strong_neighbours(measures, detail.code, r["cluster"])
                ],
                strong_elsewhere=[
                    _strength(matrix, other, r["cluster"])
                    for other in strong_regions(measures, r["cluster"], abroad)
                ],
            )
            for r in paths.iter_rows(named=True)
        ],
        notes=list(matrix.notes),
    )


def _matrix(session: Session, region: RegionPublic) -> _Matrix:
    """Run the engine on the data set's regions of the region's type, in its year."""
    data_id = select(Dataset.id).where(Dataset.key == region.dataset).scalar_subquery()
    clusters = session.execute(
        select(Cluster.code, Cluster.name, Cluster.kind).where(Cluster.dataset_id == data_id)
    ).all()
    if any(c.kind in REFUSED_KINDS for c in clusters):
        raise InvalidInput.single(REFUSED, field="dataset", value=region.dataset)
    kept = {c.code: c.name for c in clusters if c.kind not in LEFT_OUT_KINDS}
    regions = session.execute(
        select(Region.code, Region.name, Region.country).where(
            Region.dataset_id == data_id, Region.region_type == region.region_type
        )
    ).all()
    cells = session.execute(
        select(
            ClusterMetric.region_code,
            ClusterMetric.region_type,
            ClusterMetric.cluster_code,
            ClusterMetric.year,
            ClusterMetric.employment,
        )
        .where(
            ClusterMetric.dataset_id == data_id,
            ClusterMetric.region_type == region.region_type,
            ClusterMetric.year == region.year,
        )
        .order_by(ClusterMetric.region_code, ClusterMetric.cluster_code)
    ).all()
    frame = pl.DataFrame(
        [tuple(cell) for cell in cells if cell.cluster_code in kept],
        schema=_CELLS,
        orient="row",
    )
    matrix = engine_input(frame, region.region_type)
    measures = complexity(matrix.cells).years[region.year]
    left_out = len(clusters) - len(kept)
    notes = [
        *([f"{left_out} local cluster(s) left out of the comparison"] if left_out else []),
        *matrix.notes,
    ]
    idle = {r.code for r in regions} - set(matrix.extra_regio) - set(measures.regions)
    if idle:
        notes.append(f"{len(idle)} region(s) without employment in these clusters left out")
    return _Matrix(
        year=measures,
        region_names={r.code: r.name for r in regions},
        countries={r.code: r.country for r in regions},
        cluster_names=kept,
        notes=tuple(notes),
    )


def _position(
    row: dict[str, float | str | None], matrix: _Matrix, stored: dict[str, MetricPublic]
) -> ClusterPositionPublic:
    code = str(row["cluster"])
    metric = stored.get(code)
    return ClusterPositionPublic(
        cluster_code=code,
        cluster_name=matrix.cluster_names.get(code),
        employment=metric.employment if metric else None,
        lq=metric.lq if metric else None,
        rca=float(row["rca"] or 0.0),
        density=float(row["density"] or 0.0),
    )


def _strength(matrix: _Matrix, region: str, cluster: str) -> RegionStrengthPublic:
    measures = matrix.year
    row, col = measures.regions.index(region), measures.industries.index(cluster)
    return RegionStrengthPublic(
        code=region,
        name=matrix.region_names.get(region),
        country=matrix.countries.get(region),
        rca=float(measures.rca[row, col]),
        employment=float(measures.values[row, col]),
    )


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value
