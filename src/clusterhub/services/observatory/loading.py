"""Load a rated cluster map into the database: one data set at a time, whole, in one
transaction (a reload replaces a data set completely or not at all), with what a reader needs
to read it: its notes, years, growth period and series breaks."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import PurePath
from typing import Any

import polars as pl
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from clusterhub.classify import RegionCatalogue
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.store.models import Cluster, ClusterMetric, Dataset, Region

#: The stored measures of a metric row (the star flags are stored apart, as one JSON map).
METRIC_COLUMNS = [
    c.name
    for c in ClusterMetric.__table__.columns
    if c.name not in ("id", "dataset_id", "star_flags")
]


def load_cluster_map(
    session: Session,
    *,
    key: str,
    title: str,
    result: ClusterMap,
    by: Actor,
    regions: RegionCatalogue | None = None,
) -> Dataset:
    """Store ``result`` as data set ``key``, replacing any earlier version of it (one audit
    entry ``by`` whoever loaded it)."""
    session.execute(delete(Dataset).where(Dataset.key == key))
    # Readers of the platform see file names, not where the server keeps its files.
    files = [PurePath(path) for path in (result.source, *result.more_sources)]
    folders = {str(path.parent) + "/" for path in files}
    notes = list(result.notes)
    for folder in sorted(folders, key=len, reverse=True):
        notes = [note.replace(folder, "") for note in notes]
    table = result.table
    dataset = Dataset(
        key=key,
        title=title,
        source=" + ".join(path.name for path in files),
        notes=notes,
        years=sorted(int(y) for y in table.get_column("year").unique().to_list()),
        growth_years=result.growth_years,
        series_breaks=[asdict(b) for b in result.series_breaks],
    )
    session.add(dataset)
    session.flush()
    session.execute(insert(Region), _region_rows(dataset.id, table, regions))
    session.execute(insert(Cluster), _cluster_rows(dataset.id, table, result.coverage))
    session.execute(insert(ClusterMetric), _metric_rows(dataset.id, table))
    audit.record(
        session, actor=by, action="observatory.load", entity_type="dataset", entity_id=key,
        details={"title": title, "source": dataset.source, "rows": table.height},
    )  # fmt: skip
    return dataset


def _region_rows(
    dataset_id: int, table: pl.DataFrame, regions: RegionCatalogue | None
) -> list[dict[str, Any]]:
    # A region's total is that of its latest year (the year pages open on).
    rows = table.group_by("region_code").agg(
        pl.col("region_name").first(),
        pl.col("region_type").first(),
        pl.col("region_total").sort_by("year").last(),
    )
    with_polygon = set(regions.match(rows.get_column("region_code")).matched) if regions else set()
    return [
        {
            "dataset_id": dataset_id,
            "code": row["region_code"],
            "name": row["region_name"],
            "region_type": row["region_type"],
            "country": row["region_code"][:2] if row["region_type"].startswith("nuts") else None,
            "total_employment": row["region_total"],
            "has_geometry": row["region_code"] in with_polygon,
        }
        for row in rows.iter_rows(named=True)
    ]


def _cluster_rows(
    dataset_id: int, table: pl.DataFrame, coverage: pl.DataFrame
) -> list[dict[str, Any]]:
    traded = "traded" in table.columns
    rows = table.group_by("cluster_code").agg(
        pl.col("cluster_name").first(),
        (pl.col("traded").first() if traded else pl.lit(value=True)).alias("traded"),
    )
    visible = (
        dict(coverage.select("cluster_code", "visible_share").iter_rows())
        if "visible_share" in coverage.columns
        else {}
    )
    kinds = (
        dict(coverage.select("cluster_code", "kind").iter_rows())
        if "kind" in coverage.columns
        else {}
    )
    return [
        {
            "dataset_id": dataset_id,
            "code": row["cluster_code"],
            "name": row["cluster_name"] or row["cluster_code"],
            "kind": kinds.get(row["cluster_code"]) or ("traded" if row["traded"] else "local"),
            "visible_share": visible.get(row["cluster_code"], 1.0 if visible == {} else None),
        }
        for row in rows.iter_rows(named=True)
    ]


def _metric_rows(dataset_id: int, table: pl.DataFrame) -> list[dict[str, Any]]:
    star_columns = [c for c in table.columns if c.startswith("star_")]
    present = [c for c in METRIC_COLUMNS if c in table.columns]
    rows = []
    for row in table.select(*present, *star_columns).iter_rows(named=True):
        record = {c: _clean(row[c]) for c in present}
        record["dataset_id"] = dataset_id
        record["star_flags"] = {c.removeprefix("star_"): row[c] for c in star_columns}
        rows.append(record)
    return rows


def _clean(value: Any) -> Any:
    """NaN never reaches the database (PostgreSQL would store it, and sort it above all)."""
    return None if isinstance(value, float) and math.isnan(value) else value
