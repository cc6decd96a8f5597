"""The CLI as a user runs it: stable command names and columns, clear errors, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import get_settings
from tests.shipped import shipped

runner = CliRunner()


@pytest.fixture(autouse=True)
def _mirror(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def eu_parquet(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("cli") / "eu.parquet"
    get_settings.cache_clear()  # runs before the autouse fixture: read the mirror here too
    result = runner.invoke(
        app,
        ["map", "--source", "eurostat-sbs", "--out", str(out)],
        env={"CLUSTERHUB_DATA_MIRROR": str(shared_data)},
    )
    assert result.exit_code == 0, result.output
    return out


def test_map_writes_the_stable_columns_in_every_format(tmp_path: Path, eu_parquet: Path) -> None:
    source = shipped("cmp-states")
    for suffix in (".csv", ".json"):
        out = tmp_path / f"us{suffix}"
        result = runner.invoke(
            app, ["map", "--source", "cmp-states", "--input", str(source), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        table = pl.read_csv(out) if suffix == ".csv" else pl.read_json(out)
        assert {
            "region_code",
            "cluster_code",
            "year",
            "employment",
            "lq",
            "strong",
            "strong10",
            "stars",
        } <= set(table.columns)
        assert table.height == 3350
    eu = pl.read_parquet(eu_parquet)
    assert eu.height > 20000


def test_region_and_cluster_print_profiles(eu_parquet: Path) -> None:
    result = runner.invoke(app, ["region", "DE11", "--map", str(eu_parquet), "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "Stuttgart" in result.output and "Automotive" in result.output
    result = runner.invoke(app, ["cluster", "4", "--map", str(eu_parquet), "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "Automotive" in result.output and "regions by stars" in result.output


def test_region_profile_of_a_u_s_state_computed_on_the_fly() -> None:
    result = runner.invoke(app, ["region", "06", "--source", "cmp-states", "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "California" in result.output


def test_map_html_is_self_contained(tmp_path: Path, eu_parquet: Path) -> None:
    out = tmp_path / "automotive.html"
    result = runner.invoke(
        app, ["map-html", "--cluster", "4", "--out", str(out), "--map", str(eu_parquet)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert '"type":"choropleth"' in html and "DE11" in html
    assert html.index("window.PlotlyGeoAssets") < html.index("Plotly.newPlot")
    # plotly.js is embedded (its source mentions a topojson CDN as a default it never uses
    # for choroplethmap); the page itself loads nothing from elsewhere.
    assert "<script src=" not in html.replace('<script src="data:', "")
    assert "<link " not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["region", "XX99"], "no region with code 'XX99'"),
        (["cluster", "999"], "no cluster with code '999'"),
        (["map", "--source", "bogus", "--out", "x.csv"], "field 'source'"),
        (["map", "--out", "x.xlsx"], "expected a file ending in .csv, .parquet, .json"),
        (["map", "--source", "long", "--out", "x.csv"], "a long table needs --input"),
        (["map", "--source", "long", "--input", "nowhere.csv", "--out", "x.csv"], "does not exist"),
        (["map-html", "--cluster", "4", "--out", "x.html", "--measure", "x"], "field 'measure'"),
    ],
)
def test_bad_input_gives_a_clear_error_and_no_traceback(
    args: list[str], message: str, eu_parquet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if args[0] in ("region", "cluster", "map-html"):
        args = [*args, "--map", str(eu_parquet)]
    result = runner.invoke(app, args)
    assert result.exit_code in (1, 2), result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.csv").exists()


def test_malformed_input_file_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "sbs.csv"
    bad.write_text("nace_r2;geo;n2015\nC20;AT;12\nC21;AT;-5\n", encoding="utf-8")
    result = runner.invoke(app, ["map", "--input", str(bad), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert f"{bad}:3" in result.output.replace("\n", "")
    assert "n2015" in result.output
    assert not (tmp_path / "o.csv").exists()


def test_users_create_makes_a_site_admin_and_refuses_bad_input(tmp_path: Path) -> None:
    env = {"CLUSTERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}"}
    get_settings.cache_clear()
    ok = runner.invoke(
        app,
        ["users", "create", "Admin@Example.org", "--name", "Ada"],
        env={**env, "CLUSTERHUB_NEW_PASSWORD": "a long enough passphrase"},
    )
    assert ok.exit_code == 0, ok.output
    assert "admin@example.org (site_admin)" in ok.output
    engine = create_engine(env["CLUSTERHUB_DATABASE_URL"])
    with engine.connect() as connection:  # the CLI's accounts need no e-mail verification
        verified = connection.execute(text("SELECT email_verified_at FROM users")).scalar_one()
    engine.dispose()
    assert verified is not None
    get_settings.cache_clear()
    again = runner.invoke(
        app,
        ["users", "create", "admin@example.org"],
        env={**env, "CLUSTERHUB_NEW_PASSWORD": "a long enough passphrase"},
    )
    assert again.exit_code == 1 and "Traceback" not in again.output
    get_settings.cache_clear()
    short = runner.invoke(
        app,
        ["users", "create", "b@example.org", "--role", "emperor"],
        env={**env, "CLUSTERHUB_NEW_PASSWORD": "x"},
    )
    assert short.exit_code == 1 and "role" in short.output
    get_settings.cache_clear()
