"""Readers: real public data read exactly, and every malformed input refused with its place."""

from __future__ import annotations

import csv
import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from tests.shipped import shipped

from clusterhub.errors import InvalidInput
from clusterhub.stats.schema import CLUSTER_CELLS, INDUSTRY_CELLS
from clusterhub.stats.sources import (
    normalise_nace,
    read_cmp_states,
    read_eurostat_tsv,
    read_long_table,
    read_sbs_csv,
    read_sdmx_csv,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def _refused(reader: Callable[[Path], object], path: Path) -> str:
    with pytest.raises(InvalidInput) as caught:
        reader(path)
    return str(caught.value)


def _names(message: str, path: Path, line: int, field: str) -> None:
    assert f"{path}:{line}" in message, message
    assert f"field '{field}'" in message, message


def _value(cells: pl.DataFrame, region: str, industry: str, year: int) -> float | None:
    row = cells.filter(
        (pl.col("region_code") == region)
        & (pl.col("industry_code") == industry)
        & (pl.col("year") == year)
    )
    assert row.height == 1, (region, industry, year)
    value = row["employment"][0]
    return None if value is None else float(value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("B", "B"), ("C20", "20"), ("G451", "45.1"), ("C1011", "10.11"), ("45.1", "45.1")],
)
def test_sbs_codes_are_normalised(raw: str, expected: str) -> None:
    assert normalise_nace(raw) == expected


@pytest.mark.parametrize("raw", ["X99", "C2", "c20", "B-N_S95_X_K", ""])
def test_non_codes_are_not_normalised(raw: str) -> None:
    assert normalise_nace(raw) is None


def test_the_real_sbs_extract_reads_every_cell(shared_data: Path) -> None:
    cells, report = read_sbs_csv(shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv")
    assert cells.schema == pl.Schema(INDUSTRY_CELLS)
    assert (cells.height, report.rows_read, report.cells) == (46_859, 46_859, 46_859)
    assert cells["region_code"].n_unique() == 470
    assert cells["industry_code"].n_unique() == 101
    # 8,499 blank + 119 flag-only (" d") + 30 spreadsheet times ("12:00 AM") = 8,648.
    assert report.missing == cells["employment"].null_count() == 8_648
    assert report.flags == {"d": 386}
    mangled = [w for w in report.warnings if w.value == "12:00 AM"]
    assert len(mangled) == 30 and mangled[0].line == 725 and mangled[0].field == "n2015"
    assert any("53 region codes have no value at all" in w.message for w in report.warnings)
    assert _value(cells, "AT", "B", 2015) == 7089.0
    assert _value(cells, "AT11", "B", 2015) == 232.0
    assert _value(cells, "IS", "05", 2015) is None  # "12:00 AM": the number is lost


def test_blanks_flags_and_several_years(tmp_path: Path) -> None:
    path = DATA / "src_sbs_good.csv"
    cells, report = read_sbs_csv(path)
    assert (report.rows_read, cells.height, report.missing) == (5, 10, 4)
    assert report.flags == {"d": 2}
    assert _value(cells, "BE", "21", 2014) == 350.0  # "350 d": number kept, flag counted
    assert _value(cells, "BE", "21", 2015) is None  # "12:00 AM"
    assert _value(cells, "BE1", "45.1", 2014) is None  # " d": flag without a number
    assert _value(cells, "BEZ", "B", 2015) == 0.0
    assert [(w.line, w.field) for w in report.warnings if w.line] == [(4, "n2015")]
    gzipped = tmp_path / "sbs.csv.gz"
    gzipped.write_bytes(gzip.compress(path.read_bytes()))
    assert read_sbs_csv(gzipped)[0].equals(cells)


def test_a_comma_file_given_to_the_semicolon_reader_is_named() -> None:
    path = DATA / "src_sbs_comma.csv"
    message = _refused(read_sbs_csv, path)
    assert f"{path}:1" in message
    assert "expected ';' separated columns nace_r2;geo;nYYYY, found ','" in message


@pytest.mark.parametrize(
    ("name", "line", "field", "words"),
    [
        ("src_sbs_negative.csv", 3, "n2015", "negative"),
        ("src_sbs_nonnumeric.csv", 3, "n2015", "not a number"),
        ("src_sbs_duplicate.csv", 4, "nace_r2", "duplicate key"),
        ("src_sbs_missing_column.csv", 1, "geo", "missing column"),
        ("src_sbs_bad_codes.csv", 2, "nace_r2", "unknown NACE code"),
        ("src_sbs_bad_codes.csv", 3, "geo", "malformed region code"),
        ("src_sbs_bad_codes.csv", 4, None, "expected 3 ';' separated fields, found 4"),
    ],
)
def test_malformed_sbs_files_are_refused_with_their_place(
    name: str, line: int, field: str | None, words: str
) -> None:
    path = DATA / name
    message = _refused(read_sbs_csv, path)
    assert words in message
    if field is None:
        assert f"{path}:{line}: {words}" in message
    else:
        _names(message, path, line, field)


def test_the_duplicate_points_at_the_first_occurrence() -> None:
    assert "first on line 2" in _refused(read_sbs_csv, DATA / "src_sbs_duplicate.csv")


def test_eurostat_bulk_tsv_plain_and_gzipped(tmp_path: Path) -> None:
    path = DATA / "src_eurostat.tsv"
    cells, report = read_eurostat_tsv(path)
    assert cells.height == 4  # one indicator, aggregates B-N_S95_X_K and EU28 skipped
    assert _value(cells, "BE", "20", 2014) == 400.0  # "400 p"
    assert _value(cells, "BE", "20", 2015) is None  # ": c"
    assert _value(cells, "BE1", "45.1", 2015) == 250.0
    assert (report.missing, report.confidential, report.rows_read) == (2, 1, 5)
    assert report.flags == {"c": 1, "p": 1}
    assert any("4 cells of aggregates skipped" in w.message for w in report.warnings)
    gzipped = tmp_path / "sbs_r_nuts06_r2.tsv.gz"
    gzipped.write_bytes(gzip.compress(path.read_bytes()))
    assert read_eurostat_tsv(gzipped)[0].equals(cells)
    other, _ = read_eurostat_tsv(path, indicator="V11110")
    assert _value(other, "BE", "20", 2015) == 6.0


def test_an_absent_indicator_lists_the_ones_present() -> None:
    with pytest.raises(InvalidInput, match=r"V99999.*V11110, V16110"):
        read_eurostat_tsv(DATA / "src_eurostat.tsv", indicator="V99999")


def test_a_semicolon_file_given_to_the_tsv_reader_is_named() -> None:
    message = _refused(read_eurostat_tsv, DATA / "src_sbs_good.csv")
    assert "expected '\\t' separated columns" in message and "found ';'" in message


def test_sdmx_csv_reads_values_and_flags() -> None:
    cells, report = read_sdmx_csv(DATA / "src_sdmx.csv")
    assert cells.height == 3
    assert _value(cells, "BE", "20", 2015) == 400.0
    assert _value(cells, "BE", "21", 2015) is None
    assert (report.missing, report.confidential) == (1, 1)
    assert report.flags == {"c": 1, "p": 1}


def test_sdmx_csv_without_obs_value_is_refused() -> None:
    path = DATA / "src_eurostat.tsv"
    message = _refused(read_sdmx_csv, path)
    _names(message, path, 1, "obs_value")
    assert "missing column" in message


def test_long_table_keeps_codes_as_text_and_size_classes() -> None:
    cells, report = read_long_table(DATA / "src_long.csv")
    assert cells.schema == pl.Schema(INDUSTRY_CELLS)
    assert cells["region_code"].to_list() == ["06", "06", "06", "48"]
    assert cells["size_class"].to_list() == [None, "C", "A", None]
    assert cells["wages"][0] == 96_000_000.0
    assert report.missing == 3


def test_long_table_refuses_an_unknown_size_class() -> None:
    path = DATA / "src_long_bad_size.csv"
    message = _refused(read_long_table, path)
    _names(message, path, 3, "size_class")
    assert "value 'D'" in message and "unknown size class" in message


def test_long_table_from_parquet(tmp_path: Path) -> None:
    path = tmp_path / "cells.parquet"
    pl.DataFrame(
        {
            "region": ["DE1", "DE2"],
            "industry": ["20", "21"],
            "year": [2015, 2015],
            "employment": [10.0, -1.0],
        }
    ).write_parquet(path)
    message = _refused(read_long_table, path)
    _names(message, path, 3, "employment")
    assert "negative" in message


def test_the_real_cmp_state_file() -> None:
    cmp = read_cmp_states(shipped("cmp-states"))
    assert cmp.cells.height == 3_350
    assert cmp.cells.filter(pl.col("traded")).height == 2_550
    assert cmp.cells.select(list(CLUSTER_CELLS)).schema == pl.Schema(CLUSTER_CELLS)
    assert set(cmp.cells["region_type"]) == {"state"}
    # One national traded total T, recovered from every cell: ~45,242,100 for 2016.
    assert abs(cmp.traded_total - 45_242_100) < 100
    assert abs(cmp.local_total - 81_486_200) < 100
    national = cmp.benchmark.filter(pl.col("traded"))["national_employment"]
    assert national.len() == 51 and national.null_count() == 0
    assert abs(national.sum() - cmp.traded_total) <= 51  # each rounded to a whole job
    assert cmp.published["strong"].sum() == 512
    local = cmp.published.filter(pl.col("cluster_code").cast(pl.Int32) > 100)
    assert local["strong"].null_count() == 800, "local clusters are not rated (NA)"
    first = cmp.cells.row(0, named=True)
    assert (first["region_code"], first["cluster_code"]) == ("01", "116")
    assert first["wages"] == 489_088 * 1000.0  # ap_tl is in $1000s


def _edited_cmp(tmp_path: Path, line: int, column: str, value: str) -> Path:
    source = shipped("cmp-states")
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[line - 1][rows[0].index(column)] = value
    path = tmp_path / "states.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.parametrize(
    "edit",
    [
        (40, "cluster_emp_per_tf", "0.05", "national cluster employment recovered"),
        (41, "lq_tf", "9.5", "national traded (or local) total recovered"),
        (42, "traded_b", "YES", "expected TRUE or FALSE"),
        (43, "emp_tl", "-3", "negative"),
        (44, "traded_b", "FALSE", "disagrees with the cluster code"),  # cluster 25 is traded
    ],
)
def test_cmp_inconsistencies_are_refused_with_their_place(
    tmp_path: Path, edit: tuple[int, str, str, str]
) -> None:
    line, column, value, words = edit
    path = _edited_cmp(tmp_path, line, column, value)
    message = _refused(read_cmp_states, path)
    _names(message, path, line, column)
    assert words in message


def test_unreadable_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    shutil.copy(DATA / "src_sbs_good.csv", path)
    path.write_bytes(path.read_bytes() + "C22;BÉ;1\n".encode("latin-1"))
    assert "not UTF-8" in _refused(read_sbs_csv, path)
