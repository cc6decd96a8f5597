"""``clusterhub s3``: import refused with file, line and field, then taken; a region's
comparison and partners; the assistant without a database; the seed facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.cli._console import console
from tests.cli.database import commands_database

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """Tables 200 columns wide whatever the worker's terminal (an xdist worker's console may
    have fixed its width at 80 when it was created), so cells are not wrapped."""
    kept = console._width
    console.width = 200
    yield
    console._width = kept


FIXTURES = Path(__file__).resolve().parents[1] / "data" / "s3"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Path]:
    """A SQLite file the commands prepare themselves (as the server would on first start)."""
    with commands_database(tmp_path_factory.mktemp("s3cli"), shared_data) as folder:
        yield folder


def test_import_refuses_a_bad_file_then_the_region_compares(database: Path) -> None:
    bad = database / "bad.csv"
    bad.write_text(
        "region,period,strategy_title,source,priority,nace\nES21,2014-2020,S,src,P,35.19\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["s3", "import", str(bad)])
    assert refused.exit_code == 1, refused.output
    assert "bad.csv:2" in refused.output and "field 'nace'" in refused.output
    for name in ("priorities.csv", "partnerships.csv"):
        taken = runner.invoke(app, ["s3", "import", str(FIXTURES / name)])
        assert taken.exit_code == 0, taken.output
    shown = runner.invoke(app, ["s3", "region", "ES21"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "País Vasco" in shown.output and "SYNTHETIC" in shown.output
    assert "priority without a cluster base" in shown.output and "Energy" in shown.output
    assert "Partner regions" in shown.output and "DE11" in shown.output


def test_code_proposes_wind_power_without_a_database(database: Path) -> None:
    result = runner.invoke(
        app, ["s3", "code", "Offshore wind energy", "--keyword", "--top", "3"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "35.11 (D35)" in result.output and "Wind Electric Power Generation [wind]" in result.output
    )
    assert "keyword matching" in result.output and "confirms" in result.output


def test_facts_say_what_the_seed_states(database: Path) -> None:
    result = runner.invoke(app, ["s3", "facts"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "70 regions in 15 thematic areas" in result.output and "names none" in result.output
