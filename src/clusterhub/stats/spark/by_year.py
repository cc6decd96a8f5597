"""Work whose unit is a year, run by Spark one task per year with the Polars definitions.

Some computations need a whole year at once and are small per year however large the input
was before it was summed: complexity (a year's regions x industries matrix and its
eigenvector) and the parent-residual fill of suppressed cells (a year's hierarchy of regions
and industries). Spark sends each year to one task (``groupBy("year").applyInArrow``), which
runs the very function the Polars engine runs; years run in parallel. A year that raises
``InvalidInput`` comes back as one row carrying the message, and the driver raises it again
naming the year, as the Polars engine would.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame

from clusterhub.errors import InvalidInput, Problem
from clusterhub.stats.spark.frames import TYPES

#: One year's rows in, that year's result out (a Polars function of the engine).
YearTask = Callable[[pl.DataFrame], pl.DataFrame]


def by_year(frame: DataFrame, task: YearTask, schema: pl.Schema) -> DataFrame:
    """``task`` applied to each year's rows of ``frame``; its result has ``schema``'s columns
    and ``error`` (null, or why the year could not be computed)."""
    full = pl.Schema([*schema.items(), ("error", pl.String())])
    types = {name: TYPES[type(dtype)] for name, dtype in full.items()}
    arrow = pa.schema([(name, arrow_type) for name, (_, arrow_type) in types.items()])
    ddl = ", ".join(f"`{name}` {spark_type}" for name, (spark_type, _) in types.items())

    # A closure with type hints, not a functools.partial: pyspark 4.3 reads the hints to pick
    # the Arrow table API and fails on a callable without them.
    def run(cells: pa.Table) -> pa.Table:
        year = pl.DataFrame(cells)
        try:
            result = task(year).select(schema.names()).cast(schema)
            result = result.with_columns(error=pl.lit(None, pl.String))
        except InvalidInput as exc:
            message = "\n".join(str(problem) for problem in exc.problems)
            result = pl.DataFrame(
                {"year": [year.get_column("year")[0]], "error": [message]}
            ).select(pl.col(c).cast(t) if c in ("year", "error") else pl.lit(None, t).alias(c)
                     for c, t in full.items())  # fmt: skip
        return result.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(arrow)

    return frame.groupBy("year").applyInArrow(run, schema=ddl)


def collect_years(result: DataFrame, order: list[str], what: str) -> pl.DataFrame:
    """The years' results collected in ``order``; the years that failed raised as one error."""
    table = pl.DataFrame(result.orderBy(*order).toArrow())
    failed = table.filter(pl.col("error").is_not_null()).sort("year")
    if failed.height:
        years = ", ".join(str(y) for y in failed.get_column("year").to_list())
        raise InvalidInput(
            [Problem(message) for message in failed.get_column("error").to_list()],
            summary=f"cannot {what} for {years}",
        )
    return table.drop("error")
