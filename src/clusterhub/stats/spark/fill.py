"""Missing and confidential cells filled on Spark, one task per year.

The parent-residual fill shares a parent's unexplained remainder among its missing children
within one year, so a year is its unit: each year goes to one task (``stats.spark.by_year``)
running ``stats.cells.fill_missing`` itself. The fill concerns published tables, whose
suppressed cells are a small region x industry grid per year; a register summed by Spark has
no suppressed cells and does not need it.
"""

from __future__ import annotations

import polars as pl
from pyspark.sql import DataFrame

from clusterhub.stats.cells import FillReport, ParentOf, fill_missing, merge_reports
from clusterhub.stats.schema import INDUSTRY_CELLS
from clusterhub.stats.spark.by_year import by_year, collect_years
from clusterhub.stats.vocabulary import FillMethod

#: The filled cells and, on each year's first row, that year's report as JSON.
FILLED = pl.Schema([*INDUSTRY_CELLS.items(), ("_report", pl.String())])


def fill_by_year(
    cells: DataFrame, method: FillMethod, industry_parent: ParentOf | None
) -> tuple[pl.DataFrame, FillReport]:
    """``fill_missing`` on each year's cells; the cells in key order and one merged report."""

    def fill(year: pl.DataFrame) -> pl.DataFrame:
        filled, report = fill_missing(year, method, industry_parent=industry_parent)
        first = pl.int_range(pl.len()) == 0
        return filled.with_columns(_report=pl.when(first).then(pl.lit(report.to_json())))

    table = collect_years(
        by_year(cells, fill, FILLED), ["year", "region_code", "industry_code"], "fill cells"
    )
    reports = [FillReport.from_json(r) for r in table.get_column("_report").drop_nulls()]
    return table.drop("_report"), merge_reports(reports)
