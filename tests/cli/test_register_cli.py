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
