"""Relatedness and complexity on Spark: one task per year, the same definitions inside.

Every measure of a year (RCA, Mcp, proximity, density, ECI/PCI, COI/COG) is a function of that
year's regions x industries matrix, which is small (NUTS 3 x NACE classes: 1,200 x 615
doubles, 6 MB) however many establishment rows were summed into it; its eigenvector needs the
whole matrix at once. So the matrix is not spread over executors: each year goes to one
executor (``applyInArrow``), which solves it with ``stats.complexity`` exactly as the Polars
engine does, and the years run in parallel. What grows with the data (the sums into cells,
the output rows) stays distributed; see ``docs/operations/spark.md``.
"""

from __future__ import annotations

import polars as pl
import polars.selectors as cs
import pyarrow as pa
from pyspark.sql import DataFrame

from clusterhub.errors import InvalidInput, Problem
from clusterhub.stats.complexity import OUTPUT_COLUMNS, ComplexityOptions, complexity

#: The output table in Spark's types, plus ``error`` for a year that cannot be computed.
OUTPUT_SCHEMA = (
    "region string, industry string, year int, value double, rca double, mcp tinyint, "
    "diversity int, ubiquity int, density double, eci double, pci double, coi double, "
    "cog double, status string, error string"
)


def complexity_by_year(frame: DataFrame, options: ComplexityOptions) -> DataFrame:
    """Every measure per region x industry x year, each year computed in one task."""

    # A closure with type hints, not a functools.partial: pyspark 4.3 reads the hints to pick
    # the Arrow table API and fails on a callable without them.
    def solve(cells: pa.Table) -> pa.Table:
        return _year_table(options, cells)

    return frame.groupBy("year").applyInArrow(solve, schema=OUTPUT_SCHEMA)


def _year_table(options: ComplexityOptions, cells: pa.Table) -> pa.Table:
    """One year's table; a degenerate year comes back as one row saying why, so that the
    driver can raise the same error as the Polars engine instead of a stack trace."""
    try:
        table = complexity(pl.DataFrame(cells), options).table
    except InvalidInput as exc:
        failed = {c: [None] for c in OUTPUT_COLUMNS} | {
            "error": ["\n".join(map(str, exc.problems))]
        }
        table = pl.DataFrame(failed).with_columns(year=pl.lit(cells["year"][0].as_py()))
    else:
        table = table.with_columns(cs.enum().cast(pl.String), error=pl.lit(None, pl.String))
    return table.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(_ARROW_SCHEMA)


def raise_failed_years(table: pl.DataFrame) -> None:
    """The years whose task reported an error, as one error naming each."""
    failed = table.filter(pl.col("error").is_not_null()).sort("year")
    if failed.height:
        years = ", ".join(str(y) for y in failed.get_column("year").to_list())
        raise InvalidInput(
            [Problem(message) for message in failed.get_column("error").to_list()],
            summary=f"cannot compute complexity for {years}",
        )


_ARROW_SCHEMA = pa.schema(
    [
        ("region", pa.string()),
        ("industry", pa.string()),
        ("year", pa.int32()),
        ("value", pa.float64()),
        ("rca", pa.float64()),
        ("mcp", pa.int8()),
        ("diversity", pa.int32()),
        ("ubiquity", pa.int32()),
        ("density", pa.float64()),
        ("eci", pa.float64()),
        ("pci", pa.float64()),
        ("coi", pa.float64()),
        ("cog", pa.float64()),
        ("status", pa.string()),
        ("error", pa.string()),
    ]
)
