"""One definition, two engines: Polars and Spark give the same rows and values.

Floats agree to 1e-9 (relative), ranks, flags and star counts exactly, and the columns have the
same names, order and types; on the real EU SBS and U.S. CMP inputs, through the whole
``build_cluster_map`` path, and on a multi-year synthetic instance so that growth, dynamism
stars and keyed apportioning are compared too.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from benchmarks.synthetic import SCALES, Scale, generate
from polars.testing import assert_frame_equal
from tests.register_files import sirene, write

from clusterhub.errors import InvalidInput
from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
from clusterhub.services.observatory.complexity import complexity_of_sbs
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.complexity import ComplexityOptions
from clusterhub.stats.engines import POLARS_ENGINE, Engine, MapInput, compute_engine
from clusterhub.stats.mapping import RatingOptions, nuts_region_type
from clusterhub.stats.metrics import MetricOptions
from clusterhub.stats.registers.cells import Register
from clusterhub.stats.registers.layouts import GenericLayout
from clusterhub.stats.registers.places import read_places
from clusterhub.stats.sources import read_sbs_csv

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

#: A small synthetic instance (12 NUTS 3 regions x 615 classes x 6 years): Spark's cost is
#: per stage, not per row, so more rows would only slow the suite.
TINY = Scale(regions=12, years=6)


def assert_identical(polars: pl.DataFrame, spark: pl.DataFrame) -> None:
    """Same columns and types, same rows in the same order; floats to 1e-9 relative."""
    assert polars.height > 0
    assert_frame_equal(polars, spark, rel_tol=1e-9, abs_tol=0.0)


@pytest.mark.parametrize("source", ["eurostat-sbs", "cmp-states"])
def test_real_inputs_map_identically(
    source: str, reference: ReferenceData, spark_engine: Engine
) -> None:
    request = MapRequest(source=source)  # type: ignore[arg-type]
    polars = build_cluster_map(request, reference).table
    spark = build_cluster_map(request, reference, spark_engine).table
    assert_identical(polars, spark)
    # The comparison saw ratings, not only blanks: some cells are strong, some have stars.
    assert polars.get_column("strong").sum() > 0
    assert polars.get_column("stars").max() > 0  # type: ignore[operator]


def test_growth_dynamism_and_keyed_weights_identical(spark_engine: Engine) -> None:
    data = generate(TINY)
    # Country keys for the first cluster's codes: a different weight in each country.
    first = data.members.filter(pl.col("cluster_code") == pl.col("cluster_code").min())
    keyed = pl.concat(
        first.select("cluster_code", "code", pl.lit(share).alias("weight")).with_columns(
            country=pl.lit(country)
        )
        for country, share in (("DE", 0.25), ("FR", 0.625))
    )
    mapped = MapInput(
        data.cells,
        data.members,
        partition_codes=data.partition_codes,
        region_type=nuts_region_type,
        keyed=keyed,
    )
    options = RatingOptions(metrics=MetricOptions(growth_years=3))
    polars = POLARS_ENGINE.map_clusters(mapped, options)
    spark = spark_engine.map_clusters(mapped, options)
    assert_identical(polars, spark)
    assert polars.get_column("growth").is_not_null().sum() > 0
    assert polars.get_column("star_dynamism").sum() > 0


def test_unknown_engine_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="expected one of polars, spark") as error:
        compute_engine("duckdb")
    assert error.value.problems[0].field == "engine"


def test_complexity_of_real_sbs_identical(reference: ReferenceData, spark_engine: Engine) -> None:
    polars = complexity_of_sbs(reference, "nuts2")
    spark = complexity_of_sbs(reference, "nuts2", engine=spark_engine)
    assert_identical(polars.table, spark.table)
    assert spark.notes == polars.notes
    assert polars.table.get_column("eci").is_not_null().sum() > 100


def test_complexity_over_years_identical(spark_engine: Engine) -> None:
    frame = _value_table()
    options = ComplexityOptions(rca_threshold=1.5)
    polars = POLARS_ENGINE.complexity(frame, options)
    spark = spark_engine.complexity(frame, options)
    assert_identical(polars.table, spark.table)
    assert polars.table.get_column("year").n_unique() == 6
    # A threshold above 1 leaves some regions or industries without specialisation: noted.
    assert spark.notes == polars.notes


def test_a_degenerate_year_is_named_by_both_engines(spark_engine: Engine) -> None:
    good = _value_table().filter(pl.col("year") == pl.col("year").min())
    year = int(good.get_column("year").max()) + 1  # type: ignore[arg-type]
    lonely = good.filter(pl.col("region") == pl.col("region").min()).with_columns(
        year=pl.lit(year, pl.Int32)
    )
    frame = pl.concat([good, lonely])
    for engine in (POLARS_ENGINE, spark_engine):
        with pytest.raises(InvalidInput, match=f"year {year}: complexity needs at least 2 regions"):
            engine.complexity(frame, ComplexityOptions())


def _value_table() -> pl.DataFrame:
    """Six years of synthetic NUTS 3 x NACE class employment as a long value table."""
    cells = generate(SCALES["small"]).cells.filter(pl.col("employment") > 0)
    return cells.select(
        region="region_code", industry="industry_code", year="year", value="employment"
    )


def test_cells_read_from_parquet_map_as_the_frame_does(
    tmp_path: Path, spark_engine: Engine
) -> None:
    data = generate(TINY)
    path = tmp_path / "cells.parquet"
    data.cells.write_parquet(path)
    in_memory = MapInput(
        data.cells, data.members, partition_codes=data.partition_codes, region_type="nuts3"
    )
    from_file = replace(in_memory, cells=path)
    options = RatingOptions()
    expected = POLARS_ENGINE.map_clusters(in_memory, options)
    assert_identical(expected, POLARS_ENGINE.map_clusters(from_file, options))
    assert_identical(expected, spark_engine.map_clusters(from_file, options))


def test_a_parquet_file_without_the_key_columns_is_refused(
    tmp_path: Path, spark_engine: Engine
) -> None:
    path = tmp_path / "cells.parquet"
    pl.DataFrame({"region_code": ["DE1"], "employment": [1.0]}).write_parquet(path)
    data = MapInput(path, pl.DataFrame(), partition_codes=["10"], region_type="nuts1")
    with pytest.raises(InvalidInput, match="lacks required column"):
        spark_engine.map_clusters(data, RatingOptions())


def test_registers_place_and_count_identically(tmp_path: Path, spark_engine: Engine) -> None:
    register = sirene(tmp_path)
    lines = ["NUTS 3 CODE;LAU CODE", "FR101;75056", "FRK26;69123"]
    places = read_places(write(tmp_path / "lau.csv", lines))
    polars = POLARS_ENGINE.register_cells(register, places, level=3, year=2021)
    spark = spark_engine.register_cells(register, places, level=3, year=2021)
    assert_identical(polars.cells, spark.cells)
    assert spark.placement == polars.placement


def test_generic_register_identical_and_errors_named_by_line(
    tmp_path: Path, spark_engine: Engine
) -> None:
    lines = ["NUTS 3 CODE;LAU CODE", "FR101;75056", "FRK26;69123"]
    places = read_places(write(tmp_path / "lau.csv", lines))
    rows = ["id,activity,location,employees,band", "a,6201,75056,12,", "b,62.01,69123,,10-19"]
    good = Register(write(tmp_path / "g.csv", rows), "generic", GenericLayout())
    polars = POLARS_ENGINE.register_cells(good, places, level=2, year=2023)
    assert_identical(
        polars.cells, spark_engine.register_cells(good, places, level=2, year=2023).cells
    )
    bad = Register(write(tmp_path / "b.csv", [*rows, "c,62.01,69123,,lots"]), "generic")
    with pytest.raises(InvalidInput, match="'lots'") as error:
        spark_engine.register_cells(bad, places, level=3, year=2023)
    assert (error.value.problems[0].line, error.value.problems[0].field) == (4, "band")


def test_missing_cells_fill_identically_year_by_year(
    reference: ReferenceData, shared_data: Path, spark_engine: Engine
) -> None:
    # The real SBS 2015 cells and, as a second year, the same cells scaled (a made-up 2014).
    real, _ = read_sbs_csv(shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv")
    earlier = real.with_columns(year=pl.col("year") - 1, employment=pl.col("employment") * 0.9)
    cells = pl.concat([real, earlier])
    assert cells.get_column("employment").null_count() > 0
    keys = ["year", "region_code", "industry_code"]
    parent = reference.nace.parent
    polars, polars_report = POLARS_ENGINE.fill_missing(
        cells, "parent-residual", industry_parent=parent
    )
    spark, spark_report = spark_engine.fill_missing(
        cells, "parent-residual", industry_parent=parent
    )
    assert_identical(polars.sort(keys), spark)
    assert spark_report == polars_report
    assert polars_report.total_filled > 0
