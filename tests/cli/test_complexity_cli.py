"""``clusterhub complexity --input LONG.csv --out OUT.csv``: the interface acceptance checks use."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import get_settings
from clusterhub.stats.sources import read_sbs_csv

runner = CliRunner()


@pytest.fixture(autouse=True)
def _mirror(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()


REQUIRED = ["region", "industry", "year", "rca", "mcp", "density", "eci", "pci", "coi", "cog"]


def _long_csv(shared_data: Path, path: Path) -> pl.DataFrame:
    cells, _ = read_sbs_csv(shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv")
    frame = cells.filter(
        pl.col("industry_code").str.contains(r"^\d\d$")
        & (pl.col("region_code").str.len_chars() == 4)
        & pl.col("employment").is_not_null()
    ).select(
        region=pl.col("region_code"),
        industry=pl.col("industry_code"),
        year="year",
        value=pl.col("employment"),
    )
    frame.write_csv(path)
    return frame


def test_writes_one_row_per_region_industry_year(shared_data: Path, tmp_path: Path) -> None:
    frame = _long_csv(shared_data, tmp_path / "long.csv")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["complexity", "--input", str(tmp_path / "long.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out, schema_overrides={"industry": pl.String})
    assert set(REQUIRED) <= set(table.columns)
    regions, industries = frame["region"].n_unique(), frame["industry"].n_unique()
    assert table.height == regions * industries  # the full rectangle of the year
    assert table.select(pl.struct("region", "industry", "year").is_unique().all()).item()
    assert table.get_column("mcp").is_in([0, 1]).all()
    specialised = table.filter(pl.col("mcp") == 1)
    assert specialised.get_column("rca").min() >= 1  # type: ignore[operator]


def test_blank_values_are_refused_with_their_lines(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(
        "region,industry,year,value\nAT11,10,2015,5\nAT11,11,2015,\nAT12,10,20x5,3\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["complexity", "--input", str(source), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1
    text = "".join(result.output.split())  # Rich may wrap a long path anywhere
    assert f"{source}:3,field'value'" in text
    assert "blank-as-zero" in text
    assert f"{source}:4,field'year'" in text
    assert not (tmp_path / "o.csv").exists()


def test_blank_as_zero_reads_blanks_as_zero(tmp_path: Path) -> None:
    source = tmp_path / "blank.csv"
    rows = ["region,industry,year,value"]
    values = {"A": [10, 0, 3, 4, 6], "B": [1, 8, 0, 2, 5], "C": [2, 2, 9, 1, 7]}
    values |= {"D": [5, 1, 1, 7, 0], "E": [9, 6, 1, 1, 1]}
    for region, row in values.items():
        rows += [f"{region},I{i},2020,{v or ''}" for i, v in enumerate(row)]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "o.parquet"
    result = runner.invoke(
        app, ["complexity", "--input", str(source), "--out", str(out), "--blank-as-zero"]
    )
    assert result.exit_code == 0, result.output
    table = pl.read_parquet(out)
    assert table.filter((pl.col("region") == "A") & (pl.col("industry") == "I1"))["value"][0] == 0


def test_degenerate_input_is_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "one.csv"
    source.write_text("region,industry,year,value\nA,I1,2020,4\nA,I2,2020,5\n", encoding="utf-8")
    result = runner.invoke(
        app, ["complexity", "--input", str(source), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1
    assert "at least 2 regions" in result.output


def test_eurostat_sbs_source_computes_nuts2_by_division(tmp_path: Path) -> None:
    out = tmp_path / "sbs.csv"
    result = runner.invoke(
        app, ["complexity", "--source", "eurostat-sbs", "--region-type", "nuts2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "read as zero" in " ".join(result.output.split())
    table = pl.read_csv(out, schema_overrides={"industry": pl.String})
    assert table.get_column("region").str.len_chars().unique().to_list() == [4]
    assert table.get_column("industry").str.contains(r"^\d\d$").all()
    assert table.get_column("region").n_unique() > 250
    assert not table.get_column("region").str.ends_with("ZZ").any()  # extra-regio: no region
    assert table.get_column("eci").null_count() == 0


def test_long_source_needs_an_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["complexity", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "--input" in result.output


def test_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    utf16 = tmp_path / "sheet.csv"
    utf16.write_text("region,industry,year,value\nA,I1,2020,4\n", encoding="utf-16")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("région,industry,year,value\nA,I1,2020,4\n".encode("latin-1"))
    big = tmp_path / "big.csv"
    big.write_text("region,industry,year,value\nA,I1,2020,1e309\nB,I1,2020,inf\n", encoding="utf-8")
    expected = {utf16: "UTF-16", latin: "not UTF-8", big: "too large"}
    for source, message in expected.items():
        result = runner.invoke(
            app, ["complexity", "--input", str(source), "--out", str(tmp_path / "o.csv")]
        )
        assert result.exit_code == 1, (source, result.output)
        text = " ".join(result.output.split())
        assert message in text, text
        assert "Traceback" not in result.output
    big_text = "".join(
        runner.invoke(app, ["complexity", "--input", str(big), "--out", "o.csv"]).output.split()
    )
    assert f"{big}:3,field'value',value'inf':notanumber" in big_text


def test_digits_other_than_ascii_and_repeated_keys_are_clear_errors(tmp_path: Path) -> None:
    # Arabic-Indic digits pass a Unicode \d but no numeric cast: they once ended in a traceback.
    source = tmp_path / "digits.csv"
    source.write_text(
        "region,industry,year,value\nA,I1,2020,٣\nA,I2,٢٠٢٠,4\nB,I1,2020,1\nB,I1,2020,2\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["complexity", "--input", str(source), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1, result.output
    text = "".join(result.output.split())
    assert f"{source}:2,field'value'" in text
    assert f"{source}:3,field'year'" in text
    assert f"{source}:5,field'industry'" in text and "firstonline4" in text
    assert "Traceback" not in result.output
