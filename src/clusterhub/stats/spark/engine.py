"""The Spark engine: Polars frames in, the same definitions run by Spark, Polars frames out."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import polars as pl
from pyspark.sql import DataFrame, SparkSession

from clusterhub.stats.cells import FillReport, ParentOf
from clusterhub.stats.complexity import (
    OUTPUT_COLUMNS,
    ComplexityOptions,
    ComplexityTable,
    activity_notes,
    checked_values,
)
from clusterhub.stats.engines import MapInput, SparkSettings
from clusterhub.stats.mapping import RatingOptions, rate_clusters
from clusterhub.stats.metrics import (
    Benchmark,
    benchmark_references,
    checked_inputs,
    published_shares,
)
from clusterhub.stats.registers.cells import Register, RegisterCells
from clusterhub.stats.schema import CLUSTER_CELLS, INDUSTRY_CELLS, REGION_TOTALS, conform
from clusterhub.stats.spark import mapping
from clusterhub.stats.spark.complexity import complexity_by_year
from clusterhub.stats.spark.dialect import SPARK
from clusterhub.stats.spark.fill import fill_by_year
from clusterhub.stats.spark.frames import conform_spark, to_polars, to_spark
from clusterhub.stats.spark.registers import spark_register_cells
from clusterhub.stats.spark.session import spark_session
from clusterhub.stats.vocabulary import EngineName, FillMethod

#: Output order of every rated table, as the Polars engine returns it.
ORDER = ("year", "cluster_code", "region_code")


class SparkEngine:
    """The observatory's definitions run by Spark (``stats.engines`` documents the seam)."""

    name: EngineName = "spark"

    def __init__(self, settings: SparkSettings) -> None:
        self.settings = settings

    @cached_property
    def session(self) -> SparkSession:
        """Started (or connected to) on first use, so that choosing the engine is free."""
        return spark_session(self.settings)

    def map_clusters(self, data: MapInput, options: RatingOptions) -> pl.DataFrame:
        """Aggregate, measure and rate in one Spark plan; only the result is collected."""
        cells = self._cells(data.cells)
        clusters, totals = mapping.aggregate_to_clusters(
            cells,
            self._members(data.members),
            partition_codes=data.partition_codes,
            region_type=data.region_type,
            keyed=None if data.keyed is None else to_spark(self.session, data.keyed),
        )
        rated = mapping.rate_clusters(
            clusters.withColumns(published_shares(SPARK)),
            mapping.region_denominators(totals, options.metrics.denominator),
            options=options,
        )
        empty = (pl.DataFrame(schema=CLUSTER_CELLS), pl.DataFrame(schema=REGION_TOTALS))
        return self._collect(rated, rate_clusters(*empty, options=options).schema)

    def rate_clusters(
        self,
        cells: pl.DataFrame,
        totals: pl.DataFrame,
        *,
        options: RatingOptions,
        benchmark: Benchmark | None = None,
    ) -> pl.DataFrame:
        """Measure and rate cluster cells, checked first as the Polars engine checks them."""
        base, region_totals = checked_inputs(cells, totals, options.metrics.denominator)
        reference = None
        if benchmark is not None:
            clusters, national = benchmark_references(benchmark, options.metrics.denominator)
            reference = (to_spark(self.session, clusters), to_spark(self.session, national))
        rated = mapping.rate_clusters(
            to_spark(self.session, base),
            to_spark(self.session, region_totals),
            options=options,
            reference=reference,
        )
        schema = rate_clusters(cells.clear(), totals.clear(), options=options).schema
        return self._collect(rated, schema)

    def complexity(self, frame: pl.DataFrame, options: ComplexityOptions) -> ComplexityTable:
        """Checked as the Polars engine checks, then one Spark task per year."""
        data = checked_values(frame)
        table = complexity_by_year(to_spark(self.session, data), options)
        codes = {
            name: pl.Enum(sorted(data.get_column(name).unique().to_list()))
            for name in ("region", "industry")
        }
        table = table.select(OUTPUT_COLUMNS).cast(codes)  # type: ignore[arg-type]
        return ComplexityTable(table, activity_notes(table))

    def fill_missing(
        self, cells: pl.DataFrame, method: FillMethod, *, industry_parent: ParentOf | None
    ) -> tuple[pl.DataFrame, FillReport]:
        """Missing cells filled year by year, one Spark task per year."""
        conformed = conform(cells, INDUSTRY_CELLS, what="industry cells")
        return fill_by_year(to_spark(self.session, conformed), method, industry_parent)

    def register_cells(
        self, register: Register, places: pl.DataFrame, *, level: int, year: int
    ) -> RegisterCells:
        """Region x industry cells of an establishment register, read and summed by Spark."""
        return spark_register_cells(self.session, register, places, level=level, year=year)

    def _cells(self, cells: pl.DataFrame | Path) -> DataFrame:
        if isinstance(cells, Path):
            read = self.session.read.parquet(str(cells))
            return conform_spark(read, INDUSTRY_CELLS, what=f"industry cells {cells}")
        return to_spark(self.session, conform(cells, INDUSTRY_CELLS, what="industry cells"))

    def _members(self, members: pl.DataFrame) -> DataFrame:
        typed = members.select(
            pl.col("cluster_code").cast(pl.String), pl.col("code"), pl.col("weight")
        )
        return to_spark(self.session, typed.cast({"weight": pl.Float64}))

    def _collect(self, rated: DataFrame, schema: pl.Schema) -> pl.DataFrame:
        return to_polars(rated.orderBy(*ORDER), schema)
