"""Reference data every observatory run needs: classifications, regions, the 51 clusters.

Each piece is fetched (mirror, cache or official download) and parsed once per
``ReferenceData`` object, on first use, so that a command needing only NACE never reads the
NUTS polygons.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from clusterhub.classify import (
    US_SHAPES,
    NaceHierarchy,
    NaicsToNace,
    NutsHistory,
    RegionCatalogue,
    Taxonomy,
    derive_nace,
    load_cmp_traded,
    load_crosswalk,
    load_matrices,
    load_nace,
    load_regions,
    read_change_table,
    us_geojson,
)
from clusterhub.classify.nuts_changes import NAMES
from clusterhub.config import Settings
from clusterhub.datasets import ProgressCallback, eurostat_dataset, fetch
from clusterhub.errors import DataSourceError, InvalidInput, NotFound
from clusterhub.stats.sources import read_eurostat_tsv

NUTS_LEVELS = (0, 1, 2, 3)
#: Taxonomy files that ship with clusterhub, by the short name that stands for them wherever a
#: taxonomy file is asked for (``clusterhub map --taxonomy emerging``, the built-in data sets).
BUILT_IN_TAXONOMIES = {
    "emerging": Path(__file__).resolve().parents[1]
    / "data"
    / "taxonomies"
    / "emerging_industries.yaml",
}


def taxonomy_file(path: Path) -> Path:
    """The file ``path`` names: a built-in taxonomy's file for its bare short name, else itself.

    Only a bare name without a suffix is looked up, so a user's own ``emerging.yaml`` (or a
    folder that happens to be called ``emerging``) is never shadowed by the built-in one; an
    unknown bare name is refused with the built-in names listed.
    """
    if path.suffix or path.exists():
        return path
    builtin = BUILT_IN_TAXONOMIES.get(str(path))
    if builtin is None:
        raise InvalidInput.single(
            "expected a .csv, .yaml or .yml taxonomy file, or the name of a built-in one: "
            + ", ".join(BUILT_IN_TAXONOMIES),
            field="taxonomy",
            value=str(path),
        )
    return builtin


#: Eurostat's national SBS by NACE class (2008-2020 methodology): industry (B-E),
#: construction (F), trade (G) and services (H-N, S95); V16110 = persons employed.
NATIONAL_CLASS_DATASETS = ("sbs_na_ind_r2", "sbs_na_con_r2", "sbs_na_dt_r2", "sbs_na_1a_se_r2")


@dataclass(frozen=True)
class NationalClasses:
    """National employment by NACE class (``region_code`` = country), or None when none of
    ``NATIONAL_CLASS_DATASETS`` could be had; which were read and which are missing."""

    cells: pl.DataFrame | None
    found: tuple[str, ...]
    missing: tuple[str, ...]


class ReferenceData:
    """Lazily loaded classifications and taxonomies for one settings object."""

    def __init__(self, settings: Settings, progress: ProgressCallback | None = None) -> None:
        self._settings = settings
        self._progress = progress
        self._us_shapes: dict[str, dict[str, Any]] = {}
        #: Why the names of old NUTS codes are missing (the change tables could not be fetched).
        self.nuts_names_missing: str | None = None

    def fetch(self, key: str) -> Path:
        """Local path of any registered data set (see ``clusterhub.datasets``)."""
        return fetch(key, self._settings, progress=self._progress)

    @cached_property
    def nace(self) -> NaceHierarchy:
        """NACE Rev.2 hierarchy."""
        return load_nace(self.fetch("nace-rev2"))

    @cached_property
    def crosswalk(self) -> NaicsToNace:
        """NAICS 2017 to NACE Rev.2 correspondence."""
        return load_crosswalk(self.fetch("naics-nace"), self.nace)

    @cached_property
    def regions(self) -> RegionCatalogue:
        """NUTS 2021 regions with their polygons."""
        return load_regions([self.fetch(f"nuts2021-l{level}") for level in NUTS_LEVELS])

    def us_geojson(self, region_type: str) -> dict[str, Any]:
        """U.S. state or county polygons (``classify.us_geography``), simplified from the
        shapefiles of ``plotly-geo`` on first use and kept in the cache directory.

        Raises
        ------
        NotFound
            If ``region_type`` has no polygons (MSAs and economic areas have none).
        """
        if region_type not in US_SHAPES:
            raise NotFound(
                f"no polygons for U.S. {region_type} regions; maps exist for "
                + ", ".join(US_SHAPES)
            )
        if region_type not in self._us_shapes:
            self._us_shapes[region_type] = self._cached_us_geojson(region_type)
        return self._us_shapes[region_type]

    def _cached_us_geojson(self, region_type: str) -> dict[str, Any]:
        spec = US_SHAPES[region_type]
        path = self._settings.cache_dir / "us-geo" / f"{spec.file}-{spec.tolerance:g}.geojson"
        if path.is_file():
            cached: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return cached
        shapes = us_geojson(region_type)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(shapes, out, separators=(",", ":"))
        Path(temp).replace(path)
        return shapes

    @cached_property
    def nuts_history(self) -> NutsHistory:
        """Every NUTS version: the JRC conversion matrices (package data), the names and
        changes of Eurostat's change tables, and the NUTS 2021 names of the polygons."""
        try:
            names = pl.concat(
                [
                    read_change_table(self.fetch(f"nuts-changes-{old}-{new}"), old, new)
                    for old, new in (("2013", "2016"), ("2016", "2021"))
                ]
            )
        except DataSourceError as error:
            # Codes still resolve without the tables (the matrices ship with clusterhub); only
            # the names of old codes are missing, and the history says so.
            names = pl.DataFrame(schema=NAMES)
            self.nuts_names_missing = str(error)
        current = dict(self.regions.frame.select("code", "name").iter_rows())
        return NutsHistory(load_matrices(), names, current)

    @cached_property
    def cmp_traded(self) -> Taxonomy:
        """The U.S. Cluster Mapping Project's 51 traded clusters, NAICS codes."""
        return load_cmp_traded(self.fetch("cmp-clusters"))

    @cached_property
    def _nace_clusters(self) -> tuple[Taxonomy, pl.DataFrame]:
        return derive_nace(self.cmp_traded, self.crosswalk)

    @property
    def nace_clusters(self) -> Taxonomy:
        """The 51 traded clusters translated to NACE Rev.2 classes (weighted)."""
        return self._nace_clusters[0]

    @property
    def nace_derivation(self) -> pl.DataFrame:
        """Per cluster: how its NAICS codes reached NACE (exact, by prefix, unmatched)."""
        return self._nace_clusters[1]

    @cached_property
    def national_classes(self) -> NationalClasses:
        """National employment by NACE class (Eurostat ``sbs_na_*_r2``), the reference
        structure that shares a region's divisions among the classes of the clusters; each
        data set that cannot be had (not in the mirror, unreachable) is named instead."""
        frames, found, missing = [], [], []
        for code in NATIONAL_CLASS_DATASETS:
            try:
                path = fetch(eurostat_dataset(code), self._settings, progress=self._progress)
            except DataSourceError:
                missing.append(code)
                continue
            cells, _ = read_eurostat_tsv(path)
            frames.append(cells.select("region_code", "industry_code", "year", "employment"))
            found.append(code)
        return NationalClasses(pl.concat(frames) if frames else None, tuple(found), tuple(missing))


@dataclass(frozen=True, eq=False)
class Catalogues:
    """The code lists profiles are validated against (loaded once per process)."""

    nuts: frozenset[str]
    nace: NaceHierarchy
    clusters: dict[str, str]

    @classmethod
    def from_reference(cls, reference: ReferenceData, *, with_regions: bool = True) -> Catalogues:
        """Codes from the reference data: NUTS 2021, NACE Rev.2, the 51 traded clusters.

        ``with_regions=False`` leaves the NUTS list empty, for a start while GISCO cannot be
        reached: the shipped lists (NACE, clusters) still check what needs no region.
        """
        clusters = reference.cmp_traded.clusters.filter(kind="traded")
        nuts = reference.regions.frame["code"].to_list() if with_regions else []
        return cls(
            nuts=frozenset(nuts),
            nace=reference.nace,
            clusters=dict(clusters.select("cluster_code", "cluster_name").iter_rows()),
        )

    def cluster_code(self, value: str) -> str | None:
        """A cluster's code from its code or its exact name (case-insensitive), else None."""
        text = value.strip()
        if text in self.clusters:
            return text
        lowered = text.casefold()
        return next((c for c, n in self.clusters.items() if n.casefold() == lowered), None)
