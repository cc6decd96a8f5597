"""The command line on a map of several years (the ten-year stand-in series): the year shown
of the years there are, and growth with its period or the reason there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import get_settings
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.profiles import write_table

runner = CliRunner()


@pytest.fixture(scope="module")
def series_file(tmp_path_factory: pytest.TempPathFactory, sbs_series_map: ClusterMap) -> Path:
    return write_table(sbs_series_map.table, tmp_path_factory.mktemp("cli") / "series.csv")


@pytest.fixture(autouse=True)
def _mirror(sbs_series_mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(sbs_series_mirror))
    get_settings.cache_clear()


def _words(output: str) -> str:
    """The output with its line breaks folded (captions wrap at the terminal's width)."""
    return " ".join(output.split())


def test_a_profile_names_its_year_and_growth_period(series_file: Path) -> None:
    result = runner.invoke(app, ["region", "FRJ2", "--map", str(series_file), "--year", "2020"])
    assert result.exit_code == 0, result.output
    assert "year 2020 of 2013–2022 (another with --year)" in _words(result.output)
    assert "growth: compound annual growth per year 2015–2020 (CAGR)" in _words(result.output)
    assert "+8.4 %" in result.output  # tobacco: (1500 / 1000) ** (1 / 5) - 1
    early = runner.invoke(app, ["cluster", "43", "--map", str(series_file), "--year", "2016"])
    assert early.exit_code == 0, early.output
    words = _words(early.output)
    assert "growth: none for 2016, the map has no figures for its start year" in words
    assert "growth per year" not in words and "+" not in early.output


def test_map_from_the_series_writes_every_year_and_says_the_break(tmp_path: Path) -> None:
    out = tmp_path / "map.parquet"
    result = runner.invoke(app, ["map", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "series break in 2021: sbs_r_nuts06_r2 up to 2020, sbs_r_nuts2021 from 2021" in (
        _words(result.output)
    )
