"""The one seam between the observatory's computations and the engine that runs them.

``polars`` (the default) runs in this process; ``spark`` runs the same definitions on Apache
Spark, locally (``local[2]``), on a cluster master or through Spark Connect, for data that
outgrow one machine. Both take and return Polars frames, so callers do not change with the
engine; the identity tests hold the two to the same rows and values. Spark is imported only
when asked for (optional extra ``spark``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.cells import FillReport, ParentOf, fill_missing
from clusterhub.stats.complexity import ComplexityOptions, ComplexityTable, complexity
from clusterhub.stats.mapping import (
    RatingOptions,
    RegionRule,
    aggregate_to_clusters,
    rate_clusters,
)
from clusterhub.stats.metrics import Benchmark
from clusterhub.stats.registers.cells import Register, RegisterCells, register_cells
from clusterhub.stats.vocabulary import ENGINE_NAMES, EngineName, FillMethod

if TYPE_CHECKING:
    from clusterhub.stats.spark.engine import SparkEngine

#: What to tell a user whose installation lacks the Spark extra.
#: The libraries of the optional extra ``spark``.
SPARK_MODULES = frozenset({"pyspark", "pyarrow", "grpc", "google", "zstandard"})
SPARK_INSTALL = (
    "install the optional extra: `uv sync --extra spark` (or pip install 'clusterhub[spark]')"
)


@dataclass(frozen=True)
class SparkSettings:
    """Where Spark runs: a master URL (``local[2]``, ``spark://host:7077``, ``yarn``) or a
    Spark Connect endpoint (``sc://host:15002``), which wins when given; extra Spark
    configuration (``spark.executor.memory`` ...) is passed through unchanged."""

    master: str = "local[2]"
    remote: str = ""
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MapInput:
    """Industry cells and how they become clusters (``stats.mapping.aggregate_to_clusters``).

    ``cells`` is a frame, or a Parquet file (or folder of files) in the ``INDUSTRY_CELLS``
    layout: Spark then reads it where it lies, and no copy passes through this process.
    """

    cells: pl.DataFrame | Path
    members: pl.DataFrame
    partition_codes: Collection[str]
    region_type: str | RegionRule
    keyed: pl.DataFrame | None = None


class Engine(Protocol):
    """What every engine computes, on Polars frames in and out."""

    name: EngineName

    def map_clusters(self, data: MapInput, options: RatingOptions) -> pl.DataFrame:
        """Aggregate industry cells to clusters, measure and rate them (one plan)."""

    def rate_clusters(
        self,
        cells: pl.DataFrame,
        totals: pl.DataFrame,
        *,
        options: RatingOptions,
        benchmark: Benchmark | None = None,
    ) -> pl.DataFrame:
        """Measure and rate cluster cells (``stats.mapping.rate_clusters``)."""

    def complexity(self, frame: pl.DataFrame, options: ComplexityOptions) -> ComplexityTable:
        """Every relatedness and complexity measure of a long table (``stats.complexity``)."""

    def fill_missing(
        self, cells: pl.DataFrame, method: FillMethod, *, industry_parent: ParentOf | None
    ) -> tuple[pl.DataFrame, FillReport]:
        """Missing and confidential cells filled (``stats.cells.fill_missing``)."""

    def register_cells(
        self, register: Register, places: pl.DataFrame, *, level: int, year: int
    ) -> RegisterCells:
        """Region x industry cells of an establishment register (``stats.registers``)."""


class PolarsEngine:
    """The definitions run by Polars in this process."""

    name: EngineName = "polars"

    def map_clusters(self, data: MapInput, options: RatingOptions) -> pl.DataFrame:
        """Aggregate industry cells to clusters, measure and rate them."""
        cells = data.cells
        if isinstance(cells, Path):
            cells = pl.read_parquet(cells)
        clusters, totals = aggregate_to_clusters(
            cells,
            data.members,
            partition_codes=data.partition_codes,
            region_type=data.region_type,
            keyed=data.keyed,
        )
        return rate_clusters(clusters, totals, options=options)

    def rate_clusters(
        self,
        cells: pl.DataFrame,
        totals: pl.DataFrame,
        *,
        options: RatingOptions,
        benchmark: Benchmark | None = None,
    ) -> pl.DataFrame:
        """Measure and rate cluster cells."""
        return rate_clusters(cells, totals, options=options, benchmark=benchmark)

    def complexity(self, frame: pl.DataFrame, options: ComplexityOptions) -> ComplexityTable:
        """Every relatedness and complexity measure of a long table."""
        return complexity(frame, options)

    def fill_missing(
        self, cells: pl.DataFrame, method: FillMethod, *, industry_parent: ParentOf | None
    ) -> tuple[pl.DataFrame, FillReport]:
        """Missing and confidential cells filled, every year at once."""
        return fill_missing(cells, method, industry_parent=industry_parent)

    def register_cells(
        self, register: Register, places: pl.DataFrame, *, level: int, year: int
    ) -> RegisterCells:
        """Region x industry cells of an establishment register, in one streaming pass."""
        return register_cells(register, places, level=level, year=year)


POLARS_ENGINE = PolarsEngine()


def compute_engine(name: str, spark: SparkSettings | None = None) -> Engine:
    """The engine called ``name``; Spark is started (or connected to) on first use."""
    if name == "polars":
        return POLARS_ENGINE
    if name == "spark":
        return spark_engine(spark or SparkSettings())
    raise InvalidInput.single(
        f"expected one of {', '.join(ENGINE_NAMES)}", field="engine", value=name
    )


def spark_engine(settings: SparkSettings) -> SparkEngine:
    """The Spark engine, or a clear error naming the extra when pyspark is not installed."""
    try:
        from clusterhub.stats.spark.engine import SparkEngine  # noqa: PLC0415 - optional
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in SPARK_MODULES:
            raise  # our own code is broken: say so, not that pyspark is missing
        raise InvalidInput.single(
            f"the Spark engine needs {error.name}; {SPARK_INSTALL}", field="engine"
        ) from error
    return SparkEngine(settings)
