"""Missing cells: both published fill methods on hand-checkable frames and on real Eurostat data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.shipped import shipped

from clusterhub.errors import InvalidInput
from clusterhub.stats.cells import (
    SIZE_CLASS_MIDPOINTS,
    FillReport,
    fill_missing,
    fill_parent_residual,
    fill_size_class,
    merge_reports,
    nuts_parent,
)
from clusterhub.stats.sources import read_sbs_csv

# Section C > divisions 10, 11, 12; division 10 > groups 10.1, 10.2, 10.3; 45 > 45.1 .. 45.4.
NACE = {
    "10": "C",
    "11": "C",
    "12": "C",
    "10.1": "10",
    "10.2": "10",
    "10.3": "10",
    "45": "G",
    "45.1": "45",
    "45.2": "45",
    "45.3": "45",
    "45.4": "45",
    "05": "B",
    "06": "B",
    "07": "B",
}


def _cells(rows: list[tuple[str, str, float | None]], year: int = 2015) -> pl.DataFrame:
    return pl.DataFrame(
        [(r, i, year, e) for r, i, e in rows],
        schema={
            "region_code": pl.String,
            "industry_code": pl.String,
            "year": pl.Int32,
            "employment": pl.Float64,
        },
        orient="row",
    )


def _get(cells: pl.DataFrame, region: str, industry: str, year: int = 2015) -> tuple[float, str]:
    row = cells.filter(
        (pl.col("region_code") == region)
        & (pl.col("industry_code") == industry)
        & (pl.col("year") == year)
    ).row(0, named=True)
    return row["employment"], row["imputed"]


def test_the_residual_is_split_equally_and_feeds_the_next_level() -> None:
    cells = _cells(
        [
            ("R", "C", 100.0),
            ("R", "10", None),  # C - 11 - known nothing else: (100 - 30) / 2 = 35
            ("R", "11", 30.0),
            ("R", "12", None),  # the other half: 35
            ("R", "10.1", 5.0),
            ("R", "10.2", None),  # imputed parent 35 minus 5, split in two: 15
            ("R", "10.3", None),  # 15
        ]
    )
    # One region: every missing code is missing "everywhere", so skip_empty must be off.
    out, report = fill_parent_residual(cells, NACE, dimension="industry", skip_empty=False)
    assert _get(out, "R", "10") == (35.0, "parent-residual")
    assert _get(out, "R", "12") == (35.0, "parent-residual")
    assert _get(out, "R", "10.2") == (15.0, "parent-residual")
    assert _get(out, "R", "10.3") == (15.0, "parent-residual")
    assert _get(out, "R", "11") == (30.0, None), "reported cells are never touched"
    assert report.filled == {"industry": 4} and report.still_missing == 0
    assert out.columns[:4] == cells.columns and out.height == cells.height


def test_the_residual_is_shared_in_proportion_to_the_country() -> None:
    # Region XX1's section C residual is 100 - 20 = 80; nationally 10 employs 300 and 12
    # employs 100, so 10 gets 80 * 3/4 = 60 and 12 gets 20 (equal shares: 40 and 40).
    cells = _cells(
        [
            ("XX", "C", 500.0), ("XX", "10", 300.0), ("XX", "11", 100.0), ("XX", "12", 100.0),
            ("XX1", "C", 100.0), ("XX1", "10", None), ("XX1", "11", 20.0), ("XX1", "12", None),
        ]
    )  # fmt: skip
    out, _ = fill_parent_residual(cells, NACE)
    assert _get(out, "XX1", "10") == (60.0, "parent-residual")
    assert _get(out, "XX1", "12")[0] == 20.0
    assert set(out.filter(pl.col("imputed").is_not_null())["imputed_key"]) == {"country"}
    equal, _ = fill_parent_residual(cells, NACE, split="equal")
    assert _get(equal, "XX1", "10")[0] == _get(equal, "XX1", "12")[0] == 40.0
    assert set(equal.filter(pl.col("imputed").is_not_null())["imputed_key"]) == {"equal"}


def test_the_key_falls_back_to_all_countries_then_to_equal_shares() -> None:
    cells = _cells(
        [
            # Country XX does not report 12: its regions use the sum over all countries
            # (10: 300 + 100, 12: 100), so XX1 gets 50 * 4/5 = 40 and 10.
            ("XX", "C", 500.0), ("XX", "10", 300.0), ("XX", "11", 100.0), ("XX", "12", None),
            ("XX1", "C", 100.0), ("XX1", "10", None), ("XX1", "11", 50.0), ("XX1", "12", None),
            ("YY", "C", 300.0), ("YY", "10", 100.0), ("YY", "11", 100.0), ("YY", "12", 100.0),
            # No country reports 05 or 06 (only a region does): equal shares.
            ("YY", "B", 10.0), ("YY", "05", None), ("YY", "06", None), ("YY", "07", 4.0),
            ("YY1", "05", 1.0), ("YY1", "06", 1.0),
            ("XX", "B", 1.0), ("XX", "05", None), ("XX", "06", None), ("XX", "07", 1.0),
        ]
    )  # fmt: skip
    out, report = fill_parent_residual(cells, NACE)
    assert _get(out, "XX", "12")[0] == 100.0, "the country's own residual"
    row = out.filter((pl.col("region_code") == "XX1") & (pl.col("industry_code") == "10"))
    assert row["employment"].item() == 40.0 and row["imputed_key"].item() == "all-countries"
    assert _get(out, "XX1", "12")[0] == 10.0
    assert _get(out, "YY", "05")[0] == _get(out, "YY", "06")[0] == 3.0
    keys = out.filter(pl.col("industry_code").is_in(["05", "06"]))["imputed_key"].drop_nulls()
    assert keys.to_list() == ["equal"] * 4
    assert report.still_missing == 0


def test_a_proportional_share_never_exceeds_the_remainder() -> None:
    # The national structure says 10 is huge, but the remainder bounds it.
    cells = _cells(
        [
            ("XX", "C", 10_000.0), ("XX", "10", 9_000.0), ("XX", "11", 500.0),
            ("XX", "12", 500.0), ("XX1", "C", 30.0), ("XX1", "10", None), ("XX1", "11", 40.0),
            ("XX1", "12", None),
        ]
    )  # fmt: skip
    out, report = fill_parent_residual(cells, NACE)
    assert _get(out, "XX1", "10")[0] == _get(out, "XX1", "12")[0] == 0.0
    assert report.clamped == 1


def test_the_hierarchy_may_be_a_child_parent_frame() -> None:
    cells = _cells([("R", "45", 50.0), ("R", "45.1", 10.0), ("R", "45.2", None)])
    hierarchy = pl.DataFrame({"child": ["45.1", "45.2"], "parent": ["45", "45"]})
    out, _ = fill_parent_residual(cells, hierarchy, skip_empty=False)
    assert _get(out, "R", "45.2") == (40.0, "parent-residual")


def test_the_residual_goes_only_to_the_children_the_data_lists() -> None:
    # 45 has four groups in NACE; this data set lists two, so 45.2 gets the whole remainder.
    cells = _cells([("R", "45", 50.0), ("R", "45.1", 10.0), ("R", "45.2", None)])
    out, _ = fill_parent_residual(cells, NACE, skip_empty=False)
    assert _get(out, "R", "45.2") == (40.0, "parent-residual")


def test_a_negative_remainder_is_clamped_to_zero_and_counted() -> None:
    cells = _cells([("R", "B", 10.0), ("R", "05", 8.0), ("R", "06", 7.0), ("R", "07", None)])
    out, report = fill_parent_residual(cells, NACE, skip_empty=False)
    assert _get(out, "R", "07") == (0.0, "parent-residual")
    assert report.clamped == 1 and "1 industry groups" in report.warnings[0]


def test_the_nearest_present_ancestor_is_the_parent() -> None:
    # No division 10 anywhere in the data: groups 10.x hang directly under section C.
    cells = _cells([("R", "C", 60.0), ("R", "11", 10.0), ("R", "10.1", None), ("R", "10.2", 20.0)])
    out, _ = fill_parent_residual(cells, NACE, skip_empty=False)
    assert _get(out, "R", "10.1") == (30.0, "parent-residual")


def test_years_and_regions_are_filled_independently() -> None:
    cells = pl.concat(
        [
            _cells([("R", "C", 100.0), ("R", "10", None), ("R", "11", 30.0)], 2015),
            _cells([("R", "C", 90.0), ("R", "10", None), ("R", "11", 80.0)], 2016),
            _cells([("S", "C", None), ("S", "10", None), ("S", "11", 5.0)], 2015),
            _cells([("T", "C", 8.0), ("T", "10", 8.0), ("T", "11", None)], 2016),
        ]
    )
    out, report = fill_parent_residual(cells, NACE.get, skip_empty=False)  # a function
    assert _get(out, "R", "10", 2015)[0] == 70.0
    assert _get(out, "R", "10", 2016)[0] == 10.0
    assert _get(out, "S", "10", 2015) == (None, None), "no parent value: nothing to split"
    assert _get(out, "T", "11", 2016)[0] == 0.0
    assert report.still_missing == 2


def test_regions_top_down_with_an_imputed_parent_feeding_its_children() -> None:
    cells = _cells(
        [
            ("XX", "20", 100.0),
            ("XX1", "20", None),  # 100 - 40 = 60
            ("XX2", "20", 40.0),
            ("XX11", "20", None),  # imputed XX1 60 - 10 = 50
            ("XX12", "20", 10.0),
            *((region, "21", 1.0) for region in ("XX", "XX1", "XX2", "XX11", "XX12")),
        ]
    )
    out, report = fill_parent_residual(cells, nuts_parent, dimension="region")
    assert _get(out, "XX1", "20") == (60.0, "parent-residual")
    assert _get(out, "XX11", "20") == (50.0, "parent-residual")
    assert report.filled == {"region": 2}


def test_parent_residual_runs_industry_then_region() -> None:
    cells = _cells(
        [
            ("XX", "C", 100.0),
            ("XX", "10", 60.0),
            ("XX", "11", 40.0),
            ("XX1", "C", None),  # region pass: 100 - 50 = 50
            ("XX1", "10", None),  # no C in XX1 for the industry pass; region pass: 60 - 20
            ("XX1", "11", 15.0),
            ("XX2", "C", 50.0),
            ("XX2", "10", 20.0),
            ("XX2", "11", 30.0),
        ]
    )
    out, report = fill_missing(cells, "parent-residual", industry_parent=NACE)
    assert _get(out, "XX1", "C")[0] == 50.0
    assert _get(out, "XX1", "10")[0] == 40.0
    assert report.filled == {"industry": 0, "region": 2}
    assert report.total_filled == 2 and report.still_missing == 0


def test_without_an_industry_hierarchy_only_regions_are_used() -> None:
    cells = _cells([("XX", "20", 9.0), ("XX1", "20", None), ("XX1", "21", 1.0)])
    out, report = fill_missing(cells, "parent-residual")
    assert _get(out, "XX1", "20")[0] == 9.0
    assert "industry pass skipped" in report.warnings[0]


def test_codes_without_any_value_are_not_children() -> None:
    # XX1 is an old region code listed without data (replaced by XX3); it must not take
    # half of the residual that belongs to XX3.
    cells = _cells(
        [
            ("XX", "20", 100.0),
            ("XX", "21", 50.0),
            ("XX1", "20", None),
            ("XX1", "21", None),
            ("XX2", "20", 40.0),
            ("XX2", "21", 20.0),
            ("XX3", "20", None),
            ("XX3", "21", 30.0),
        ]
    )
    out, report = fill_parent_residual(cells, nuts_parent, dimension="region")
    assert _get(out, "XX3", "20") == (60.0, "parent-residual")
    assert _get(out, "XX1", "20") == (None, None)
    assert report.skipped == {"region": 2} and report.still_missing == 2
    out, report = fill_parent_residual(cells, nuts_parent, dimension="region", skip_empty=False)
    assert _get(out, "XX3", "20")[0] == _get(out, "XX1", "20")[0] == 30.0
    assert report.skipped == {"region": 0}


def test_a_cyclic_hierarchy_is_refused() -> None:
    cells = _cells([("R", "a", None), ("R", "b", 1.0)])
    with pytest.raises(InvalidInput, match="cycle"):
        fill_parent_residual(cells, {"a": "b", "b": "a"})


def test_duplicate_cells_are_refused() -> None:
    cells = _cells([("R", "10", 1.0), ("R", "10", 2.0)])
    with pytest.raises(InvalidInput, match="duplicate"):
        fill_missing(cells, "parent-residual", industry_parent=NACE)


def test_size_classes_become_their_published_midpoints() -> None:
    cells = _cells(
        [
            ("06", "a", None),
            ("06", "b", None),
            ("06", "c", 5.0),
            ("06", "d", None),
            ("06", "e", None),
        ]
    ).with_columns(size_class=pl.Series(["A", "M", "C", "G", None]))
    out, report = fill_missing(cells, "size-class")
    assert _get(out, "06", "a") == (10.0, "size-class")
    assert _get(out, "06", "b") == (100_000.0, "size-class")
    assert _get(out, "06", "c") == (5.0, None), "a reported value wins over its size class"
    assert _get(out, "06", "d") == (1750.0, "size-class")
    assert _get(out, "06", "e") == (None, None)
    assert report.filled == {"size-class": 3} and report.still_missing == 1
    assert "D" not in SIZE_CLASS_MIDPOINTS  # CBP has no class D


def test_an_unknown_size_class_names_the_cell() -> None:
    cells = _cells([("06", "336411", None)]).with_columns(size_class=pl.lit("D"))
    with pytest.raises(InvalidInput) as caught:
        fill_size_class(cells)
    message = str(caught.value)
    assert "field 'size_class'" in message and "value 'D'" in message
    assert "06 x 336411 x 2015" in message


def test_none_and_unknown_methods() -> None:
    cells = _cells([("R", "10", None)])
    out, report = fill_missing(cells, "none")
    assert report.still_missing == 1 and report.total_filled == 0
    assert out["imputed"].to_list() == [None]
    with pytest.raises(InvalidInput, match="unknown fill method"):
        fill_missing(cells, "guess")  # type: ignore[arg-type]


def test_nuts_parents() -> None:
    assert [nuts_parent(c) for c in ("DE21", "DE2", "DE", "CZZZ")] == ["DE2", "DE", None, "CZZ"]


def test_parent_residual_on_the_real_sbs_extract(shared_data: Path) -> None:
    cells, read = read_sbs_csv(shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv")
    nace = pl.read_csv(shipped("nace-rev2"), infer_schema=False)
    parents = {c: p for c, p in nace.select("nace2", "Parent").iter_rows() if p not in (None, "NA")}
    out, report = fill_missing(cells, "parent-residual", industry_parent=parents)
    assert read.missing == 8_648
    # Measured: 4,949 missing cells belong to 53 region codes without any value (NUTS 2010
    # codes replaced in NUTS 2013, extra-regio ZZ codes): not children, left alone. Of the
    # 3,699 others the industry pass fills 2,942 and the region pass 584; 173 stay missing
    # (IE and MT, whose national cell is itself missing, so there is nothing to split).
    assert report.skipped == {"industry": 0, "region": 4_949}
    assert report.filled == {"industry": 2_942, "region": 584}
    assert report.still_missing == 5_122 == read.missing - report.total_filled
    # Proportional shares leave fewer region groups whose known children exceed the parent
    # than equal shares (27 against 48): equal shares over-fill small industries.
    assert report.clamped == 27
    keys = dict(out.group_by("imputed_key").len().drop_nulls().iter_rows())
    assert keys == {"country": 1_707, "all-countries": 1_235, "region-size": 584}
    _, equal = fill_missing(cells, "parent-residual", industry_parent=parents, split="equal")
    assert equal.filled == report.filled and equal.clamped == 48
    # Braunschweig (DE91): the residual of section C holds Wolfsburg's car industry; the
    # equal split gave tobacco (12) 13,862 people, a national-structure split gives 515.
    tobacco = out.filter((pl.col("region_code") == "DE91") & (pl.col("industry_code") == "12"))
    assert tobacco.row(0, named=True)["imputed_key"] == "country"
    assert 400 < tobacco.item(0, "employment") < 600
    empty = cells.group_by("region_code").agg(pl.col("employment").is_not_null().any())
    empty_codes = empty.filter(~pl.col("employment"))["region_code"]
    assert empty_codes.len() == 53 and {"SI01", "EL1", "CZZ"} <= set(empty_codes)
    still = out.filter(
        pl.col("employment").is_null() & ~pl.col("region_code").is_in(empty_codes.implode())
    )
    assert set(still["region_code"].str.slice(0, 2)) == {"IE", "MT"}
    assert out.filter(pl.col("employment") < 0).is_empty()
    assert out.filter(pl.col("imputed").is_not_null()).height == report.total_filled
    reported = cells.filter(pl.col("employment").is_not_null())
    unchanged = reported.join(out, on=["region_code", "industry_code", "year"])
    assert (unchanged["employment"] == unchanged["employment_right"]).all()


def test_reports_of_years_merge_as_one_run() -> None:
    years = [
        FillReport("parent-residual", {"industry": 3, "region": 1}, {"region": 2}, 1, 4,
                   ("1 region groups had known children above their parent", "no hierarchy")),
        FillReport("parent-residual", {"industry": 5}, {"region": 1}, 2, 6,
                   ("2 region groups had known children above their parent", "no hierarchy")),
    ]  # fmt: skip
    merged = merge_reports(years)
    assert merged.filled == {"industry": 8, "region": 1}
    assert merged.skipped == {"region": 3}
    assert (merged.clamped, merged.still_missing) == (3, 10)
    assert merged.warnings == (
        "3 region groups had known children above their parent",
        "no hierarchy",
    )
    assert FillReport.from_json(merged.to_json()) == merged
