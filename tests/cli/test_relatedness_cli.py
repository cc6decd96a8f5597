"""``clusterhub related-clusters`` and ``clusterhub diversify`` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import get_settings
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade

runner = CliRunner()


@pytest.fixture(autouse=True)
def _mirror(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    monkeypatch.setenv("CLUSTERHUB_ENVIRONMENT", "test")
    get_settings.cache_clear()


def test_related_clusters_prints_the_overlap_and_writes_the_pairs(tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    result = runner.invoke(app, ["related-clusters", "--source", "cmp-states", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "published related pairs" in result.output and "128" in result.output
    assert "expected overlap by chance" in result.output
    pairs = pl.read_csv(out, schema_overrides={"cluster_a": pl.String, "cluster_b": pl.String})
    assert pairs.height == 1275
    assert {"cluster_a", "cluster_b", "proximity", "related", "colocation"} <= set(pairs.columns)
    assert pairs.get_column("related").sum() == 128


def test_related_clusters_refuses_an_unknown_source() -> None:
    result = runner.invoke(app, ["related-clusters", "--source", "nuts3"])
    assert result.exit_code == 1 and "expected one of cmp-states, eurostat-sbs" in result.output


def test_diversify_tells_how_to_fill_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["diversify", "DE11"])
    assert result.exit_code == 2
    assert "clusterhub serve" in result.output and "Traceback" not in result.output


def test_diversify_a_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, us_map: ClusterMap
) -> None:
    url = f"sqlite:///{tmp_path / 'us.db'}"
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(get_settings())
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        load_cluster_map(session, key="us-states", title="U.S. states", result=us_map, by=BOOTSTRAP)
    engine.dispose()
    result = runner.invoke(app, ["diversify", "26", "--limit", "4"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Michigan" in result.output and "Automotive (4)" in result.output  # specialised
    assert "strong in other" in result.output and "strong abroad" not in result.output
    assert "Diversification paths" in result.output and "local cluster(s) left out" in result.output
    unknown = runner.invoke(app, ["diversify", "XX9"])
    assert unknown.exit_code == 2 and "no region" in unknown.output
