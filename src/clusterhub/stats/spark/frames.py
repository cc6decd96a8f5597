"""Polars frames to Spark and back, through Arrow (no pandas, no Python rows)."""

from __future__ import annotations

import polars as pl
import polars.selectors as cs
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

from clusterhub.stats.schema import require_keys


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


#: Spark's and Arrow's names for each Polars type the engine moves between them (Arrow's
#: plain, not large, strings: Spark checks the types a Python task returns exactly).
TYPES: dict[type[pl.DataType], tuple[str, pa.DataType]] = {
    pl.String: ("string", pa.string()),
    pl.Int8: ("tinyint", pa.int8()),
    pl.Int32: ("int", pa.int32()),
    pl.Int64: ("bigint", pa.int64()),
    pl.Float64: ("double", pa.float64()),
    pl.Boolean: ("boolean", pa.bool_()),
}


def spark_type(dtype: type[pl.DataType] | pl.DataType) -> str:
    """Spark's name of a Polars type (a class or an instance)."""
    return TYPES[dtype if isinstance(dtype, type) else type(dtype)][0]


def conform_spark(
    frame: DataFrame, schema: dict[str, type[pl.DataType] | pl.DataType], *, what: str
) -> DataFrame:
    """``stats.schema.conform`` for a Spark frame (a Parquet file read by Spark): exactly the
    contract's columns, in its types, absent optional ones added as null."""
    require_keys(frame.columns, schema, what=what)
    return frame.select(
        *(
            (F.col(name) if name in frame.columns else F.lit(None))
            .cast(spark_type(dtype))
            .alias(name)
            for name, dtype in schema.items()
        )
    )
