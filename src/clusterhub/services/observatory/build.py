"""The main job: build the observatory's outputs for the EU and U.S. data into one folder.

Every table as CSV (for people) and Parquet (for programs), the NACE version of the 51
clusters with its coverage, and offline maps of the clusters with the most starred regions.
The readable report of a build (HTML, with the region and cluster profiles as PDF) is written
from these results by ``services.reports.build``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.observatory.maps import (
    MapLayer,
    cluster_figure,
    region_polygons,
    write_html,
)
from clusterhub.services.observatory.profiles import write_table
from clusterhub.services.reference import BUILT_IN_TAXONOMIES, ReferenceData
from clusterhub.stats.engines import POLARS_ENGINE, Engine
from clusterhub.stats.ratings import withhold_stars

StepCallback = Callable[[str, int, int], None]
MAP_REGION_TYPE = "nuts2"
US_MAP_REGION_TYPE = "state"


@dataclass(frozen=True)
class BuildRequest:
    """Where to write, and how many cluster maps to draw."""

    out_dir: Path
    maps: int = 3
    #: Runs the cluster maps (``stats.engines``): Polars, or Spark for the same definitions.
    engine: Engine = POLARS_ENGINE


@dataclass(frozen=True)
class BuildSummary:
    """Files written, the notes a reader of them needs, and the cluster maps computed
    (``eu``, ``emerging``, ``us``) with the codes of the clusters drawn as maps."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    maps: dict[str, ClusterMap] = field(default_factory=dict)
    mapped_clusters: list[str] = field(default_factory=list)
    us_mapped_clusters: list[str] = field(default_factory=list)


def build_outputs(
    request: BuildRequest, reference: ReferenceData, *, progress: StepCallback | None = None
) -> BuildSummary:
    """Run the cluster maps (EU, EU emerging industries, U.S.) and write tables, taxonomy,
    coverage and maps."""
    steps = 4 + request.maps
    report = progress or _silent
    summary = BuildSummary()
    out = request.out_dir
    report("EU cluster map (Eurostat SBS)", 0, steps)
    eu = build_cluster_map(MapRequest(source="eurostat-sbs"), reference, request.engine)
    summary.files.extend(_tables(eu.table, out / "eu" / "cluster_map"))
    summary.files.append(write_table(eu.coverage, out / "eu" / "coverage.csv"))
    report("NACE Rev.2 taxonomy of the 51 clusters", 1, steps)
    summary.files.append(write_table(_taxonomy_table(reference), out / "eu" / "taxonomy_nace.csv"))
    summary.files.append(
        write_table(reference.nace_derivation, out / "eu" / "taxonomy_derivation.csv")
    )
    report("EU emerging industries (Eurostat SBS)", 2, steps)
    emerging = build_cluster_map(
        MapRequest(source="eurostat-sbs", taxonomy_path=BUILT_IN_TAXONOMIES["emerging"]),
        reference,
        request.engine,
    )
    summary.files.extend(_tables(emerging.table, out / "eu" / "emerging_map"))
    summary.files.append(write_table(emerging.coverage, out / "eu" / "emerging_coverage.csv"))
    report("U.S. cluster map (Cluster Mapping Project states)", 3, steps)
    us = build_cluster_map(MapRequest(source="cmp-states"), reference, request.engine)
    summary.files.extend(_tables(us.table, out / "us" / "cluster_map"))
    summary.mapped_clusters.extend(_map_clusters(eu, request.maps))
    for done, code in enumerate(summary.mapped_clusters, start=4):
        report(f"map of cluster {code}", done, steps)
        summary.files.append(
            _map(eu, code, reference, out / "eu" / "maps" / f"cluster_{code}.html")
        )
    # The U.S. maps: states, the region type the build's U.S. data (CMP states) holds.
    summary.us_mapped_clusters.extend(_map_clusters(us, request.maps, US_MAP_REGION_TYPE))
    for code in summary.us_mapped_clusters:
        path = out / "us" / "maps" / f"cluster_{code}.html"
        summary.files.append(_map(us, code, reference, path, US_MAP_REGION_TYPE))
    report("done", steps, steps)
    summary.notes.extend([*eu.notes, *emerging.notes, *us.notes])
    summary.maps.update(eu=eu, emerging=emerging, us=us)
    return summary


def _silent(step: str, done: int, total: int) -> None:
    """No progress display (library use)."""


def _tables(frame: pl.DataFrame, stem: Path) -> list[Path]:
    """The map as CSV and Parquet, stars of mostly estimated cells withheld as on the pages."""
    shown = withhold_stars(frame)
    return [write_table(shown, stem.with_suffix(s)) for s in (".csv", ".parquet")]


def _taxonomy_table(reference: ReferenceData) -> pl.DataFrame:
    taxonomy = reference.nace_clusters
    return taxonomy.members.join(taxonomy.clusters, on="cluster_code", how="left").with_columns(
        nace_name=pl.col("code").map_elements(reference.nace.name, return_dtype=pl.String)
    )


def _map_clusters(result: ClusterMap, count: int, region_type: str = MAP_REGION_TYPE) -> list[str]:
    """Fully visible clusters with the most regions of ``region_type`` holding 2 or more
    stars (every cluster is visible where the coverage does not say)."""
    coverage = result.coverage
    if "visible_share" in coverage.columns:
        coverage = coverage.filter(pl.col("visible_share") >= 1.0)
    visible = coverage.get_column("cluster_code").to_list()
    ranked = (
        result.table.filter(
            (pl.col("region_type") == region_type) & pl.col("cluster_code").is_in(visible)
        )
        .group_by("cluster_code")
        .agg((pl.col("stars") >= 2).sum().alias("starred"))
        .sort(["starred", "cluster_code"], descending=[True, False])
    )
    return ranked.get_column("cluster_code").head(count).to_list()


def _map(
    result: ClusterMap,
    code: str,
    reference: ReferenceData,
    path: Path,
    region_type: str = MAP_REGION_TYPE,
) -> Path:
    rows = result.table.filter(
        (pl.col("cluster_code") == code) & (pl.col("region_type") == region_type)
    )
    layer = MapLayer(
        cluster_code=code,
        cluster_name=str(rows.get_column("cluster_name").first() or code),
        year=int(rows.get_column("year").max()),  # type: ignore[arg-type]
        measure="stars",
        region_type=region_type,
    )
    polygons = region_polygons(reference, region_type)
    return write_html(cluster_figure(withhold_stars(result.table), polygons, layer), path)
