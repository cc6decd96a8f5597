"""The pandas baseline computes what clusterhub computes, so the benchmark compares like with like.

Small SYNTHETIC instances (40 NUTS 3 regions x 615 NACE classes x 6 years, under a second):
the two implementations must give the same rows, floats to 1e-9 relative, ranks and flags
exactly. Speed is measured by ``benchmarks.bench_mapping``, never asserted here.
"""

from __future__ import annotations

import polars as pl
import pytest
from benchmarks.bench_mapping import disagreements, run_clusterhub, run_pandas
from benchmarks.pandas_baseline import to_pandas
from benchmarks.synthetic import SCALES, SyntheticData, generate

from clusterhub.stats.schema import INDUSTRY_CELLS


@pytest.fixture(scope="module")
def small() -> SyntheticData:
    return generate(SCALES["small"])


def _both(data: SyntheticData) -> list[str]:
    cells = to_pandas(data.cells)
    members = to_pandas(data.members)
    return disagreements(run_clusterhub(data), run_pandas(cells, members, data.partition_codes))


def test_baseline_agrees_with_clusterhub_on_generated_data(small: SyntheticData) -> None:
    assert _both(small) == []


def test_baseline_agrees_with_mixed_region_types_and_empty_clusters(small: SyntheticData) -> None:
    # NUTS 2 rows (sums of their NUTS 3 regions) make a second peer group per cluster and year;
    # one cluster blanked in one region-year (all its classes confidential) gives a null
    # cluster cell, and one zeroed gives a region without employment in that cluster.
    cells = small.cells
    nuts2 = cells.group_by(pl.col("region_code").str.head(4), "industry_code", "year").agg(
        pl.col("employment", "establishments", "wages").sum()
    )
    codes = small.members.filter(pl.col("cluster_code") == "syn07").get_column("code")
    regions = cells.get_column("region_code").unique().sort()
    blank = pl.col("industry_code").is_in(codes.implode()) & (pl.col("year") == 2021)
    edited = pl.concat([cells, nuts2], how="diagonal").with_columns(
        pl.when(blank & (pl.col("region_code") == regions[0]))
        .then(None)
        .when(blank & (pl.col("region_code") == regions[1]))
        .then(0.0)
        .otherwise(pl.col(m))
        .alias(m)
        for m in ("employment", "wages")
    )
    data = SyntheticData(
        edited, small.members, small.partition_codes, small.code_source, small.taxonomy_source
    )
    assert _both(data) == []


def test_disagreements_names_the_column_and_the_cell(small: SyntheticData) -> None:
    engine = run_clusterhub(small)
    baseline = run_pandas(
        to_pandas(small.cells),
        to_pandas(small.members),
        small.partition_codes,
    )
    row = int(baseline["lq"].first_valid_index())
    baseline.loc[row, "lq"] *= 1 + 1e-6
    baseline.loc[5, "strong"] = not baseline.loc[5, "strong"]
    problems = disagreements(engine, baseline)
    assert [p.split(":")[0] for p in problems] == ["lq", "strong"]
    assert "1 row(s) differ" in problems[0]


def test_generator_is_deterministic_and_shaped_like_the_contract(small: SyntheticData) -> None:
    again = generate(SCALES["small"])
    assert again.cells.equals(small.cells)
    assert again.members.equals(small.members)
    assert dict(small.cells.schema) == INDUSTRY_CELLS
    assert small.cells.height == 40 * 615 * 6
    shares = small.cells.select(
        zero=(pl.col("employment") == 0).mean(),
        confidential=pl.col("employment").is_null().mean(),
    ).row(0, named=True)
    assert 0.03 < shares["zero"] < 0.08
    assert 0.08 < shares["confidential"] < 0.12
    weights = small.members.group_by("code").agg(pl.col("weight").sum()).get_column("weight")
    assert small.members.get_column("cluster_code").n_unique() == 51
    assert weights.max() <= 1.0
    assert (weights < 1.0).any()
    assert small.members.get_column("code").is_duplicated().any()
