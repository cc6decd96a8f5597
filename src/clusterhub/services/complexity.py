"""Economic complexity use case: a long table in, every relatedness and complexity measure out."""

from __future__ import annotations

from pathlib import Path

from clusterhub.services.profiles import write_table
from clusterhub.stats.complexity import ComplexityOptions, ComplexityResult, complexity
from clusterhub.stats.sources import read_value_table


def complexity_from_file(
    path: Path,
    options: ComplexityOptions | None = None,
    *,
    blank_as_zero: bool = False,
) -> ComplexityResult:
    """Read ``region,industry,year,value`` and compute RCA, Mcp, density, ECI, PCI, COI, COG."""
    return complexity(read_value_table(path, blank_as_zero=blank_as_zero), options)


def write_complexity(result: ComplexityResult, out: Path) -> Path:
    """Write the table (CSV, Parquet or JSON by suffix)."""
    return write_table(result.table, out)
