"""``clusterhub directory``: idempotent imports, bad files named by line, nothing half-done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import Settings, get_settings
from clusterhub.store.db import make_engine, make_session_factory
from clusterhub.store.models import Organisation, OrganisationRevision, Partnership

runner = CliRunner()


@pytest.fixture
def database(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", url)
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()
    yield Settings(database_url=url)
    get_settings.cache_clear()


def counts(settings: Settings) -> tuple[int, int]:
    """Profiles and revisions stored."""
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        found = (
            int(session.scalar(select(func.count()).select_from(Organisation)) or 0),
            int(session.scalar(select(func.count()).select_from(OrganisationRevision)) or 0),
        )
    engine.dispose()
    return found


def invoke(*args: str) -> str:
    result = runner.invoke(app, ["directory", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cmp_import_twice_changes_nothing_the_second_time(database: Settings) -> None:
    first = invoke("import", "--source", "cmp-orgs", "--no-embed")
    assert "created" in first and "145" in first
    before = counts(database)
    assert before[0] == 145
    second = invoke("import", "--source", "cmp-orgs", "--no-embed")
    assert counts(database) == before
    assert "unchanged" in second


def test_file_import_export_and_a_bad_file(database: Settings, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("key,name,country\nk1,Alpha Cluster,DE\nk2,Beta Cluster,FR\n", "utf-8")
    invoke("import", "--source", "file", str(good), "--no-embed")
    out = tmp_path / "all.json"
    invoke("export", str(out))
    invoke("import", "--source", "file", str(out), "--no-embed")
    assert counts(database) == (2, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text("key,name,nuts_code\nk3,Gamma,DE21\nk4,Delta,XX99\n", "utf-8")
    result = runner.invoke(app, ["directory", "import", "--source", "file", str(bad)])
    assert result.exit_code == 1
    assert "bad.csv:3" in result.output and "nuts_code" in result.output
    assert counts(database) == (2, 2)
    missing = runner.invoke(app, ["directory", "import", "--source", "file"])
    assert missing.exit_code == 1 and "PATH" in missing.output


def test_partnerships_and_demo_profiles(database: Settings) -> None:
    invoke("partnerships")
    invoke("demo", "--count", "20", "--seed", "5", "--no-embed")
    invoke("demo", "--count", "20", "--seed", "5", "--no-embed")
    assert counts(database)[0] == 20
    engine = make_engine(database)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Partnership)) == 23
        assert all(session.scalars(select(Organisation.is_synthetic)))
    engine.dispose()
    assert "20" in invoke("demo", "--remove")
    assert counts(database)[0] == 0
