"""Polars frames to Spark and back, through Arrow (no pandas, no Python rows)."""

from __future__ import annotations

import polars as pl
import polars.selectors as cs
from pyspark.sql import DataFrame, SparkSession


def to_spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """A Spark frame with the same rows; categoricals travel as text, strings as Arrow's
    plain (not large) strings, which every Spark version reads."""
    plain = frame.with_columns(cs.categorical().cast(pl.String))
    return spark.createDataFrame(plain.to_arrow(compat_level=pl.CompatLevel.oldest()))


def to_polars(frame: DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """The Spark result collected, with the Polars engine's columns in its order and types
    (Spark has no unsigned integers), so results of the two engines compare directly."""
    collected = pl.DataFrame(frame.toArrow())
    return collected.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
