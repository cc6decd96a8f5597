"""Metrics on small hand-checkable frames: every expected number is worked out in the comment."""

from __future__ import annotations

import math

import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.stats.metrics import Benchmark, MetricOptions, compute_metrics


def _cells(rows: list[tuple[str, str, int, float | None]], **extra: list[float]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows, schema=["region_code", "cluster_code", "year", "employment"], orient="row"
    ).with_columns(region_type=pl.lit("nuts2"))
    return frame.with_columns(pl.Series(k, v) for k, v in extra.items())


def _totals(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["region_code", "year", "total_employment"], orient="row"
    ).with_columns(region_type=pl.lit("nuts2"))


def _one(frame: pl.DataFrame, region: str, cluster: str, year: int = 2015) -> dict[str, object]:
    return frame.filter(
        (pl.col("region_code") == region)
        & (pl.col("cluster_code") == cluster)
        & (pl.col("year") == year)
    ).row(0, named=True)


def test_lq_focus_and_size_follow_the_textbook_formulas() -> None:
    # Region A: 30 of 100 workers in cluster X; region B: 10 of 300.
    # Reference: X has 40 of 400 workers -> 0.1.  LQ_A = 0.3 / 0.1 = 3; LQ_B = (1/30) / 0.1.
    cells = _cells([("A", "X", 2015, 30.0), ("B", "X", 2015, 10.0)])
    out = compute_metrics(cells, _totals([("A", 2015, 100.0), ("B", 2015, 300.0)]))
    a, b = _one(out, "A", "X"), _one(out, "B", "X")
    assert a["lq"] == pytest.approx(3.0)
    assert b["lq"] == pytest.approx(1 / 3)
    assert a["focus"] == pytest.approx(0.3)
    assert a["size_share"] == pytest.approx(0.75)
    assert (a["emp_rank"], b["emp_rank"]) == (1, 2)
    assert (a["emp_percentile"], b["emp_percentile"]) == (100.0, 50.0)


def test_benchmark_replaces_the_sum_over_present_regions() -> None:
    # The nation has 1,000 workers, 50 of them in X: LQ_A = 0.3 / 0.05 = 6.
    cells = _cells([("A", "X", 2015, 30.0), ("B", "X", 2015, 10.0)])
    benchmark = Benchmark(
        clusters=pl.DataFrame({"cluster_code": ["X"], "year": [2015], "employment": [50.0]}),
        totals=pl.DataFrame({"year": [2015], "total_employment": [1000.0]}),
    )
    out = compute_metrics(
        cells, _totals([("A", 2015, 100.0), ("B", 2015, 300.0)]), benchmark=benchmark
    )
    assert _one(out, "A", "X")["lq"] == pytest.approx(6.0)
    assert _one(out, "A", "X")["size_share"] == pytest.approx(0.6)


def test_growth_is_compound_annual_over_the_period() -> None:
    # 100 -> 121 in two years is 10 % a year.
    cells = _cells([("A", "X", 2013, 100.0), ("A", "X", 2015, 121.0)])
    totals = _totals([("A", 2013, 500.0), ("A", 2015, 500.0)])
    out = compute_metrics(cells, totals, options=MetricOptions(growth_years=2))
    assert _one(out, "A", "X", 2015)["growth"] == pytest.approx(0.10)
    assert _one(out, "A", "X", 2015)["employment_change"] == pytest.approx(21.0)
    assert _one(out, "A", "X", 2013)["growth"] is None


def test_zero_and_missing_values_give_null_not_nan_or_inf() -> None:
    cells = _cells(
        [("A", "X", 2015, 0.0), ("B", "X", 2015, None), ("C", "X", 2015, 5.0)],
        wages=[0.0, 10.0, 50.0],
    )
    out = compute_metrics(cells, _totals([("A", 2015, 0.0), ("B", 2015, 10.0), ("C", 2015, 10.0)]))
    for column in ("lq", "focus", "wage_per_employee"):
        values = out.get_column(column).drop_nulls().to_list()
        assert all(math.isfinite(v) for v in values), column
    assert _one(out, "A", "X")["lq"] is None
    assert _one(out, "A", "X")["emp_rank"] is None
    assert _one(out, "C", "X")["wage_per_employee"] == pytest.approx(10.0)


def test_peer_groups_are_per_region_type() -> None:
    # A country and its region must not be ranked against each other.
    cells = pl.DataFrame(
        {
            "region_code": ["AT", "AT1"],
            "region_type": ["nuts0", "nuts1"],
            "cluster_code": ["X", "X"],
            "year": [2015, 2015],
            "employment": [100.0, 40.0],
        }
    )
    totals = pl.DataFrame(
        {
            "region_code": ["AT", "AT1"],
            "region_type": ["nuts0", "nuts1"],
            "year": [2015, 2015],
            "total_employment": [1000.0, 200.0],
        }
    )
    out = compute_metrics(cells, totals)
    assert out.get_column("emp_rank").to_list() == [1, 1]
    assert out.get_column("lq").to_list() == pytest.approx([1.0, 1.0])


def test_duplicate_keys_are_refused_with_the_key_named() -> None:
    cells = _cells([("A", "X", 2015, 1.0), ("A", "X", 2015, 2.0)])
    with pytest.raises(InvalidInput, match="region_code=A, cluster_code=X, year=2015"):
        compute_metrics(cells, _totals([("A", 2015, 10.0)]))


def test_traded_denominator_needs_traded_totals() -> None:
    cells = _cells([("A", "X", 2015, 1.0)])
    with pytest.raises(InvalidInput, match="traded_employment"):
        compute_metrics(
            cells, _totals([("A", 2015, 10.0)]), options=MetricOptions(denominator="traded")
        )


def test_bad_options_are_refused() -> None:
    with pytest.raises(InvalidInput, match="growth_years"):
        MetricOptions(growth_years=0)
