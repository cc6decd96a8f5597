"""The complexity engine against the Harvard Growth Lab's ``ecomplexity`` (the reference), to 1e-9.

Real data: Eurostat SBS employment by NUTS 1 and NUTS 2 region x NACE division (the mirror),
and the U.S. Cluster Mapping Project's state x cluster employment. Small hand-made matrices
pin down the degenerate cases the reference fills with NaN.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from ecomplexity import ecomplexity
from tests.shipped import shipped

from clusterhub.errors import InvalidInput
from clusterhub.stats.complexity import (
    OUTPUT_COLUMNS,
    ComplexityOptions,
    complexity,
    revealed_advantage,
    second_eigenvector,
)
from clusterhub.stats.sources import read_cmp_states, read_sbs_csv

TOLERANCE = 1e-9
MEASURES = ("rca", "mcp", "diversity", "ubiquity", "density", "eci", "pci", "coi", "cog")


def reference(frame: pl.DataFrame, **options: object) -> pl.DataFrame:
    """``ecomplexity`` on the same long table, as a Polars frame keyed like ours."""
    data = pd.DataFrame(frame.to_dict(as_series=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(
            data,
            {"time": "year", "loc": "region", "prod": "industry", "val": "value"},
            verbose=False,
            check_logsupermodularity=False,
            **options,
        )
    return pl.DataFrame(out.to_dict("list"), strict=False).with_columns(
        pl.col("year").cast(pl.Int32)
    )


def assert_agrees(ours: pl.DataFrame, theirs: pl.DataFrame) -> None:
    keys = ["region", "industry", "year"]
    mine = ours.with_columns(pl.col("region", "industry").cast(pl.String))
    joined = mine.join(theirs, on=keys, how="full", suffix="_ref", coalesce=True)
    assert joined.height == ours.height == theirs.height
    for measure in MEASURES:
        diff = joined.select(
            (pl.col(measure).cast(pl.Float64) - pl.col(f"{measure}_ref").cast(pl.Float64))
            .abs()
            .max()
        ).item()
        assert diff is not None, measure
        assert diff <= TOLERANCE, f"{measure} differs by {diff}"


@pytest.fixture(scope="module")
def sbs(shared_data: Path) -> pl.DataFrame:
    """SBS 2015 employment, NACE divisions, every region level, reported cells only."""
    cells, _ = read_sbs_csv(shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv")
    return cells.filter(
        pl.col("industry_code").str.contains(r"^\d\d$") & pl.col("employment").is_not_null()
    ).select(
        region=pl.col("region_code"),
        industry=pl.col("industry_code"),
        year="year",
        value=pl.col("employment"),
    )


@pytest.mark.parametrize("level", [3, 4])
@pytest.mark.parametrize("continuous", [False, True])
def test_agrees_with_ecomplexity_on_eurostat_regions(
    sbs: pl.DataFrame, level: int, continuous: bool
) -> None:
    frame = sbs.filter(pl.col("region").str.len_chars() == level)
    assert frame.get_column("region").n_unique() > 80
    ours = complexity(frame, ComplexityOptions(continuous=continuous)).table
    assert_agrees(ours, reference(frame, continuous=continuous))


def test_agrees_with_ecomplexity_on_us_states_over_clusters() -> None:
    states = read_cmp_states(shipped("cmp-states"))
    frame = states.cells.filter(pl.col("employment").is_not_null()).select(
        region=pl.col("region_code"),
        industry=pl.col("cluster_code"),
        year="year",
        value=pl.col("employment"),
    )
    ours = complexity(frame).table
    assert_agrees(ours, reference(frame))


def test_agrees_with_ecomplexity_over_several_years_and_a_higher_threshold(
    sbs: pl.DataFrame,
) -> None:
    nuts2 = sbs.filter(pl.col("region").str.len_chars() == 4)
    rng = np.random.default_rng(7)
    years = [
        nuts2.with_columns(
            year=pl.lit(2015 + k, dtype=pl.Int32),
            value=(pl.col("value") * rng.lognormal(0, 0.3, nuts2.height)).round(0),
        )
        for k in range(3)
    ]
    frame = pl.concat(years)
    ours = complexity(frame, ComplexityOptions(rca_threshold=1.25)).table
    assert ours.get_column("year").unique().sort().to_list() == [2015, 2016, 2017]
    assert_agrees(ours, reference(frame, rca_mcp_threshold=1.25))


def _degenerate_in_reference(theirs: pl.DataFrame | None, message: str) -> bool:
    """Whether the reference shows the degeneracy clusterhub refused for: no numbers at all,
    or an ECI whose sign is noise (uncorrelated with diversity), or no spread."""
    if theirs is None or not theirs.select(pl.col("eci").is_finite().all()).item():
        return True
    regions = theirs.group_by("region").agg(pl.col("eci", "diversity").first())
    eci = regions.get_column("eci").to_numpy()
    diversity = regions.get_column("diversity").to_numpy().astype(float)
    if np.ptp(diversity) == 0 or np.ptp(eci) < 1e-9:
        return True
    if "uncorrelated" in message:
        return bool(abs(np.corrcoef(diversity, eci)[0, 1]) < 1e-6)
    if "eigenvalue" in message:
        mcp = (
            theirs.pivot(on="industry", index="region", values="mcp")
            .drop("region")
            .to_numpy()
            .astype(float)
        )
        network = (mcp / mcp.sum(axis=0)).T @ (mcp / mcp.sum(axis=1)[:, np.newaxis])
        top = np.sort(np.linalg.eigvals(network).real)[::-1]
        return bool(top[0] - top[1] < 1e-8 or (top.size > 2 and top[1] - top[2] < 1e-8))
    return False


def test_agrees_with_ecomplexity_or_refuses_only_degenerate_random_matrices() -> None:
    """300 random matrices: where the reference has a well-defined answer we match it to 1e-9;
    we refuse only where the reference's answer is NaN or arbitrary, and say why."""
    rng = np.random.default_rng(11)
    compared = refused = 0
    for _ in range(300):
        n_regions, n_industries = rng.integers(3, 10, 2)
        values = rng.integers(0, 51, (n_regions, n_industries))
        frame = pl.DataFrame(
            [
                {"region": f"R{r}", "industry": f"I{i}", "year": 2020, "value": float(v)}
                for (r, i), v in np.ndenumerate(values)
            ]
        )
        try:
            theirs: pl.DataFrame | None = reference(frame)
        except Exception:  # the reference crashes on some degenerate matrices
            theirs = None
        try:
            ours = complexity(frame).table
        except InvalidInput as exc:
            refused += 1
            assert _degenerate_in_reference(theirs, str(exc)), (values.tolist(), str(exc))
            continue
        assert theirs is not None
        assert_agrees(ours, theirs)
        compared += 1
    assert compared >= 200, (compared, refused)
    assert refused > 0  # the degenerate branch was exercised too


def test_output_has_the_stable_columns_and_no_nan(sbs: pl.DataFrame) -> None:
    result = complexity(sbs.filter(pl.col("region").str.len_chars() == 4))
    assert tuple(result.table.columns) == OUTPUT_COLUMNS
    floats = [c for c, t in result.table.schema.items() if t == pl.Float64]
    assert result.table.select(pl.any_horizontal(pl.col(floats).is_nan()).any()).item() is False
    assert result.table.get_column("status").unique().to_list() == ["ok"]
    eci = result.table.group_by("region").agg(pl.col("eci").first()).get_column("eci")
    assert abs(eci.mean()) < 1e-12  # type: ignore[operator]
    assert abs(eci.std(ddof=0) - 1) < 1e-12  # type: ignore[operator]


def _tiny(rows: dict[str, list[float]], year: int = 2020) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"region": region, "industry": f"I{i}", "year": year, "value": float(value)}
            for region, values in rows.items()
            for i, value in enumerate(values)
        ]
    )


BASE = {
    "A": [10, 0, 3, 4, 6],
    "B": [1, 8, 0, 2, 5],
    "C": [2, 2, 9, 1, 7],
    "D": [5, 1, 1, 7, 0],
    "E": [9, 6, 1, 1, 1],
}


def test_region_without_activity_is_listed_with_status_not_nan() -> None:
    frame = _tiny({**BASE, "Z": [0, 0, 0, 0, 0]})
    result = complexity(frame)
    empty = result.table.filter(pl.col("region") == "Z")
    assert empty.height == 5
    assert set(empty.get_column("status")) == {"region without activity"}
    assert empty.get_column("eci").null_count() == 5
    assert result.notes and "1 region(s) without activity" in result.notes[0]
    # The other regions are computed as if Z were not there.
    alone = complexity(_tiny(BASE)).table
    kept = result.table.filter(pl.col("region") != "Z").select(alone.columns)
    assert kept.with_columns(pl.col("region", "industry").cast(pl.String)).equals(
        alone.with_columns(pl.col("region", "industry").cast(pl.String))
    )


def test_industry_present_nowhere_is_listed_with_status() -> None:
    rows = {region: [*values, 0.0] for region, values in BASE.items()}
    table = complexity(_tiny(rows)).table
    absent = table.filter(pl.col("industry") == "I5")
    assert set(absent.get_column("status")) == {"industry without activity"}
    assert absent.get_column("pci").null_count() == len(BASE)


def test_single_region_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="2020: complexity needs at least 2 regions"):
        complexity(_tiny({"A": [1, 2, 3]}))


def test_disconnected_network_is_a_clear_error() -> None:
    blocks = {"A": [5, 5, 0, 0], "B": [4, 6, 0, 0], "C": [0, 0, 3, 7], "D": [0, 0, 6, 4]}
    with pytest.raises(InvalidInput, match="unconnected groups"):
        complexity(_tiny(blocks))


def test_equal_diversity_everywhere_is_a_clear_error() -> None:
    diagonal = {"A": [9, 1, 1], "B": [1, 9, 1], "C": [1, 1, 9]}
    with pytest.raises(InvalidInput, match="complexity"):
        complexity(_tiny(diagonal))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (pl.col("value").first().alias("value").neg(), "negative"),
        (pl.lit(None, dtype=pl.Float64).alias("value"), "missing value"),
    ],
)
def test_bad_values_are_refused(change: pl.Expr, message: str) -> None:
    frame = _tiny(BASE)
    bad = pl.concat([frame.head(1).with_columns(change), frame.slice(1)])
    with pytest.raises(InvalidInput, match=message):
        complexity(bad)


def test_repeated_keys_are_refused_with_an_example() -> None:
    frame = _tiny(BASE)
    with pytest.raises(InvalidInput, match=r"A x I0"):
        complexity(pl.concat([frame, frame.head(1)]))


def test_rca_is_the_location_quotient() -> None:
    values = np.array([[10.0, 0.0], [5.0, 5.0]])
    rca = revealed_advantage(values)
    # A: 100 % industry 0, which is 15/20 of all: 1 / 0.75.
    assert rca[0, 0] == pytest.approx(4 / 3)
    assert rca[1, 1] == pytest.approx(0.5 / 0.25)


def test_second_eigenvector_matches_a_full_decomposition() -> None:
    rng = np.random.default_rng(3)
    base = rng.random((40, 40))
    sym = base @ base.T
    ours = second_eigenvector(sym)
    full = np.linalg.eigh(sym)[1][:, -2]
    assert np.allclose(np.abs(ours), np.abs(full), atol=1e-12)


def test_infinite_and_overflowing_values_are_refused() -> None:
    frame = _tiny(BASE)
    infinite = frame.with_columns(
        value=pl.when(pl.int_range(pl.len()) == 0).then(float("inf")).otherwise("value")
    )
    with pytest.raises(InvalidInput, match="infinite value"):
        complexity(infinite)
    huge = frame.with_columns(
        value=pl.when(pl.int_range(pl.len()) < 2).then(1.7e308).otherwise("value")
    )
    with pytest.raises(InvalidInput, match="more than a double can hold"):
        complexity(huge)
    tiny = frame.with_columns(
        value=pl.when(pl.col("industry") == "I0").then(5e-324).otherwise(pl.col("value") * 1e300)
    )
    with pytest.raises(InvalidInput, match="orders of magnitude"):
        complexity(tiny)
