"""Related clusters: cluster-to-cluster proximity measured on U.S. states or EU NUTS 2 regions,
compared with the U.S. Cluster Mapping Project's published related pairs.

The proximity is the complexity engine's (``stats.complexity``), computed on a regions x
traded clusters employment matrix; the comparison is ``stats.relatedness``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
from clusterhub.services.observatory.vocabulary import RelatedSource
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.complexity import ComplexityOptions, complexity
from clusterhub.stats.relatedness import (
    EngineInput,
    Overlap,
    compare_pairs,
    engine_input,
    proximity_pairs,
    published_pairs,
    read_cmp_related,
)
from clusterhub.stats.sources import read_cmp_states

REGION_TYPE = {"cmp-states": "state", "eurostat-sbs": "nuts2"}
PAIR_COLUMNS = (
    "rank",
    "cluster_a",
    "name_a",
    "cluster_b",
    "name_b",
    "proximity",
    "top_n",
    "related",
    "colocation",
    "colocation_pct",
    "input_output",
    "input_output_pct",
    "occupation",
    "occupation_pct",
    "combined",
    "combined_pct",
)


@dataclass(frozen=True)
class RelatedClusters:
    """The comparison of one source's proximity with the published pairs.

    ``pairs`` has one row per unordered pair of clusters (``PAIR_COLUMNS``): ``related`` is
    the published flag, ``top_n`` whether the pair is among our N most proximate.
    """

    source: RelatedSource
    year: int
    regions: int
    overlap: Overlap
    pairs: pl.DataFrame
    notes: tuple[str, ...]


def cluster_employment(source: RelatedSource, reference: ReferenceData) -> EngineInput:
    """Employment of each region in each traded cluster, as the engine reads it
    (``stats.relatedness.engine_input``: one region type, no Extra-Regio code, a missing
    (confidential) cell counted as no employment).

    U.S. states from the CMP state file (local clusters left out: they serve local markets,
    so co-specialisation in them says nothing about relatedness); EU NUTS 2 regions from the
    Eurostat SBS cluster map.
    """
    if source == "cmp-states":
        cells = read_cmp_states(reference.fetch("cmp-states")).cells.filter(pl.col("traded"))
    else:
        cells = build_cluster_map(MapRequest(source="eurostat-sbs"), reference).table
    return engine_input(
        cells.select(
            region="region_code",
            region_type="region_type",
            industry="cluster_code",
            year="year",
            value="employment",
        ),
        REGION_TYPE[source],
    )


def related_clusters(
    source: RelatedSource,
    reference: ReferenceData,
    options: ComplexityOptions | None = None,
) -> RelatedClusters:
    """Proximity between traded clusters from ``source`` (its latest year), compared with
    the published related pairs on the clusters both have."""
    employment = cluster_employment(source, reference)
    result = complexity(employment.cells, options)
    year = max(result.years)
    measures = result.years[year]
    records = read_cmp_related(reference.fetch("cmp-related"))
    overlap, table = compare_pairs(proximity_pairs(measures), published_pairs(records))
    return RelatedClusters(
        source=source,
        year=year,
        regions=len(measures.regions),
        overlap=overlap,
        pairs=table.select(PAIR_COLUMNS),
        notes=(*employment.notes, *result.notes),
    )


def published_related(reference: ReferenceData) -> frozenset[tuple[str, str]]:
    """The cluster pairs the U.S. Cluster Mapping Project publishes as related
    (``rel_all_90_v3``), in both orders."""
    pairs = published_pairs(read_cmp_related(reference.fetch("cmp-related")))
    related = pairs.filter(pl.col("related")).select("cluster_a", "cluster_b").iter_rows()
    return frozenset(p for a, b in related for p in ((a, b), (b, a)))
