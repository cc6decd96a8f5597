"""``clusterhub backup`` and ``clusterhub restore`` as an operator runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import Settings, get_settings
from clusterhub.services.accounts.users import create_user
from clusterhub.services.audit import Actor
from clusterhub.services.directory import sources
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.conftest import migrated_database
from tests.table_compare import as_restored, differences, snapshot

runner = CliRunner()

CLI = Actor.command_line()


@pytest.fixture(autouse=True)
def _mirror(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()


def _run(database: Settings, *args: str, answer: str | None = None) -> tuple[int, str]:
    get_settings.cache_clear()
    result = runner.invoke(
        app,
        list(args),
        env={"CLUSTERHUB_DATABASE_URL": database.database_url, "COLUMNS": "400"},
        input=answer,
    )
    get_settings.cache_clear()
    return result.exit_code, " ".join(result.output.split())


def test_back_up_then_restore_onto_a_new_machine(
    tmp_path: Path, reference: ReferenceData, catalogues: Catalogues
) -> None:
    with migrated_database("sqlite", tmp_path / "source") as source:
        with transaction(make_session_factory(make_engine(source))) as session:
            sources.load_cmp_organisations(
                session,
                path=reference.fetch("cmp-orgs"),
                catalogues=catalogues,
                embedder=None,
                by=CLI,
            )
            create_user(session, email="ops@example.org", display_name="Ops", password="x" * 12)
        expected = snapshot(source)
        file = tmp_path / "nightly.zip"
        code, output = _run(source, "backup", str(file))
        assert code == 0, output
        assert "wrote" in output and "sqlite" in output
        code, output = _run(source, "backup", str(file))
        assert code == 1 and "exists already" in output and "Traceback" not in output
        fresh = Settings(database_url=f"sqlite:///{tmp_path / 'new' / 'clusterhub.db'}")
        code, output = _run(fresh, "restore", str(file), "--yes")
        assert code == 0, output
        assert "restored" in output and "keyword index rebuilt for 145 profiles" in output
        restored = snapshot(fresh)
        entry = restored["audit_log"].pop()  # the restore records itself, by the command line
        assert (entry["action"], entry["actor"]) == ("database.restore", CLI.name)
        assert differences(as_restored(expected), restored) == []


def test_restore_asks_first_and_a_no_changes_nothing(tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path / "db") as database:
        with transaction(make_session_factory(make_engine(database))) as session:
            create_user(session, email="a@example.org", display_name="A", password="x" * 12)
        file = tmp_path / "b.zip"
        assert _run(database, "backup", str(file), "--format", "logical")[0] == 0
        with transaction(make_session_factory(make_engine(database))) as session:
            create_user(session, email="later@example.org", display_name="L", password="x" * 12)
        before = snapshot(database)
        code, output = _run(database, "restore", str(file), answer="n\n")
        assert code == 1 and "Replace every clusterhub table of sqlite:///" in output
        assert "logical, from sqlite" in output and "Aborted" in output
        assert differences(before, snapshot(database)) == []
        code, output = _run(database, "restore", str(file), answer="y\n")
        assert code == 0, output
        assert len(snapshot(database)["users"]) == 1


def test_a_damaged_backup_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path / "db") as database:
        file = tmp_path / "b.zip"
        assert _run(database, "backup", str(file))[0] == 0
        file.write_bytes(file.read_bytes()[:-100])
        code, output = _run(database, "restore", str(file), "--yes")
        assert code == 1
        assert f"error: {file}: not a clusterhub backup" in output
        assert "Traceback" not in output
        code, output = _run(database, "backup", str(tmp_path / "c.zip"), "--format", "xml")
        assert code == 1 and "expected one of native, logical" in output


def test_the_command_line_starts_without_loading_the_backup_machinery() -> None:
    code = "import sys, clusterhub.cli; print('clusterhub.store.backup' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
