"""E-mail: the SMTP mailer against a real local SMTP server (plain with log-in, STARTTLS, TLS),
its errors, the development backends, and the outbox that sends only after a commit."""

from __future__ import annotations

import dataclasses
import email
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.services import audit, outbox
from clusterhub.services.mail import (
    ConsoleMailer,
    FileMailer,
    MailNotSent,
    OutgoingMail,
    SmtpMailer,
    make_mailer,
)
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry
from tests.smtp_server import PASSWORD, USER, LocalSmtp, free_port

#: The plain-SMTP cases log in without TLS on purpose (a relay on the same host).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
MAIL = OutgoingMail(
    to="ann@example.org",
    subject="Grüße from clusterhub",
    body="Hello Ann,\n\nopen https://hub.example.org/account/verify/abc\n",
)
SENDER = "clusterhub <hub@example.org>"


def _mailer(port: int, security: str, ca_file: Path | None, **changes: object) -> SmtpMailer:
    mailer = SmtpMailer(
        host="127.0.0.1", port=port, security=security,  # type: ignore[arg-type]
        sender=SENDER, timeout=5.0, username=USER, password=SecretStr(PASSWORD),
        ca_file=ca_file,
    )  # fmt: skip
    return dataclasses.replace(mailer, **changes)  # type: ignore[arg-type]


# --- SMTP -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_smtp_delivers_after_logging_in(security: str, smtp_tls: tuple[Path, Path]) -> None:
    with LocalSmtp(security=security, tls=smtp_tls) as server:
        _mailer(server.port, security, smtp_tls[0]).send(MAIL)
    [got] = server.received
    assert got.sender == "hub@example.org" and got.recipients == ["ann@example.org"]
    assert got.logged_in_as == USER
    assert got.tls is (security != "none")
    assert got.message["From"] == SENDER and got.message["To"] == "ann@example.org"
    assert got.message["Subject"] == "Grüße from clusterhub"
    assert str(got.message["Message-ID"]).endswith("@example.org>")
    assert got.body == MAIL.body


def test_a_wrong_password_is_a_clear_error(
    smtp_server: LocalSmtp, smtp_tls: tuple[Path, Path]
) -> None:
    wrong = _mailer(smtp_server.port, "starttls", smtp_tls[0], password=SecretStr("guess-4711"))
    with pytest.raises(MailNotSent) as caught:
        wrong.send(MAIL)
    message = str(caught.value)
    assert f"the SMTP server 127.0.0.1:{smtp_server.port} refused the user name or password" in (
        message
    )
    assert "CLUSTERHUB_SMTP_PASSWORD" in message and "guess-4711" not in message
    assert "guess-4711" not in repr(wrong)
    assert smtp_server.received == []


def test_an_untrusted_certificate_is_refused_with_the_remedy(smtp_server: LocalSmtp) -> None:
    with pytest.raises(MailNotSent) as caught:
        _mailer(smtp_server.port, "starttls", None).send(MAIL)  # the system's CAs only
    assert "is not trusted (self-signed certificate)" in str(caught.value)
    assert "CLUSTERHUB_SMTP_CA_FILE" in str(caught.value)
    assert smtp_server.received == []


def test_starttls_is_not_silently_skipped(smtp_tls: tuple[Path, Path]) -> None:
    """A server that offers no STARTTLS never sees the password in clear."""
    with LocalSmtp(security="none") as plain:
        with pytest.raises(MailNotSent) as caught:
            _mailer(plain.port, "starttls", smtp_tls[0]).send(MAIL)
        assert plain.received == []
    assert "does not offer STARTTLS" in str(caught.value)


def test_an_unreachable_server_is_named() -> None:
    port = free_port()
    with pytest.raises(MailNotSent) as caught:
        _mailer(port, "none", None).send(MAIL)
    assert f"could not send mail through 127.0.0.1:{port}" in str(caught.value)
    assert "refused" in str(caught.value).lower()


def test_a_silent_server_costs_at_most_the_timeout() -> None:
    with socket.socket() as listener:  # accepts connections, never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        mailer = _mailer(listener.getsockname()[1], "none", None, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(MailNotSent) as caught:
            mailer.send(MAIL)
        elapsed = time.monotonic() - started
    assert "timed out" in str(caught.value)
    assert elapsed < 2.0


# --- development backends and the choice among them ----------------------------------------------


def test_console_mailer_logs_and_file_mailer_writes_eml(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mail = OutgoingMail(to="a@b.de", subject="Hi", body="line one")
    with caplog.at_level(logging.INFO, logger="clusterhub.mail"):
        ConsoleMailer().send(mail)
    assert "line one" in caplog.text
    FileMailer(tmp_path, sender=SENDER).send(mail)
    FileMailer(tmp_path).send(mail)
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes()) for f in files]
    assert parsed[0]["To"] == "a@b.de" and parsed[0]["Subject"] == "Hi"
    assert {p["From"] for p in parsed} == {SENDER, "clusterhub <no-reply@clusterhub.invalid>"}
    with pytest.raises(ValueError, match="linefeed"):  # no header injection
        FileMailer(tmp_path).send(OutgoingMail(to="a@b.de", subject="Hi\nBcc: x@y.z", body=""))


def test_make_mailer_follows_the_settings(tmp_path: Path) -> None:
    assert isinstance(make_mailer(Settings(mail_backend="console")), ConsoleMailer)
    filed = make_mailer(Settings(mail_backend="file", state_dir=tmp_path, mail_from=SENDER))
    assert isinstance(filed, FileMailer) and filed.folder == tmp_path / "mail"
    assert filed.sender == SENDER
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    smtp = make_mailer(
        Settings(
            mail_backend="smtp", smtp_host="mail.example.org", smtp_port=465,
            smtp_security="tls", smtp_username="hub", smtp_password=SecretStr("pw"),
            smtp_timeout=3.5, smtp_ca_file=ca, mail_from=SENDER,
        )
    )  # fmt: skip
    assert smtp == SmtpMailer(
        host="mail.example.org", port=465, security="tls", sender=SENDER, timeout=3.5,
        username="hub", password=SecretStr("pw"), ca_file=ca,
    )  # fmt: skip


# --- the outbox -----------------------------------------------------------------------------------


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def _write_something(session: Session) -> None:
    audit.record(session, actor_id=None, action="test.write", entity_type="test", entity_id=1)


def test_outbox_sends_only_once_the_transaction_is_stored(
    factory: sessionmaker[Session], smtp_server: LocalSmtp, smtp_tls: tuple[Path, Path]
) -> None:
    mailer = _mailer(smtp_server.port, "starttls", smtp_tls[0])
    with transaction(factory) as session:
        _write_something(session)
        outbox.send_after_commit(session, mailer=mailer, mails=[MAIL])
        session.flush()
        assert smtp_server.received == []  # not yet: the write is not stored
    assert [m.recipients for m in smtp_server.received] == [["ann@example.org"]]
    assert outbox.undelivered(session) == []


def test_outbox_drops_the_mail_of_a_rolled_back_transaction(
    factory: sessionmaker[Session], smtp_server: LocalSmtp, smtp_tls: tuple[Path, Path]
) -> None:
    mailer = _mailer(smtp_server.port, "starttls", smtp_tls[0])
    with pytest.raises(RuntimeError), transaction(factory) as session:
        _write_something(session)
        outbox.send_after_commit(session, mailer=mailer, mails=[MAIL])
        raise RuntimeError("a later step failed")
    with transaction(factory) as session:  # the same session class, a new transaction
        _write_something(session)
    assert smtp_server.received == []


def test_outbox_keeps_the_write_and_reports_a_failed_mail(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    dead = _mailer(free_port(), "none", None)
    with caplog.at_level(logging.ERROR, logger="clusterhub.outbox"):
        with transaction(factory) as session:
            _write_something(session)
            outbox.send_after_commit(session, mailer=dead, mails=[MAIL])
        assert outbox.undelivered(session) == [MAIL]
    assert "could not send mail 'Grüße from clusterhub' to ann@example.org" in caplog.text
    assert PASSWORD not in caplog.text
    with transaction(factory) as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["test.write"]
