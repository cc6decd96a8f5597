"""``clusterhub scoreboard``: a region's table and CSV; imports refused with line and field."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from tests.cli.database import commands_database

runner = CliRunner()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Path]:
    """A SQLite file the commands prepare themselves (as the server would on first start)."""
    with commands_database(tmp_path_factory.mktemp("sbcli"), shared_data) as folder:
        yield folder


def test_region_shorthand_prints_the_dimensions_and_writes_csv(database: Path) -> None:
    out = database / "de11.csv"
    result = runner.invoke(app, ["scoreboard", "DE11", "--peers", "DE21,ITC4", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "Stuttgart" in result.output and "Collaboration and" in result.output
    assert "DE21" in result.output and "peers chosen by the user" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["kind"] for r in rows} == {"dimension", "indicator"} and "country_level" in rows[0]
    # Each indicator's C flag, and each dimension's share of country-level values, are printed.
    assert re.search(r"h2020_private_share\s*│\s*C\s*│", result.output)
    assert re.search(r"sbs_kis_share\s*│\s*│", result.output)
    assert re.search(r"Collaboration and.*│\s*100%\s*│", result.output)


def test_import_of_a_missing_file_is_a_clear_error_not_a_traceback(database: Path) -> None:
    missing = database / "missing.tsv"
    for args in (["--eurostat", "gerd_gdp"], []):
        result = runner.invoke(app, ["scoreboard", "import", str(missing), *args])
        assert result.exit_code == 2, result.output  # the CLI's exit code for "not found"
        assert "no file" in result.output and "missing.tsv" in result.output
        assert "Traceback" not in result.output and result.exception.__class__ is SystemExit


def test_import_refuses_a_bad_file_and_takes_a_good_one(database: Path) -> None:
    bad = database / "bad.csv"
    bad.write_text("region,indicator,year,value\nDE11,eqi,2021,high\n", encoding="utf-8")
    refused = runner.invoke(app, ["scoreboard", "import", str(bad)])
    assert refused.exit_code == 1
    assert "bad.csv:2" in refused.output and "field 'value'" in refused.output
    good = database / "good.csv"
    good.write_text("region,indicator,year,value\nDE11,eqi,2021,0.8\n", encoding="utf-8")
    taken = runner.invoke(app, ["scoreboard", "import", str(good)])
    assert taken.exit_code == 0 and "imported 1 values" in taken.output
    shown = runner.invoke(app, ["scoreboard", "show", "DE11"])
    assert shown.exit_code == 0 and re.search(r"\beqi\b.*2021.*0\.8", shown.output)
    assert runner.invoke(app, ["scoreboard", "DE11", "--method", "rank"]).exit_code == 1
