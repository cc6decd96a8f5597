"""Recoding cells between NUTS versions: exact where boundaries held, conserving where split."""

from __future__ import annotations

import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.stats.indicator_sources import INDICATOR_VALUES
from clusterhub.stats.mapping import aggregate_to_clusters, nuts_region_type
from clusterhub.stats.nuts_recode import prefer, recode_cells, recode_indicator_values


def _cells(rows: list[tuple[str, str, float | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(r, i, 2015, e, f) for r, i, e, f in rows],
        schema={
            "region_code": pl.String,
            "industry_code": pl.String,
            "year": pl.Int32,
            "employment": pl.Float64,
            "imputed": pl.String,
        },
        orient="row",
    )


def _conversion(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"from_code": pl.String, "to_code": pl.String, "share": pl.Float64},
        orient="row",
    )


def _value(frame: pl.DataFrame, region: str, industry: str, column: str = "employment") -> object:
    row = frame.filter((pl.col("region_code") == region) & (pl.col("industry_code") == industry))
    assert row.height == 1, (region, industry)
    return row.get_column(column).item()


def test_a_pure_recode_keeps_the_value_exactly_and_is_flagged() -> None:
    cells = _cells([("FR62", "30", 32776.0, None), ("DE11", "29", 1000.0, None)])
    out, report = recode_cells(cells, _conversion([("FR62", "FRJ2", 1.0)]))
    assert _value(out, "FRJ2", "30") == 32776.0
    assert _value(out, "FRJ2", "30", "nuts_recode") == "recode"
    assert _value(out, "FRJ2", "30", "estimated_employment") == 0.0
    assert _value(out, "DE11", "29") == 1000.0  # untouched
    assert _value(out, "DE11", "29", "nuts_recode") is None
    assert "FR62" not in out.get_column("region_code").to_list()
    assert report.methods == {"FRJ2": "recode"}


def test_a_split_conserves_the_total_and_is_counted_as_estimated() -> None:
    cells = _cells([("PL12", "C", 1000.0, None), ("PL12", "F", 7.0, None)])
    shares = [("PL12", "PL91", 0.562874), ("PL12", "PL92", 0.437126)]
    out, report = recode_cells(cells, _conversion(shares))
    for industry, total in (("C", 1000.0), ("F", 7.0)):
        parts = [_value(out, r, industry) for r in ("PL91", "PL92")]
        assert sum(parts) == pytest.approx(total, rel=1e-12)  # type: ignore[arg-type]
        for region in ("PL91", "PL92"):
            assert _value(out, region, industry, "nuts_recode") == "split:pop18"
            assert _value(out, region, industry, "estimated_employment") == _value(
                out, region, industry
            )
    assert _value(out, "PL91", "C") == pytest.approx(562.874)
    assert report.count("split") == 2


def test_a_merge_sums_whole_regions_exactly() -> None:
    cells = _cells([("DE915", "C", 10.0, None), ("DE919", "C", 5.0, "parent-residual")])
    out, _ = recode_cells(cells, _conversion([("DE915", "DE91C", 1.0), ("DE919", "DE91C", 1.0)]))
    assert _value(out, "DE91C", "C") == 15.0
    assert _value(out, "DE91C", "C", "nuts_recode") == "merge"
    # Only the filled part of the merge is an estimate.
    assert _value(out, "DE91C", "C", "estimated_employment") == 5.0
    assert _value(out, "DE91C", "C", "imputed") == "parent-residual"


def test_a_part_of_a_sum_that_is_unknown_makes_the_sum_unknown() -> None:
    cells = _cells([("A1", "C", 10.0, None), ("A2", "C", None, None)])
    out, _ = recode_cells(cells, _conversion([("A1", "B1", 1.0), ("A2", "B1", 1.0)]))
    assert _value(out, "B1", "C") is None


def test_a_region_gaining_a_piece_lists_itself_or_is_refused() -> None:
    cells = _cells([("NL31", "C", 100.0, None), ("NL33", "C", 300.0, None)])
    pieces = [("NL33", "NL33", 0.9), ("NL33", "NL31", 0.1)]
    with pytest.raises(InvalidInput, match="also the target of a recode"):
        recode_cells(cells, _conversion(pieces))
    out, report = recode_cells(cells, _conversion([*pieces, ("NL31", "NL31", 1.0)]))
    assert _value(out, "NL31", "C") == pytest.approx(130.0)
    # Only the piece from NL33 (30) is estimated; NL31's own 100 is measured.
    assert _value(out, "NL31", "C", "estimated_employment") == pytest.approx(30.0)
    assert report.methods["NL31"] == "split:pop18"
    assert out.get_column("employment").sum() == pytest.approx(400.0)


def test_shares_must_sum_to_one_per_old_region() -> None:
    cells = _cells([("PL12", "C", 1000.0, None)])
    with pytest.raises(InvalidInput, match="sum to 1"):
        recode_cells(cells, _conversion([("PL12", "PL91", 0.5), ("PL12", "PL92", 0.4)]))
    with pytest.raises(InvalidInput, match="above 0"):
        recode_cells(cells, _conversion([("PL12", "PL91", 1.5), ("PL12", "PL92", -0.5)]))


def test_exact_cells_replace_estimates_only_where_they_have_a_value() -> None:
    cells = _cells([("FR6", "C", 100.0, None), ("FR8", "C", 50.0, None)])
    conversion = _conversion(
        [("FR6", "FRI", 0.6), ("FR6", "FRJ", 0.4), ("FR8", "FRJ", 0.5), ("FR8", "FRL", 0.5)]
    )
    recoded, _ = recode_cells(cells, conversion)
    assert _value(recoded, "FRJ", "C") == pytest.approx(0.4 * 100 + 0.5 * 50)
    # FRJ is exactly FR62 + FR81, whole NUTS 2013 regions one level down.
    olds = _cells([("FR62", "C", 30.0, None), ("FR81", "C", 15.0, "parent-residual")])
    olds = pl.concat([olds, _cells([("FR62", "F", None, None), ("FR81", "F", 1.0, None)])])
    sums, _ = recode_cells(olds, _conversion([("FR62", "FRJ", 1.0), ("FR81", "FRJ", 1.0)]))
    exact, replaced = prefer(recoded, sums)
    assert replaced == 1
    assert _value(exact, "FRJ", "C") == 45.0
    assert _value(exact, "FRJ", "C", "nuts_recode") == "merge"
    assert _value(exact, "FRJ", "C", "estimated_employment") == 15.0  # the filled part only
    assert _value(exact, "FRI", "C") == pytest.approx(60.0)  # no exact value: kept
    assert exact.filter(pl.col("industry_code") == "F").is_empty()  # no estimate to replace


def test_the_estimated_share_of_a_cluster_counts_split_pieces_only() -> None:
    cells = _cells([("NL31", "29", 100.0, None), ("NL33", "29", 300.0, None)])
    pieces = [("NL33", "NL33", 0.9), ("NL33", "NL31", 0.1), ("NL31", "NL31", 1.0)]
    out, _ = recode_cells(cells, _conversion(pieces))
    members = pl.DataFrame({"cluster_code": ["4"], "code": ["29"], "weight": [1.0]})
    clusters, _ = aggregate_to_clusters(
        out, members, partition_codes={"29"}, region_type=nuts_region_type
    )
    shares = dict(clusters.select("region_code", "imputed_share").iter_rows())
    assert shares["NL31"] == pytest.approx(30 / 130)
    assert shares["NL33"] == pytest.approx(1.0)


def test_indicator_values_recode_split_and_average() -> None:
    pieces = pl.DataFrame(
        {
            "from_code": ["A1", "B1", "B1", "C1", "C2", "D1", "D2", "E1", "E2"],
            "version": ["2013"] * 9,
            "to_code": ["A2", "B2", "B3", "C3", "C3", "D3", "D3", "E3", "E3"],
            "weight": [10.0, 30.0, 10.0, 10.0, 1.0, 3.0, 1.0, 5.0, 5.0],
        }
    )
    values = pl.DataFrame(
        {
            "region_code": ["A1", "B1", "C1", "C2", "D1", "D3", "E1", "X9"],
            "indicator": ["i"] * 8,
            "year": [2020] * 8,
            "value": [1.0, 2.0, 4.0, 8.0, 5.0, 7.0, 6.0, 9.0],
            "country_level": [False] * 8,
        },
        schema=INDICATOR_VALUES,
    )
    out = recode_indicator_values(values, pieces).sort("region_code")
    got = {r[0]: (r[3], r[5]) for r in out.iter_rows()}
    assert got == {
        "A2": (1.0, "recode of A1 (NUTS 2013)"),
        "B2": (2.0, "split of B1 (NUTS 2013): value kept, estimate"),
        "B3": (2.0, "split of B1 (NUTS 2013): value kept, estimate"),
        # C3 = (4 x 10 + 8 x 1) / 11: each old region weighted by the population it gave.
        "C3": (pytest.approx(48 / 11), "mean of C1, C2 (NUTS 2013) by population: estimate"),
        # A value under the new code itself wins over the one recoded from D1.
        "D3": (7.0, None),
        # E2 has no value: the mean is of E1 alone, and says so.
        "E3": (6.0, "mean of 1 of 2: E1 (NUTS 2013) by population: estimate"),
        "X9": (9.0, None),
    }
