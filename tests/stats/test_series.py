"""Joining the published data sets of a series, and reading the newer one's bulk file."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.stats.schema import INDUSTRY_CELLS, conform
from clusterhub.stats.series import SeriesPart, join_series, year_span
from clusterhub.stats.sources import read_eurostat_tsv


def _cells(rows: list[tuple[str, str, int, float | None]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows, schema=["region_code", "industry_code", "year", "employment"], orient="row"
    )
    return conform(frame, INDUSTRY_CELLS, what="test")


OLD = _cells(
    [
        ("AT11", "10", 2019, 100.0), ("AT11", "10", 2020, 110.0), ("AT11", "10", 2021, 999.0),
        ("AT11", "12", 2019, None), ("AT11", "12", 2020, None), ("AT11", "45.1", 2020, 5.0),
    ]
)  # fmt: skip
NEW = _cells(
    [
        ("AT11", "10", 2021, 120.0), ("AT11", "12", 2021, 7.0), ("AT11", "86", 2021, 50.0),
        ("AT11", "10", 2022, 130.0),
    ]
)  # fmt: skip


def test_a_newer_data_set_continues_the_series_from_its_first_year() -> None:
    joined = join_series([SeriesPart("sbs_r_nuts2021", NEW), SeriesPart("sbs_r_nuts06_r2", OLD)])
    food = joined.cells.filter(pl.col("industry_code") == "10").sort("year")
    # 2021 comes from the newer data set only: the older one's 999 is left out, and said.
    assert food.select("year", "employment").rows() == [
        (2019, 100.0), (2020, 110.0), (2021, 120.0), (2022, 130.0),
    ]  # fmt: skip
    assert "sbs_r_nuts06_r2: 2021 left out, sbs_r_nuts2021 continues the series from 2021" in (
        joined.notes
    )
    assert [(b.year, b.before, b.after) for b in joined.breaks] == [
        (2021, "sbs_r_nuts06_r2", "sbs_r_nuts2021")
    ]
    assert "series break in 2021: sbs_r_nuts06_r2 up to 2020, sbs_r_nuts2021 from 2021" in (
        joined.notes
    )


def test_only_activities_every_data_set_publishes_are_kept() -> None:
    joined = join_series([SeriesPart("old", OLD), SeriesPart("new", NEW)])
    # 12 is all confidential in the older data set but published (listed): kept. 86 (new
    # only) and 45.1 (old only) would appear or vanish at the break: both left out.
    assert sorted(joined.cells.get_column("industry_code").unique()) == ["10", "12"]
    assert any(n.startswith("new: 1 activity not published by every") and n.endswith(": 86")
               for n in joined.notes)  # fmt: skip
    assert any(n.startswith("old: 1 activity") and n.endswith(": 45.1") for n in joined.notes)


def test_one_data_set_is_a_series_without_a_break() -> None:
    joined = join_series([SeriesPart("old", OLD)])
    assert joined.breaks == () and joined.notes == ()
    assert joined.cells.height == OLD.height


def test_parts_starting_together_or_without_values_are_refused_or_said() -> None:
    with pytest.raises(InvalidInput, match="start in the same year"):
        join_series([SeriesPart("a", NEW), SeriesPart("b", NEW)])
    empty = OLD.with_columns(employment=pl.lit(None, pl.Float64))
    joined = join_series([SeriesPart("old", OLD), SeriesPart("empty", empty)])
    assert "empty: no value at all, left out of the series" in joined.notes
    assert joined.breaks == ()
    with pytest.raises(InvalidInput, match="no value in any part"):
        join_series([SeriesPart("empty", empty)])


def test_years_read_as_runs() -> None:
    assert year_span([2013, 2009, 2008, 2010]) == "2008–2010, 2013"
    assert year_span([2015]) == "2015"


def _write(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    return path


def test_the_newer_data_set_is_read_by_its_own_indicator(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "sbs_r_nuts2021.tsv.gz",
        "freq,indic_sbs,nace_r2,geo\\TIME_PERIOD\t2021 \t2022 \n"
        "A,EMP_LOC_NR,C29,AT11\t1500 \t1600 p\n"
        "A,LOC_NR,C29,AT11\t12 \t13 \n",
    )
    cells, report = read_eurostat_tsv(path, indicator="EMP_LOC_NR", dimension="indic_sbs")
    assert cells.select("industry_code", "year", "employment").rows() == [
        ("29", 2021, 1500.0), ("29", 2022, 1600.0),
    ]  # fmt: skip
    assert report.flags == {"p": 1}
    with pytest.raises(InvalidInput, match="indicator 'V16110' not found") as caught:
        read_eurostat_tsv(path, dimension="indic_sbs")
    assert caught.value.problems[0].field == "indic_sbs"


def test_a_further_breakdown_keeps_its_total_or_is_refused(tmp_path: Path) -> None:
    header = "freq,indic_sbs,nace_r2,size_emp,geo\\TIME_PERIOD\t2021 \n"
    sized = _write(
        tmp_path / "sized.tsv.gz",
        header + "A,EMP_LOC_NR,C29,TOTAL,AT11\t1500 \n"
        "A,EMP_LOC_NR,C29,GE250,AT11\t1200 \nA,EMP_LOC_NR,C29,0-9,AT11\t300 \n",
    )
    cells, report = read_eurostat_tsv(sized, indicator="EMP_LOC_NR", dimension="indic_sbs")
    assert cells.get_column("employment").to_list() == [1500.0]  # not 3000: the parts left out
    assert any("size_emp: the total TOTAL kept" in str(w) for w in report.warnings)
    parts = _write(
        tmp_path / "parts.tsv.gz",
        header + "A,EMP_LOC_NR,C29,GE250,AT11\t1200 \nA,EMP_LOC_NR,C29,0-9,AT11\t300 \n",
    )
    with pytest.raises(InvalidInput, match="several size_emp values") as caught:
        read_eurostat_tsv(parts, indicator="EMP_LOC_NR", dimension="indic_sbs")
    problem = caught.value.problems[0]
    assert problem.field == "size_emp" and problem.file == str(parts)
