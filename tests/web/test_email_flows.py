"""The e-mail flows through the web app against a real SMTP server (STARTTLS with log-in), on
SQLite and PostgreSQL: register -> mail -> link -> verified; what unverified accounts are
refused; resend; reset -> mail -> link -> new password; and mail failures told, never 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from clusterhub.config import Settings
from clusterhub.services.accounts.users import VERIFY_FIRST
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry, User
from clusterhub.web.app import create_app
from tests.conftest import with_smtp
from tests.smtp_server import USER, LocalSmtp, Received, free_port
from tests.web.test_accounts import (  # noqa: F401 - cheap_hashing is an autouse fixture
    NEW_PASSWORD,
    PASSWORD,
    _login,
    _logout,
    _post,
    _register,
    _token,
    cheap_hashing,
)

VERIFY = re.compile(r"^http://testserver(/account/verify/[A-Za-z0-9_-]{43})$")
RESET = re.compile(r"^http://testserver(/account/password-reset/[A-Za-z0-9_-]{43})$")
BANNER = "Please verify your e-mail address."
MAIL_FAILED = "We could not send the e-mail. Please try again in a few minutes."


@pytest.fixture
def base_settings(db_settings: Settings, mirror_settings: Settings, tmp_path: Path) -> Settings:
    return db_settings.model_copy(
        update={
            "data_mirror": mirror_settings.data_mirror, "state_dir": tmp_path,
            "login_attempts": 3, "embed_in_background": False,
        }
    )  # fmt: skip


@pytest.fixture
def web(
    base_settings: Settings, smtp_server: LocalSmtp, smtp_tls: tuple[Path, Path]
) -> Iterator[TestClient]:
    settings = with_smtp(base_settings, smtp_server, smtp_tls[0])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _link(mail: Received, pattern: re.Pattern[str]) -> str:
    [url] = mail.links
    found = pattern.match(url)
    assert found, url
    return found.group(1)


def _verification(server: LocalSmtp, to: str) -> list[Received]:
    return [
        m for m in server.received
        if m.recipients == [to] and m.message["Subject"] == "Verify your clusterhub e-mail address"
    ]  # fmt: skip


def _actions(client: TestClient) -> list[str]:
    with transaction(client.app.state.sessions) as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- verification ---------------------------------------------------------------------------------


def test_register_mail_link_verified(web: TestClient, smtp_server: LocalSmtp) -> None:
    page = web.post(
        "/account/register",
        data={"csrf_token": _token(web, "/account/register"), "email": "Nina@Example.org",
              "display_name": "Nina", "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    assert page.status_code == 303 and page.headers["location"] == "/account?saved=registered"
    account = web.get(page.headers["location"]).text
    assert "We sent a link to your e-mail address" in account
    assert BANNER in account and "(not verified yet)" in account
    assert BANNER in web.get("/").text  # on every page
    [mail] = _verification(smtp_server, "nina@example.org")
    assert mail.tls and mail.logged_in_as == USER and mail.sender == "hub@example.org"
    link = _link(mail, VERIFY)

    with TestClient(web.app, raise_server_exceptions=False) as phone:  # opened elsewhere
        opened = phone.get(link, follow_redirects=False)
        assert opened.status_code == 303
        assert opened.headers["location"] == "/account/login?saved=verified"
        assert opened.headers["referrer-policy"] == "no-referrer"
        assert "Your e-mail address is verified." in phone.get(opened.headers["location"]).text
        again = phone.get(link)
        assert again.status_code == 400 and "This link no longer works" in again.text

    account = web.get("/account").text
    assert BANNER not in account and "(verified)" in account
    assert _actions(web) == ["user.register", "user.verify_email"]


def test_unverified_accounts_are_refused_profile_writes_until_they_verify(
    web: TestClient, smtp_server: LocalSmtp
) -> None:
    _register(web, "nina@example.org", "Nina")
    header = {"X-CSRF-Token": _token(web, "/account")}
    refused = web.post(
        "/api/v1/organisations", json={"name": "Nina Cluster", "country": "DE"}, headers=header
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == VERIFY_FIRST
    form = _post(web, "/directory/new", {"name": "Nina Cluster", "country": "DE"})
    assert form.status_code == 403  # type: ignore[attr-defined]
    assert "Verify your e-mail address first" in form.text  # type: ignore[attr-defined]

    [mail] = _verification(smtp_server, "nina@example.org")
    assert web.get(_link(mail, VERIFY), follow_redirects=False).headers["location"] == (
        "/account?saved=verified"
    )
    created = web.post(
        "/api/v1/organisations", json={"name": "Nina Cluster", "country": "DE"}, headers=header
    )
    assert created.status_code == 201, created.text


def test_resend_mails_a_new_link_and_is_limited(web: TestClient, smtp_server: LocalSmtp) -> None:
    _register(web, "nina@example.org", "Nina")
    for _ in range(3):  # login_attempts
        sent = _post(web, "/account/verify/resend", {}, "/account")
        assert sent.headers["location"] == "/account?saved=verify_sent"  # type: ignore[attr-defined]
    limited = _post(web, "/account/verify/resend", {}, "/account")
    assert limited.status_code == 429  # type: ignore[attr-defined]
    assert "Too many verification e-mails" in limited.text  # type: ignore[attr-defined]
    assert int(limited.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    mails = _verification(smtp_server, "nina@example.org")
    assert len(mails) == 4 and len({_link(m, VERIFY) for m in mails}) == 4
    web.get(_link(mails[-1], VERIFY))
    done = _post(web, "/account/verify/resend", {}, "/account")
    assert done.headers["location"] == "/account?saved=verified"  # type: ignore[attr-defined]
    assert len(_verification(smtp_server, "nina@example.org")) == 4  # nothing more sent
    assert _actions(web).count("email_verification.resend") == 3
    anonymous = TestClient(web.app, raise_server_exceptions=False)
    assert _post(anonymous, "/account/verify/resend", {}, "/account/login").status_code == 401  # type: ignore[attr-defined]


# --- password reset -------------------------------------------------------------------------------


def test_reset_by_mail_sets_a_new_password_and_proves_the_address(
    web: TestClient, smtp_server: LocalSmtp
) -> None:
    _register(web, "nina@example.org", "Nina")
    _logout(web)
    asked = _post(web, "/account/password-reset", {"email": "nina@example.org"})
    assert asked.status_code == 200 and "Check your e-mail" in asked.text  # type: ignore[attr-defined]
    [mail] = [m for m in smtp_server.received if "Reset" in str(m.message["Subject"])]
    assert mail.tls and mail.recipients == ["nina@example.org"]
    link = _link(mail, RESET)
    assert web.get(link).status_code == 200
    done = _post(web, link, {"password": NEW_PASSWORD})
    assert done.headers["location"] == "/account/login?saved=reset"  # type: ignore[attr-defined]
    assert _login(web, "nina@example.org", PASSWORD).status_code == 400  # type: ignore[attr-defined]
    assert _login(web, "nina@example.org", NEW_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    account = web.get("/account").text
    assert BANNER not in account and "(verified)" in account


# --- mail that cannot leave -----------------------------------------------------------------------


@pytest.fixture(params=["server down", "wrong password"])
def broken_web(
    request: pytest.FixtureRequest,
    base_settings: Settings,
    smtp_server: LocalSmtp,
    smtp_tls: tuple[Path, Path],
) -> Iterator[TestClient]:
    settings = with_smtp(base_settings, smtp_server, smtp_tls[0])
    if request.param == "server down":
        settings = settings.model_copy(update={"smtp_port": free_port()})
    else:
        settings = settings.model_copy(update={"smtp_password": SecretStr("not it")})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_mail_that_cannot_be_sent_is_told_and_nothing_is_lost(
    broken_web: TestClient, smtp_server: LocalSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    page = broken_web.post(
        "/account/register",
        data={"csrf_token": _token(broken_web, "/account/register"),
              "email": "nina@example.org", "display_name": "Nina", "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    assert page.status_code == 303 and page.headers["location"] == "/account?problem=mail"
    account = broken_web.get(page.headers["location"])
    assert account.status_code == 200 and MAIL_FAILED in account.text
    assert 'role="alert"' in account.text
    assert BANNER in account.text  # the account exists and is logged in; resend is offered
    resend = _post(broken_web, "/account/verify/resend", {}, "/account")
    assert resend.headers["location"] == "/account?problem=mail"  # type: ignore[attr-defined]
    _logout(broken_web)
    reset = _post(broken_web, "/account/password-reset", {"email": "nina@example.org"})
    assert reset.status_code == 503 and MAIL_FAILED in reset.text  # type: ignore[attr-defined]
    assert smtp_server.received == []
    assert "could not send mail 'Verify your clusterhub e-mail address'" in caplog.text
    assert "not it" not in caplog.text
    engine = make_engine(broken_web.app.state.settings)  # type: ignore[attr-defined]
    with transaction(make_session_factory(engine)) as session:
        assert session.scalars(select(User.email)).all() == ["nina@example.org"]
    engine.dispose()
