"""The scoreboard engine on small frames: normalisation, composites, peers, bottlenecks, and the
degenerate inputs that must give defined results (never NaN)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from clusterhub.stats.scoreboard import (
    PeerOptions,
    ScoreOptions,
    apply_country_values,
    composites,
    default_peers,
    latest,
    normalise,
    scorecard,
)

CATALOGUE = pl.DataFrame(
    {
        "indicator": ["up1", "up2", "down", "k3", "k4", "nat"],
        "dimension": ["d1", "d1", "d1", "d1", "d2", "d2"],
        "subdimension": ["a", "a", "b", "b", "c", "c"],
        "direction": [1, 1, -1, 1, 1, 1],
        "level": ["region"] * 5 + ["country"],
    },
    schema_overrides={"direction": pl.Int8},
)


def values(
    rows: list[tuple[str, str, float]], *, year: int = 2020, national: bool = False
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region_code": [r for r, _, _ in rows],
            "indicator": [i for _, i, _ in rows],
            "year": [year] * len(rows),
            "value": [v for _, _, v in rows],
            "country_level": [national] * len(rows),
        },
        schema={"region_code": pl.String, "indicator": pl.String, "year": pl.Int32,
                "value": pl.Float64, "country_level": pl.Boolean},
    )  # fmt: skip


def scores(frame: pl.DataFrame, indicator: str) -> dict[str, float]:
    rows = frame.filter(pl.col("indicator") == indicator).select("region_code", "score").rows()
    return dict(rows)


def test_minmax_spans_0_to_100_and_flips_lower_is_better() -> None:
    frame = values([("AT11", "up1", 1.0), ("AT12", "up1", 3.0), ("AT13", "up1", 2.0),
                    ("AT11", "down", 10.0), ("AT12", "down", 30.0)])  # fmt: skip
    scored = normalise(frame, CATALOGUE)
    assert scores(scored, "up1") == {"AT11": 0.0, "AT12": 100.0, "AT13": 50.0}
    assert scores(scored, "down") == {"AT11": 100.0, "AT12": 0.0}


def test_all_equal_values_and_a_single_region_score_the_middle_not_nan() -> None:
    frame = values([("AT11", "up1", 4.0), ("AT12", "up1", 4.0), ("AT11", "up2", 7.0)])
    for method, middle in (("minmax", 50.0), ("zscore", 0.0)):
        scored = normalise(frame, CATALOGUE, method)  # type: ignore[arg-type]
        assert scored["score"].to_list() == [middle] * 3
        assert not scored["score"].is_nan().any()


def test_zscore_is_population_standardised_with_direction() -> None:
    frame = values([("AT11", "down", 1.0), ("AT12", "down", 3.0)])
    assert scores(normalise(frame, CATALOGUE, "zscore"), "down") == {"AT11": 1.0, "AT12": -1.0}


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        normalise(values([("AT11", "up1", 1.0)]), CATALOGUE, "rank")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_coverage"):
        ScoreOptions(min_coverage=0.0)


def test_latest_year_of_each_region_and_indicator_is_kept() -> None:
    frame = pl.concat(
        [values([("AT11", "up1", 1.0)], year=2018), values([("AT11", "up1", 9.0)], year=2021)]
    )
    assert latest(frame)["value"].to_list() == [9.0]


def test_country_values_are_copied_to_the_regions_of_that_country_only() -> None:
    frame = pl.concat(
        [
            values([("AT", "nat", 5.0), ("DE", "nat", 7.0)], national=True),
            values([("AT11", "k4", 1.0)]),
        ]
    )
    applied = apply_country_values(frame, ["AT11", "AT12", "FR10"])
    nat = applied.filter(pl.col("indicator") == "nat").sort("region_code")
    assert nat.select("region_code", "value", "country_level").rows() == [
        ("AT11", 5.0, True),
        ("AT12", 5.0, True),
    ]
    assert applied.filter(pl.col("indicator") == "k4")["country_level"].to_list() == [False]


def test_dimension_is_the_mean_of_its_subdimensions_with_a_coverage_rule() -> None:
    frame = values([
        ("AT11", "up1", 0.0), ("AT12", "up1", 10.0),   # sub a
        ("AT11", "up2", 10.0), ("AT12", "up2", 0.0),   # sub a
        ("AT11", "k3", 10.0), ("AT12", "k3", 0.0),     # sub b
        ("AT12", "down", 1.0), ("AT13", "down", 2.0),  # sub b, AT11 lacks it
        ("AT13", "up1", 5.0),
    ])  # fmt: skip
    scored = normalise(frame, CATALOGUE)
    subs, dims = composites(scored, CATALOGUE, ["AT11", "AT13"], min_coverage=0.5)
    at11 = dims.filter(pl.col("region_code") == "AT11").rows_by_key("dimension", named=True)
    # AT11: sub a = mean(0, 100) = 50, sub b = k3 100 -> dimension 75 (not the indicator mean 66.7)
    assert at11["d1"][0]["score"] == pytest.approx(75.0)
    assert (at11["d1"][0]["available"], at11["d1"][0]["in_use"]) == (3, 4)
    assert at11["d2"][0]["score"] is None
    assert at11["d2"][0]["reason"] == "no indicator of this dimension is loaded"
    at13 = dims.filter(pl.col("region_code") == "AT13").rows_by_key("dimension", named=True)
    # AT13: 2 of 4 indicators (exactly the 50 % minimum): sub a = up1 50, sub b = down 0
    assert at13["d1"][0]["score"] == pytest.approx(25.0)
    assert at13["d1"][0]["reason"] is None
    assert subs.filter(pl.col("region_code") == "AT11").height == 2


def test_coverage_below_the_minimum_gives_null_with_a_reason() -> None:
    frame = values([("AT11", "up1", 1.0), ("AT12", "up1", 2.0), ("AT12", "up2", 1.0),
                    ("AT12", "k3", 1.0), ("AT12", "down", 1.0)])  # fmt: skip
    _subs, dims = composites(normalise(frame, CATALOGUE), CATALOGUE, ["AT11", "AT99"])
    at11 = dims.filter((pl.col("region_code") == "AT11") & (pl.col("dimension") == "d1")).row(
        0, named=True
    )
    assert at11["score"] is None
    assert at11["reason"] == "only 1 of 4 indicators in use have a value (at least 50% needed)"
    absent = dims.filter((pl.col("region_code") == "AT99") & (pl.col("dimension") == "d1")).row(
        0, named=True
    )
    assert absent["reason"] == "no indicator value for this region"


def portfolio(rows: dict[str, tuple[float, float, float]]) -> pl.DataFrame:
    """Region -> employment in clusters c1, c2, c3; total = their sum."""
    return pl.DataFrame(
        [(r, f"c{i + 1}", e, sum(v)) for r, v in rows.items() for i, e in enumerate(v)],
        schema={"region_code": pl.String, "cluster_code": pl.String, "employment": pl.Float64,
                "total": pl.Float64},
        orient="row",
    )  # fmt: skip


def test_default_peers_follow_the_documented_distance() -> None:
    frame = portfolio({
        "AT11": (10.0, 10.0, 0.0),
        "AT12": (40.0, 40.0, 0.0),   # same mix, 4x the size
        "AT13": (10.0, 10.0, 0.0),   # same mix, same size
        "AT21": (0.0, 0.0, 20.0),    # another mix entirely
        "AT22": (0.0, 0.0, 0.0),     # no employment: never a peer
    })  # fmt: skip
    peers = default_peers(frame, "AT11", options=PeerOptions(k=5, size_weight=0.1))
    assert peers["region_code"].to_list() == ["AT13", "AT12", "AT21"]
    distance = dict(peers.select("region_code", "distance").rows())
    assert distance["AT13"] == pytest.approx(0.0)
    assert distance["AT12"] == pytest.approx(0.1 * math.log2(4))
    assert distance["AT21"] == pytest.approx(1.0)
    assert default_peers(frame, "AT11", candidates=["AT12"])["region_code"].to_list() == ["AT12"]
    assert default_peers(frame, "AT22").is_empty()  # nothing to compare: no peers, no error
    assert default_peers(frame, "ZZ99").is_empty()


def card_values() -> pl.DataFrame:
    region_rows = [
        (code, "up1", v1) for code, v1 in
        (("AT11", 0.0), ("AT12", 60.0), ("AT13", 70.0), ("DE11", 80.0), ("DE12", 100.0))
    ] + [(code, "k4", 50.0) for code in ("AT11", "AT12", "AT13", "DE11", "DE12")]  # fmt: skip
    national = values([("AT", "nat", 1.0), ("DE", "nat", 5.0)], national=True)
    return pl.concat([values(region_rows), national])


def test_a_dimension_far_below_the_peer_median_is_a_bottleneck_with_its_drivers() -> None:
    card = scorecard(
        card_values(), CATALOGUE, region="AT11",
        regions=["AT11", "AT12", "AT13", "DE11", "DE12"], peers=["AT12", "DE11", "DE12"],
    )  # fmt: skip
    verdict = card.assessment.rows_by_key("dimension", named=True)
    d1 = verdict["d1"][0]
    assert d1["bottleneck"] is True and d1["drivers"] == ["up1"] and not d1["country_level_only"]
    assert d1["gap"] == pytest.approx(0.0 - 80.0)
    # d2: k4 ties everywhere (50); "nat" is the country's value: AT 0, DE 100 -> AT11 is
    # below its (mostly German) peers only through a country-level value.
    d2 = verdict["d2"][0]
    assert d2["bottleneck"] is True and d2["drivers"] == ["nat"] and d2["country_level_only"]
    assert card.compared == 5
    assert not card.dimensions["score"].is_nan().any()


def test_too_few_or_no_peers_leave_the_dimension_unassessed() -> None:
    regions = ["AT11", "AT12", "AT13", "DE11", "DE12"]
    few = scorecard(card_values(), CATALOGUE, region="AT11", regions=regions, peers=["AT12"])
    row = few.assessment.row(0, named=True)
    assert row["bottleneck"] is None
    assert row["note"] == "not assessed: 1 peer(s) have a score, at least 3 needed"
    alone = scorecard(card_values(), CATALOGUE, region="AT11", regions=["AT11"], peers=[])
    assert alone.assessment["note"].to_list()[0] == "not assessed: no peers"
    # Alone at its level: every indicator ties, so the region scores the middle of the scale.
    assert alone.indicators["score"].to_list() == [50.0, 50.0, 50.0]


def test_a_region_without_values_gets_reasons_not_numbers() -> None:
    card = scorecard(
        card_values(), CATALOGUE, region="FR10", regions=["AT11", "FR10"], peers=["AT11"]
    )
    assert card.indicators.is_empty()
    assert card.assessment["score"].null_count() == 2
    assert (
        card.assessment["note"].to_list()
        == ["not assessed: no indicator value for this region"] * 2
    )


def test_no_values_at_all_still_gives_a_defined_scorecard() -> None:
    card = scorecard(values([]), CATALOGUE, region="AT11", regions=["AT11"], peers=["AT12"])
    assert card.compared == 0 and card.indicators.is_empty()
    assert card.assessment["bottleneck"].to_list() == [None, None]


@pytest.mark.parametrize("method", ["minmax", "zscore"])
def test_extreme_finite_values_score_without_overflow_and_non_finite_ones_are_null(
    method: str,
) -> None:
    frame = values([("AT11", "up1", 1e308), ("AT12", "up1", -1e308), ("AT13", "up1", 0.0),
                    ("AT21", "up1", math.inf), ("AT22", "up1", math.nan)])  # fmt: skip
    scored = normalise(frame, CATALOGUE, method)  # type: ignore[arg-type]
    got = scores(scored, "up1")
    finite = {k: v for k, v in got.items() if v is not None}
    assert set(finite) == {"AT11", "AT12", "AT13"}
    assert all(math.isfinite(v) for v in finite.values())
    expected = {"AT11": 100.0, "AT12": 0.0, "AT13": 50.0} if method == "minmax" else {
        "AT11": math.sqrt(1.5), "AT12": -math.sqrt(1.5), "AT13": 0.0}  # fmt: skip
    assert finite == pytest.approx(expected, rel=1e-12)
    notes = dict(scored.filter(pl.col("score").is_null()).select("region_code", "note").rows())
    assert set(notes) == {"AT21", "AT22"} and "not a finite number" in notes["AT21"]
    _subs, dims = composites(scored, CATALOGUE, ["AT21", "AT11"])
    assert dims.filter(pl.col("region_code") == "AT21")["available"].to_list() == [0, 0]


def test_zscore_dimension_scores_are_in_standard_deviations_of_the_dimension() -> None:
    # Two indicators in two sub-dimensions of d1, correlated 0: a plain mean of their z-scores
    # has sd 1/sqrt(2), so "0.5 sd" would mean 0.35 sd; the dimension is standardised again.
    regions = ["AT11", "AT12", "AT13", "AT14"]
    up1, k3 = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 1.0, 3.0]
    frame = values([(r, "up1", v) for r, v in zip(regions, up1, strict=True)]
                   + [(r, "k3", v) for r, v in zip(regions, k3, strict=True)])  # fmt: skip
    card = scorecard(frame, CATALOGUE, region="AT11", regions=regions, peers=regions[1:],
                     options=ScoreOptions(method="zscore", min_peers=1))  # fmt: skip
    d1 = card.dimensions.filter(pl.col("dimension") == "d1")["score"]
    assert d1.len() == 4
    assert d1.mean() == pytest.approx(0.0, abs=1e-12)
    assert d1.std(ddof=0) == pytest.approx(1.0, rel=1e-12)
