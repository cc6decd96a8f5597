"""``clusterhub register``: an establishment register to a cluster map, rows accounted for."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import get_settings
from tests.register_files import sirene, write

runner = CliRunner()


@pytest.fixture(autouse=True)
def _mirror(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()


def places(tmp_path: Path) -> Path:
    return write(tmp_path / "lau.csv", ["NUTS 3 CODE;LAU CODE", "FR101;75056", "FRK26;69123"])


def test_writes_the_map_and_the_cells_and_reports_every_row(tmp_path: Path) -> None:
    register, out, cells = sirene(tmp_path), tmp_path / "map.csv", tmp_path / "cells.parquet"
    result = runner.invoke(
        app,
        [
            "register", "--input", str(register.path), "--places", str(places(tmp_path)),
            "--year", "2021", "--out", str(out), "--cells-out", str(cells),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "9 establishment rows read; 4 placed in a region" in text
    assert "1 not counted: closed establishment" in text
    table = pl.read_csv(out)
    services = table.filter(
        (pl.col("region_code") == "FR101") & (pl.col("cluster_name") == "Business Services")
    )
    assert services.get_column("employment").to_list() == [36.0]
    # Band midpoints are estimates: the cell is fully estimated and its stars are withheld.
    assert services.get_column("estimated_share").to_list() == [1.0]
    assert services.get_column("stars").to_list() == [0]
    assert pl.read_parquet(cells).height == 3


def test_a_missing_correspondence_is_named(tmp_path: Path) -> None:
    register = sirene(tmp_path)
    result = runner.invoke(
        app,
        [
            "register", "--input", str(register.path), "--places", str(tmp_path / "none.csv"),
            "--year", "2021", "--out", str(tmp_path / "map.csv"),
        ],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "none.csv does not exist" in result.output


def test_the_cells_map_later_as_a_long_table_exactly_as_the_register_does(tmp_path: Path) -> None:
    register, cells = sirene(tmp_path), tmp_path / "cells.parquet"
    common = ["--input", str(register.path), "--places", str(places(tmp_path)), "--year", "2021"]
    staged = runner.invoke(app, ["register", *common, "--cells-out", str(cells)])
    assert staged.exit_code == 0, staged.output
    assert "9 establishment rows read; 4 placed in a region" in " ".join(staged.output.split())
    direct = runner.invoke(app, ["register", *common, "--out", str(tmp_path / "direct.csv")])
    later = runner.invoke(
        app,
        ["map", "--source", "long", "--input", str(cells), "--out", str(tmp_path / "later.csv")],
    )
    assert direct.exit_code == 0 and later.exit_code == 0, later.output
    later_map = pl.read_csv(tmp_path / "later.csv")
    assert later_map.equals(pl.read_csv(tmp_path / "direct.csv"))
    assert later_map.get_column("estimated_share").max() == 1.0  # the estimates survived


def test_sic_registers_write_cells_and_are_not_mapped(tmp_path: Path) -> None:
    lines = ["id,activity,location,employees", "a,7371,75056,4", "b,7372,69123,2"]
    common = [
        "register", "--layout", "generic", "--classification", "sic", "--version", "1987",
        "--input", str(write(tmp_path / "sic.csv", lines)), "--places", str(places(tmp_path)),
        "--year", "2020",
    ]  # fmt: skip
    cells = tmp_path / "cells.csv"
    written = runner.invoke(app, [*common, "--cells-out", str(cells)])
    assert written.exit_code == 0, written.output
    assert pl.read_csv(cells).select("industry_code", "employment").rows() == [
        (7371, 4.0),
        (7372, 2.0),
    ]
    mapped = runner.invoke(app, [*common, "--out", str(tmp_path / "map.csv")])
    assert mapped.exit_code != 0
    assert "SIC-coded cells cannot be mapped" in " ".join(mapped.output.split())
    neither = runner.invoke(app, common)
    assert neither.exit_code != 0 and "--cells-out" in neither.output
