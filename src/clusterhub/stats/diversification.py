"""Diversification paths: which clusters a region could grow into, and why, from one year's
relatedness and complexity (``stats.complexity.year_complexity``).

A path is a cluster the region is not yet specialised in (Mcp = 0), ranked by relatedness
density: how much of the cluster's proximity-weighted neighbourhood the region already holds
(Hidalgo et al. 2007; Balland et al. 2019 on EU smart specialisation). Each comes with the
region's own specialisations that make it close (its *strong neighbours*) and the regions
elsewhere that are specialised in it, the candidates for partner search.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.complexity import YearComplexity
from clusterhub.stats.relatedness import code_key

#: Strong neighbours shown per path, and regions elsewhere strong in it.
NEIGHBOURS = 3
STRONG_ELSEWHERE = 5
_COLUMNS = ("cluster", "density", "cog", "pci", "rca", "value")


@dataclass(frozen=True)
class Neighbour:
    """A cluster the region is specialised in, and its proximity to the path's cluster."""

    cluster: str
    proximity: float


def region_index(year: YearComplexity, region: str) -> int:
    """The region's row in the year's matrices.

    Raises
    ------
    InvalidInput
        The region is not in the matrix (no employment in any cluster compared).
    """
    try:
        return year.regions.index(region)
    except ValueError:
        raise InvalidInput.single(
            "the region has no employment in the clusters compared, so it has no "
            "relatedness to them",
            field="region",
            value=region,
        ) from None


def _cluster_rows(year: YearComplexity, row: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "cluster": year.industries,
            "mcp": year.mcp[row],
            "density": year.density[row],
            "cog": year.cog[row],
            "pci": year.pci,
            "rca": year.rca[row],
            "value": year.values[row],
            "_key": [code_key(c)[0] for c in year.industries],
        },
        nan_to_null=True,
    )


def opportunities(year: YearComplexity, region: str) -> pl.DataFrame:
    """Clusters the region is not specialised in, by density (highest first), then COG
    (highest first), then cluster code: ``cluster, density, cog, pci, rca, value``."""
    rows = _cluster_rows(year, region_index(year, region)).filter(pl.col("mcp") == 0)
    return rows.sort(
        ["density", "cog", "_key", "cluster"],
        descending=[True, True, False, False],
        nulls_last=True,
    ).select(_COLUMNS)


def specialisations(year: YearComplexity, region: str) -> pl.DataFrame:
    """Clusters the region is specialised in (Mcp = 1), by RCA (highest first)."""
    rows = _cluster_rows(year, region_index(year, region)).filter(pl.col("mcp") == 1)
    return rows.sort(
        ["rca", "_key", "cluster"], descending=[True, False, False], nulls_last=True
    ).select(_COLUMNS)


def strong_neighbours(
    year: YearComplexity, region: str, cluster: str, count: int = NEIGHBOURS
) -> list[Neighbour]:
    """The region's specialisations closest to ``cluster``: highest proximity first, ties
    by cluster code; proximity 0 (never co-specialised) does not justify anything."""
    row = region_index(year, region)
    target = year.industries.index(cluster)
    held = [k for k in np.flatnonzero(year.mcp[row] == 1) if k != target]
    ranked = sorted(
        (k for k in held if year.proximity[target, k] > 0),
        key=lambda k: (-year.proximity[target, k], code_key(year.industries[k])),
    )
    return [Neighbour(year.industries[k], float(year.proximity[target, k])) for k in ranked[:count]]


def strong_regions(
    year: YearComplexity, cluster: str, eligible: Collection[str], count: int = STRONG_ELSEWHERE
) -> list[str]:
    """Regions among ``eligible`` specialised in ``cluster`` (Mcp = 1): highest RCA first,
    then the larger employment, then code."""
    col = year.industries.index(cluster)
    allowed = set(eligible)
    rows = [k for k, code in enumerate(year.regions) if code in allowed and year.mcp[k, col] == 1]
    rows.sort(key=lambda k: (-year.rca[k, col], -year.values[k, col], year.regions[k]))
    return [year.regions[k] for k in rows[:count]]
