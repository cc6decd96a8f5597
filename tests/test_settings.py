"""Settings that production refuses, and how refusals reach people: one readable message per
problem, naming the variable, never a traceback or a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from clusterhub.config import Settings, get_settings
from clusterhub.errors import InvalidInput

CLUSTERHUB = Path(sys.executable).parent / "clusterhub"
SMTP_PASSWORD = "do-not-print-this-9f27"
PRODUCTION = {
    "CLUSTERHUB_ENVIRONMENT": "production",
    "CLUSTERHUB_SECRET_KEY": "k9Q-2vXr8LmZ0pT4wYbN6cHjU1sDfGaE3oIqRtVyW5x",
    "CLUSTERHUB_PUBLIC_URL": "https://hub.example.org",
    "CLUSTERHUB_MAIL_BACKEND": "smtp",
    "CLUSTERHUB_SMTP_HOST": "mail.example.org",
    "CLUSTERHUB_SMTP_USERNAME": "hub",
    "CLUSTERHUB_SMTP_PASSWORD": SMTP_PASSWORD,
    "CLUSTERHUB_MAIL_FROM": "clusterhub <hub@example.org>",
}


def _run(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERHUB_")}
    clean["CLUSTERHUB_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    return subprocess.run(
        [str(CLUSTERHUB), "users", "create", "a@example.org"],
        env={**clean, **env, "CLUSTERHUB_NEW_PASSWORD": "a long enough passphrase"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_refused_settings_print_one_readable_message_per_problem(tmp_path: Path) -> None:
    env = {**PRODUCTION, "CLUSTERHUB_SECRET_KEY": "short", "CLUSTERHUB_MAIL_BACKEND": "console"}
    result = _run(env, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr
    text = " ".join(result.stderr.split())
    assert "CLUSTERHUB_SECRET_KEY has 5 characters; it needs at least 32" in text
    assert "CLUSTERHUB_MAIL_BACKEND must be 'smtp' in production" in text
    assert SMTP_PASSWORD not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (" " * 32, "estimated 0 bits"),
        ("a" * 64, "estimated 0 bits"),
        ("ab" * 32, "estimated 64 bits"),
        ("development-only-secret-change-me-and-more", "is the development default"),
    ],
)
def test_production_refuses_a_predictable_secret_with_a_readable_message(
    tmp_path: Path, secret: str, reason: str
) -> None:
    result = _run({**PRODUCTION, "CLUSTERHUB_SECRET_KEY": secret}, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    text = " ".join(result.stderr.split())
    assert "CLUSTERHUB_SECRET_KEY" in text and reason in text, text
    assert "secrets.token_urlsafe(48)" in text


def test_production_starts_with_complete_smtp_settings(tmp_path: Path) -> None:
    result = _run(PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "created a@example.org" in result.stdout


def _refusals(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)  # type: ignore[arg-type]
    return str(caught.value)


def _production(**values: object) -> dict[str, object]:
    base = {k.removeprefix("CLUSTERHUB_").lower(): v for k, v in PRODUCTION.items()}
    base["smtp_password"] = SecretStr(SMTP_PASSWORD)
    return {**base, **values}


@pytest.mark.parametrize("backend", ["console", "file"])
def test_production_refuses_mail_that_would_leak_links_or_go_nowhere(backend: str) -> None:
    message = _refusals(**_production(mail_backend=backend))
    assert "CLUSTERHUB_MAIL_BACKEND must be 'smtp' in production" in message
    assert "reset links" in message


def test_production_refuses_an_smtp_password_over_an_unencrypted_connection() -> None:
    message = _refusals(**_production(smtp_security="none"))
    assert "would send the SMTP password unencrypted" in message
    relay = Settings(**_production(smtp_security="none", smtp_username=""))  # type: ignore[arg-type]
    assert relay.smtp_security == "none"  # a local relay without log-in is fine


def test_production_refuses_the_development_sender() -> None:
    message = _refusals(**_production(mail_from="clusterhub <no-reply@clusterhub.invalid>"))
    assert "CLUSTERHUB_MAIL_FROM must be set to a real sender address" in message


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"mail_backend": "smtp"}, "CLUSTERHUB_SMTP_HOST must name the SMTP server"),
        ({"mail_from": "not an address"}, "CLUSTERHUB_MAIL_FROM must be an e-mail address"),
        ({"smtp_ca_file": "/nowhere/ca.pem"}, "CLUSTERHUB_SMTP_CA_FILE: no file at /nowhere"),
    ],
)
def test_every_environment_refuses_unusable_mail_settings(
    values: dict[str, object], expected: str
) -> None:
    assert expected in _refusals(**values)


def test_the_smtp_password_is_never_shown() -> None:
    settings = Settings(**_production())  # type: ignore[arg-type]
    assert SMTP_PASSWORD not in repr(settings) and SMTP_PASSWORD not in str(settings)
    assert settings.smtp_password.get_secret_value() == SMTP_PASSWORD


def test_get_settings_names_each_variable_without_echoing_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**PRODUCTION, "CLUSTERHUB_SMTP_PORT": "seventy"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(InvalidInput) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    [problem] = caught.value.problems
    assert problem.field == "CLUSTERHUB_SMTP_PORT" and "valid integer" in problem.message
    assert SMTP_PASSWORD not in str(caught.value) and "seventy" not in str(caught.value)


def test_an_empty_mirror_variable_means_no_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh machine's ``make run`` used to pass CLUSTERHUB_DATA_MIRROR="" (no ../shared):
    read as the working directory, nothing was ever downloaded."""
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", "")
    assert Settings().data_mirror is None
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", "/srv/mirror")
    assert Settings().data_mirror == Path("/srv/mirror")


def _make_mirror(mirror: Path) -> str:
    """What ``make`` exports as CLUSTERHUB_DATA_MIRROR with ``MIRROR=mirror``."""
    env = {k: v for k, v in os.environ.items() if k != "CLUSTERHUB_DATA_MIRROR"}
    makefile = Path(__file__).resolve().parents[1] / "Makefile"
    show = "show: ; @echo [$${CLUSTERHUB_DATA_MIRROR-unset}]"  # unset, not empty
    command = ["make", "-s", "-f", str(makefile), "--eval", show, "show", f"MIRROR={mirror}"]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout


def test_make_exports_no_mirror_where_there_is_none(tmp_path: Path) -> None:
    assert _make_mirror(tmp_path / "absent").strip() == "[unset]"
    assert _make_mirror(tmp_path).strip() == f"[{tmp_path}]"
