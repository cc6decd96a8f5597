"""Economic complexity use cases: a long table, or Eurostat SBS, in; every measure out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.services.observatory.vocabulary import SBS_REGION_TYPES
from clusterhub.stats.cells import fill_missing
from clusterhub.stats.complexity import ComplexityOptions, ComplexityTable
from clusterhub.stats.engines import POLARS_ENGINE, Engine
from clusterhub.stats.sources import read_value_table

if TYPE_CHECKING:
    from clusterhub.services.reference import ReferenceData


def complexity_from_file(
    path: Path,
    options: ComplexityOptions | None = None,
    *,
    blank_as_zero: bool = False,
    engine: Engine = POLARS_ENGINE,
) -> ComplexityTable:
    """Read ``region,industry,year,value`` and compute RCA, Mcp, density, ECI, PCI, COI, COG."""
    values = read_value_table(path, blank_as_zero=blank_as_zero)
    return engine.complexity(values, options or ComplexityOptions())


def complexity_of_sbs(
    reference: ReferenceData,
    region_type: str = "nuts2",
    options: ComplexityOptions | None = None,
    engine: Engine = POLARS_ENGINE,
) -> ComplexityTable:
    """Complexity of Eurostat SBS employment, regions of one NUTS level x NACE divisions.

    Confidential cells are first estimated exactly as for the cluster map (parent-residual,
    ``docs/methodology/missing-cells.md``); cells still unknown after that are left out,
    i.e. read as zero, and counted in the notes. Extra-regio codes (``FRZZ``: activity not
    attributable to a region) are not regions and are left out. Divisions are the level that
    partitions the economy in SBS (sections and the few groups would count workers twice).
    """
    # Imported here: reading SBS needs the classifications and the settings (pydantic), which
    # ``clusterhub complexity --input FILE`` would otherwise load for nothing (~0.4 s).
    from clusterhub.classify import is_extra_regio  # noqa: PLC0415
    from clusterhub.services.observatory.analytics import read_industry_source  # noqa: PLC0415

    if region_type not in SBS_REGION_TYPES:
        raise InvalidInput.single(
            f"expected one of {', '.join(SBS_REGION_TYPES)}", field="region_type", value=region_type
        )
    cells, _ = read_industry_source("eurostat-sbs", reference.fetch("eurostat-sbs"))
    filled, _ = fill_missing(cells, "parent-residual", industry_parent=reference.nace.parent)
    nace = reference.nace
    digits = int(region_type[-1]) + 2
    chosen = filled.filter(
        pl.col("industry_code").map_elements(nace.level, return_dtype=pl.Int64) == 2,
        pl.col("region_code").str.len_chars() == digits,
        ~pl.col("region_code").map_elements(is_extra_regio, return_dtype=pl.Boolean),
    )
    unknown = chosen.get_column("employment").null_count()
    frame = chosen.filter(pl.col("employment").is_not_null()).select(
        region=pl.col("region_code"),
        industry=pl.col("industry_code"),
        year="year",
        value=pl.col("employment"),
    )
    result = engine.complexity(frame, options or ComplexityOptions())
    note = (
        f"Eurostat SBS employment, {region_type} x NACE divisions; {unknown:,} confidential "
        "cell(s) still unknown after parent-residual estimation were read as zero"
    )
    return replace(result, notes=(note, *result.notes))
