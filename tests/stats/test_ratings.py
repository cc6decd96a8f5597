"""Rating rules on frames small enough to check the R-7 quantiles by hand."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.stats.ratings import ECO_2007, StarCriterion, StarRules, eu_stars, us_strength


def _metrics(lq: list[float], emp: list[float], est: list[float | None]) -> pl.DataFrame:
    n = len(lq)
    return pl.DataFrame(
        {
            "region_code": [f"R{i}" for i in range(n)],
            "region_type": ["state"] * n,
            "cluster_code": ["1"] * n,
            "year": [2016] * n,
            "lq": lq,
            "employment": emp,
            "establishments": est,
        }
    )


def test_us_rule_uses_r7_quantiles_over_regions_with_employment() -> None:
    lq = [0.5, 0.8, 1.2, 1.5, 2.5, 3.0, 0.0]
    emp = [100.0, 200.0, 300.0, 400.0, 50.0, 600.0, 0.0]
    est = [10.0, 20.0, 30.0, 40.0, 5.0, 60.0, 0.0]
    out = us_strength(_metrics(lq, emp, est))
    present = slice(0, 6)
    q75 = float(np.quantile(lq[present], 0.75))  # R-7 is numpy's default (linear)
    e25 = float(np.quantile(emp[present], 0.25))
    s25 = float(np.quantile(est[present], 0.25))
    expected = [
        e > 0 and q >= q75 and e > e25 and s > s25 and q >= 1
        for q, e, s in zip(lq, emp, est, strict=True)
    ]
    assert out.get_column("strong").to_list() == expected
    # R4 has the top-quartile LQ but the smallest employment: not strong.
    assert expected == [False, False, False, False, False, True, False]


def test_missing_establishments_drop_that_condition_only_when_none_are_published() -> None:
    # R-7 75th percentile of the LQs is 3.25: only R2 (LQ 4) reaches it.
    lq = [0.5, 1.5, 4.0, 3.0]
    emp = [100.0, 200.0, 300.0, 400.0]
    without = us_strength(_metrics(lq, emp, [None] * 4))
    assert without.get_column("strong").to_list() == [False, False, True, False]
    # Once counts are published, an unknown count cannot pass the test.
    partial = us_strength(_metrics(lq, emp, [1.0, 2.0, None, 4.0]))
    assert partial.get_column("strong").to_list() == [False, False, False, False]


def test_untraded_clusters_are_not_rated() -> None:
    frame = _metrics([2.0, 3.0], [10.0, 20.0], [1.0, 2.0]).with_columns(
        traded=pl.Series([False, False])
    )
    assert us_strength(frame).get_column("strong").to_list() == [None, None]


def test_stars_count_only_criteria_with_data() -> None:
    frame = _metrics([2.5, 1.0, 0.5], [100.0, 50.0, 10.0], [None] * 3).with_columns(
        focus=pl.Series([0.2, 0.1, None])
    )
    out = eu_stars(frame, ECO_2007)
    assert out.get_column("star_specialisation").to_list() == [True, False, False]
    assert out.get_column("star_size").to_list() == [True, False, False]
    assert out.get_column("star_focus").to_list() == [True, False, None]
    assert out.get_column("stars").to_list() == [3, 0, 0]
    assert out.get_column("stars_possible").to_list() == [3, 3, 2]


def test_star_rules_are_validated() -> None:
    with pytest.raises(InvalidInput, match="threshold"):
        StarCriterion("size", "employment", "quantile", 1.5)
    with pytest.raises(InvalidInput, match="unique"):
        StarRules(
            (StarCriterion("a", "lq", "absolute", 1), StarCriterion("a", "lq", "absolute", 2))
        )
    with pytest.raises(InvalidInput, match="wage_per_employee"):
        eu_stars(_metrics([1.0], [1.0], [1.0]))
