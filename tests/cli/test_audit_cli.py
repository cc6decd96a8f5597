"""Every writing command records one audit entry, by ``cli:<OS user name>``; reading ones none.

The directory and users commands run on both databases; the scoreboard import (which prepares
the whole observatory first) on SQLite.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import Settings, get_settings
from clusterhub.store.db import make_engine

runner = CliRunner()
CLI_ACTOR = f"cli:{getpass.getuser()}"


@pytest.fixture
def database(
    db_settings: Settings, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", db_settings.database_url)
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    monkeypatch.setenv("CLUSTERHUB_NEW_PASSWORD", "a long enough passphrase")
    get_settings.cache_clear()
    yield db_settings
    get_settings.cache_clear()


def entries(settings: Settings) -> list[dict[str, Any]]:
    """The audit log in order (plain SQL: the same query reads every schema version)."""
    engine = make_engine(settings)
    with engine.connect() as connection:
        rows = connection.execute(text("select * from audit_log order by id")).mappings().all()
    engine.dispose()
    return [dict(row) for row in rows]


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_users_create_is_recorded_as_the_command_line_user(database: Settings) -> None:
    invoke("users", "create", "ops@example.org", "--name", "Ops", "--role", "programme_officer")
    [entry] = entries(database)
    assert (entry["action"], entry["entity_type"]) == ("user.create", "user")
    assert entry.get("actor") == CLI_ACTOR and entry["user_id"] is None


def test_directory_commands_record_one_entry_each(database: Settings, tmp_path: Path) -> None:
    good = tmp_path / "orgs.csv"
    good.write_text("key,name,country\nk1,Alpha Cluster,DE\nk2,Beta Cluster,FR\n", "utf-8")
    invoke("directory", "import", "--source", "file", str(good), "--no-embed")
    invoke("directory", "import", "--source", "file", str(good), "--no-embed")
    invoke("directory", "export", str(tmp_path / "all.csv"))  # a read: no entry
    invoke("directory", "partnerships")
    invoke("directory", "demo", "--count", "3", "--no-embed")
    invoke("directory", "demo", "--remove")
    log = entries(database)
    assert [(e["action"], e["entity_type"], e["entity_id"]) for e in log] == [
        ("directory.import", "organisation", "file"),
        ("directory.import", "organisation", "file"),
        ("partnerships.import", "partnership", "partnerships"),
        ("directory.import", "organisation", "synthetic"),
        ("directory.remove_source", "organisation", "synthetic"),
    ]
    assert {e.get("actor") for e in log} == {CLI_ACTOR}
    first, again = (_details(e) for e in log[:2])
    assert (first["file"], first["created"], first["unchanged"]) == ("orgs.csv", 2, 0)
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert _details(log[2])["created"] == 23
    assert _details(log[4]) == {"removed": 3}


def test_a_refused_import_records_nothing(database: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("key,name,nuts_code\nk3,Gamma,XX99\n", "utf-8")
    assert runner.invoke(app, ["directory", "import", "--source", "file", str(bad)]).exit_code == 1
    assert entries(database) == []


def _details(entry: dict[str, Any]) -> dict[str, Any]:
    details = entry["details"]
    if isinstance(details, str):  # SQLite hands JSON back as text to plain SQL
        return dict(json.loads(details))
    return dict(details)


@pytest.fixture(scope="module")
def prepared_sqlite(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Settings]:
    """A SQLite database the scoreboard command prepares itself (observatory data loaded)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('auditcli') / 'cli.db'}"
    patch = pytest.MonkeyPatch()
    patch.setenv("CLUSTERHUB_DATABASE_URL", url)
    patch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()
    yield Settings(database_url=url)
    patch.undo()
    get_settings.cache_clear()


def test_scoreboard_import_is_recorded_and_first_start_loads_as_the_system(
    prepared_sqlite: Settings, tmp_path: Path
) -> None:
    good = tmp_path / "eqi.csv"
    good.write_text("region,indicator,year,value\nDE11,eqi,2021,0.8\n", encoding="utf-8")
    invoke("scoreboard", "import", str(good))
    log = entries(prepared_sqlite)
    loads = [e for e in log if e["action"] in ("observatory.load", "scoreboard.compute")]
    assert {e.get("actor") for e in loads} == {"system:bootstrap"}
    assert sorted(e["entity_id"] for e in loads) == [
        "computed", "eu-sbs", "eu-sbs-emerging", "us-states"
    ]  # fmt: skip
    [upload] = [e for e in log if e["action"] == "scoreboard.import"]
    assert upload.get("actor") == CLI_ACTOR and upload["entity_id"] == "user:eqi.csv"
    assert _details(upload) == {"file": "eqi.csv", "rows": 1, "indicators": ["eqi"]}
