"""``clusterhub map-html`` draws U.S. CMP data on the shipped Census state and county shapes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from clusterhub.cli import app
from tests.shipped import shipped


def test_map_html_draws_the_states_offline(tmp_path: Path) -> None:
    out = tmp_path / "states.html"
    args = ["map-html", "--cluster", "4", "--source", "cmp-states", "--region-type", "state"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '"featureidkey":"properties.code"' in page and '"albers usa"' in page
    assert '"name":"Michigan"' in page and "usa_110m" in page  # polygons; empty base map


def test_map_html_draws_a_county_file(tmp_path: Path) -> None:
    counties = tmp_path / "counties.csv"
    pl.read_csv(shipped("cmp-states"), infer_schema=False).with_columns(
        region_type_t=pl.lit("county"), region_code_t=pl.col("region_code_t") + "163"
    ).write_csv(counties)  # 26163 is Wayne County, Michigan
    out = tmp_path / "counties.html"
    args = ["map-html", "--cluster", "4", "--source", "cmp-states", "--input", str(counties)]
    result = CliRunner().invoke(app, [*args, "--region-type", "county", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert '"code":"26163","name":"Wayne"' in out.read_text(encoding="utf-8")


def test_a_region_type_without_shapes_is_refused(tmp_path: Path) -> None:
    areas = tmp_path / "msa.csv"
    pl.read_csv(shipped("cmp-states"), infer_schema=False).with_columns(
        region_type_t=pl.lit("msa"), region_code_t="1" + pl.col("region_code_t") + "00"
    ).write_csv(areas)
    args = ["map-html", "--cluster", "4", "--source", "cmp-states", "--input", str(areas)]
    result = CliRunner().invoke(app, [*args, "--region-type", "msa", "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "expected a region type with polygons" in result.output
