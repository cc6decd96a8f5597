"""Indicator files: the user format and official Eurostat downloads (self-written fixtures in
the official TSV and SDMX-CSV layouts), with every problem named by line and field."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.stats.indicator_sources import read_eurostat_indicator, read_indicator_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "scoreboard"
LEVELS = {"eqi": "region", "gerd_gdp": "region", "product_market_regulation": "country"}
GERD = {"sectperf": "TOTAL", "unit": "PC_GDP"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "values.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_user_file_reads_signed_values_and_skips_blanks(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "region,indicator,year,value\nde11,eqi,2021,-0.75\nDE,product_market_regulation,2018,1.1\n"
        "DE12,eqi,2021,\n",
    )
    frame = read_indicator_csv(path, levels=LEVELS, regions={"DE11", "DE12", "DE"})
    assert frame.sort("region_code").rows() == [
        ("DE", "product_market_regulation", 2018, 1.1, True),
        ("DE11", "eqi", 2021, -0.75, False),
    ]


def test_every_problem_of_a_user_file_is_named_with_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "region,indicator,year,value\n"
        "DE11,eqi,2021,1\n"
        "DE11,patents,2021,1\n"                       # 3 unknown indicator
        "ZZ99,eqi,2021,1\n"                           # 4 unknown region
        "DE11,product_market_regulation,2018,1\n"     # 5 country indicator on a region
        "DE12,eqi,21,1\n"                             # 6 bad year
        "DE12,gerd_gdp,2020,1.2.3\n"                  # 7 not a number
        "DE11,eqi,2021,2\n",                          # 8 duplicate of line 2
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        read_indicator_csv(path, levels=LEVELS, regions={"DE11", "DE12", "DE"})
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {
        (3, "indicator"), (4, "region"), (5, "region"), (6, "year"), (7, "value"), (8, "region"),
    }  # fmt: skip
    assert all(p.file == str(path) for p in caught.value.problems)


def test_a_user_file_without_the_columns_is_refused_on_line_1(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_indicator_csv(write(tmp_path, "region,code,year\nDE11,eqi,2021\n"), levels=LEVELS)
    assert {(p.line, p.field) for p in caught.value.problems} == {(1, "indicator"), (1, "value")}


@pytest.mark.parametrize("name", ["rd_e_gerdreg.tsv", "rd_e_gerdreg_sdmx.csv"])
def test_an_eurostat_download_gives_the_catalogue_slice(name: str) -> None:
    frame = read_eurostat_indicator(DATA / name, filters=GERD).values
    rows = {(r, y): v for r, _i, y, v, _c in frame.rows()}
    assert rows[("DE11", 2020)] == 5.9  # flag "p" dropped, BES and MIO_EUR rows filtered out
    assert ("DE12", 2020) not in rows  # ":" / blank is missing, not zero
    assert set(frame["region_code"]) <= {"DE11", "DE12", "EL30"}  # EU27_2020 / EA20 skipped
    assert frame["country_level"].to_list() == [False] * frame.height


def test_eurostat_filters_must_exist_and_leave_one_series() -> None:
    with pytest.raises(InvalidInput, match="sectperf=GOV; the file has BES, TOTAL"):
        read_eurostat_indicator(DATA / "rd_e_gerdreg.tsv", filters={"sectperf": "GOV"})
    with pytest.raises(InvalidInput) as caught:
        read_eurostat_indicator(DATA / "rd_e_gerdreg.tsv", filters={"sectperf": "TOTAL"})
    assert [p.field for p in caught.value.problems] == ["unit"]
    with pytest.raises(InvalidInput, match="no dimension 'isced11'"):
        read_eurostat_indicator(DATA / "rd_e_gerdreg.tsv", filters={"isced11": "ED5-8"})


def test_a_malformed_eurostat_value_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("freq,unit,geo\\TIME_PERIOD\t2020\nA,PC,DE11\tlots\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_eurostat_indicator(path, filters={"unit": "PC"})
    problem = caught.value.problems[0]
    assert (problem.line, problem.field, problem.value) == (2, "2020", "lots")


def test_values_frame_has_the_indicator_values_schema() -> None:
    frame = read_eurostat_indicator(DATA / "rd_e_gerdreg.tsv", filters=GERD).values
    assert frame.schema == pl.Schema(
        {"region_code": pl.String, "indicator": pl.String, "year": pl.Int32,
         "value": pl.Float64, "country_level": pl.Boolean}
    )  # fmt: skip
