"""Relatedness and complexity on Spark: one task per year, the same definitions inside.

Every measure of a year (RCA, Mcp, proximity, density, ECI/PCI, COI/COG) is a function of that
year's regions x industries matrix, which is small (NUTS 3 x NACE classes: 1,500 x 615
doubles, 7 MB) however many establishment rows were summed into it; its eigenvector needs the
whole matrix at once. So the matrix is not spread over executors: each year goes to one
task (``stats.spark.by_year``), which solves it with ``stats.complexity`` exactly as the
Polars engine does, and the years run in parallel. See ``docs/operations/spark.md``.
"""

from __future__ import annotations

import polars as pl
import polars.selectors as cs
from pyspark.sql import DataFrame

from clusterhub.stats.complexity import ComplexityOptions, complexity
from clusterhub.stats.spark.by_year import by_year, collect_years

#: The output table with codes as text (the Polars engine's are Enums over the input's codes).
OUTPUT_SCHEMA = pl.Schema(
    {
        "region": pl.String,
        "industry": pl.String,
        "year": pl.Int32,
        "value": pl.Float64,
        "rca": pl.Float64,
        "mcp": pl.Int8,
        "diversity": pl.Int32,
        "ubiquity": pl.Int32,
        "density": pl.Float64,
        "eci": pl.Float64,
        "pci": pl.Float64,
        "coi": pl.Float64,
        "cog": pl.Float64,
        "status": pl.String,
    }
)


def complexity_by_year(frame: DataFrame, options: ComplexityOptions) -> pl.DataFrame:
    """Every measure per region x industry x year, each year computed in one Spark task."""

    def solve(year: pl.DataFrame) -> pl.DataFrame:
        return complexity(year, options).table.with_columns(cs.enum().cast(pl.String))

    result = by_year(frame, solve, OUTPUT_SCHEMA)
    return collect_years(result, ["year", "region", "industry"], "compute complexity")
