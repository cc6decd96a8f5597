"""Establishment registers to cells on Spark: the same row formulas, read where the file lies.

The file is read by Spark (Parquet, or CSV with a header), so a register of tens of millions of
rows never passes through the driver; only the grouped counts (one row per region x industry,
a few per reason) come back. Spark does not number a file's rows, so when a malformed value is
found, the Polars engine reads the file once more to name the first line of each error.
"""

from __future__ import annotations

import polars as pl
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

from clusterhub.stats.registers.bands import band_table
from clusterhub.stats.registers.cells import (
    GROUPED,
    Register,
    RegisterCells,
    check_level,
    classified,
    establishment_columns,
    finish,
    layout_columns,
    midpoints,
    register_cells,
    scan_register,
)
from clusterhub.stats.spark.dialect import SPARK
from clusterhub.stats.spark.frames import to_spark
from clusterhub.stats.spark.mapping import group_sum


def spark_register_cells(
    session: SparkSession, register: Register, places: pl.DataFrame, *, level: int, year: int
) -> RegisterCells:
    """Cells of ``register`` placed by ``places``, computed by Spark."""
    check_level(level)
    _, present = scan_register(register)  # the header check, as the Polars engine makes it
    path = str(register.path)
    read = (
        session.read.parquet(path)
        if register.is_parquet
        else session.read.option("header", value=True).csv(path)
    )
    names = [name for key, name in layout_columns(register).items() if key in present]
    columns = [F.col(f"`{name}`").cast("string").alias(name) for name in names]
    rows = (
        read.select(*columns)
        .withColumns(establishment_columns(SPARK, register, present))
        .join(F.broadcast(to_spark(session, places)), on="location", how="left")
    )
    formula = midpoints(SPARK, register)
    rows = (
        rows.join(F.broadcast(to_spark(session, band_table())), on="band", how="left")
        if formula is None
        else rows.withColumn("midpoint", formula)
    )
    grouped = (
        rows.withColumns(classified(SPARK, level))
        .groupBy("reason", "region_code", "industry_code")
        .agg(
            F.count(F.lit(1)).alias("establishments"),
            group_sum("employment"),
            F.count("employment").alias("employment_known"),
            group_sum("estimated"),
            F.coalesce(F.sum(F.col("wages").cast("double")), F.lit(0.0)).alias("wages"),
            F.count("wages").alias("wages_known"),
            F.lit(None).cast("long").alias("first_line"),
        )
    )
    counts = pl.DataFrame(grouped.toArrow()).cast(GROUPED)  # type: ignore[arg-type]
    if counts.get_column("reason").str.starts_with("error:").any():
        return register_cells(register, places, level=level, year=year)  # raises, with lines
    return finish(counts, register, year)
