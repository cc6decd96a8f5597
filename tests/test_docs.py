"""Generated reference docs stay true: regenerate them and compare (``make docs`` updates)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clusterhub.config import settings_reference
from clusterhub.services.write_actions import actions

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_settings_reference_is_current() -> None:
    assert (DOCS / "reference" / "settings.md").read_text(encoding="utf-8") == settings_reference()


def test_cli_reference_is_current(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run(
        [sys.executable, "-m", "typer", "clusterhub.cli", "utils", "docs", "--name",
         "clusterhub", "--output", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    current = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert current == out.read_text(encoding="utf-8"), "run `make docs`"


def test_methodology_names_every_star_rule_and_default() -> None:
    text = (DOCS / "methodology.md").read_text(encoding="utf-8")
    for phrase in ("R-7", "lq ≥ 2", "Q90", "strong10", "Benchmark", "imputed_share"):
        assert phrase in text or phrase.lower() in text.lower(), phrase


def test_accounts_reference_names_every_audit_action() -> None:
    text = (DOCS / "reference" / "accounts.md").read_text(encoding="utf-8")
    missing = [action for action in actions() if f"`{action}`" not in text]
    assert not missing, f"docs/reference/accounts.md does not name {missing}"
