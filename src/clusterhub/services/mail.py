"""Outgoing e-mail behind one small interface, so use cases never know how mail leaves.

``SmtpMailer`` delivers through a real SMTP server (STARTTLS, TLS or none; log-in optional;
certificates always verified). Development and tests need no mail server: ``ConsoleMailer``
writes messages to the log and ``FileMailer`` writes standard ``.eml`` files. Use cases do not
call a mailer inside their transaction: they queue messages with ``services.outbox``, which
hands them over once the transaction is stored.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Literal, Protocol

from pydantic import SecretStr

from clusterhub.config import DEVELOPMENT_SENDER, Settings
from clusterhub.errors import ClusterhubError

log = logging.getLogger("clusterhub.mail")


@dataclass(frozen=True)
class OutgoingMail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    body: str


class MailNotSent(ClusterhubError):
    """The mail server could not be reached or refused the message; says which and why."""


class Mailer(Protocol):
    """Anything that can deliver an ``OutgoingMail``."""

    def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail`` or raise ``MailNotSent``."""


def to_message(mail: OutgoingMail, *, sender: str = DEVELOPMENT_SENDER) -> EmailMessage:
    """A standard RFC 5322 message (headers are encoded by the stdlib, so no header injection)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "clusterhub.invalid"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(mail.body)
    return message


class ConsoleMailer:
    """Writes each message to the ``clusterhub.mail`` log: for development only.

    The log then holds reset links, which are secrets: production settings refuse it.
    """

    def send(self, mail: OutgoingMail) -> None:
        """Log the whole message."""
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class FileMailer:
    """Writes each message as an ``.eml`` file in ``folder`` (one file per message)."""

    def __init__(self, folder: Path, *, sender: str = DEVELOPMENT_SENDER) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, mail: OutgoingMail) -> None:
        """Write the message under a name that sorts by time and never collides."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        path.write_bytes(to_message(mail, sender=self.sender).as_bytes())
        log.info("mail to %s written to %s", mail.to, path)


@dataclass(frozen=True)
class SmtpMailer:
    """Sends each message in its own SMTP connection (one mail per request is the norm here,
    and a fresh connection cannot be left half-broken by an earlier failure).

    ``timeout`` bounds every network step (connect, TLS handshake, each command), so a dead
    server costs a request at most a few timeouts, never a hang. Certificates are verified
    with the system's authorities, or only those of ``ca_file`` when given, and the server's
    name must match its certificate.
    """

    host: str
    port: int
    security: Literal["starttls", "tls", "none"]
    sender: str
    timeout: float
    username: str = ""
    password: SecretStr = field(default_factory=lambda: SecretStr(""))
    ca_file: Path | None = None

    def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail``, or raise ``MailNotSent`` with a reason people can act on."""
        message = to_message(mail, sender=self.sender)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError:
            raise MailNotSent(
                f"the SMTP server {self._where} refused the user name or password "
                "(CLUSTERHUB_SMTP_USERNAME, CLUSTERHUB_SMTP_PASSWORD)"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise MailNotSent(
                f"the certificate of the SMTP server {self._where} is not trusted "
                f"({exc.verify_message}); for a private relay set CLUSTERHUB_SMTP_CA_FILE to "
                "its certificate authority"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailNotSent(
                f"the SMTP server {self._where} does not offer STARTTLS or log-in; check "
                "CLUSTERHUB_SMTP_SECURITY and CLUSTERHUB_SMTP_PORT"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailNotSent(
                f"could not send mail through {self._where}: {_reason(exc)}"
            ) from None
        log.info("mail to %s sent through %s", mail.to, self._where)

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        """A connection, encrypted as ``security`` says before anything else is sent."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp


def _reason(exc: Exception) -> str:
    """The server's answer ("550 mailbox unavailable") or the network error, for people."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {_reason(smtplib.SMTPResponseException(*r))}"
                         for to, r in exc.recipients.items())  # fmt: skip
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = exc.smtp_error
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        return f"the server answered {exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__


def mail_folder(settings: Settings) -> Path:
    """Where ``FileMailer`` writes for these settings."""
    return settings.state_dir / "mail"


def make_mailer(settings: Settings) -> Mailer:
    """The backend ``settings.mail_backend`` names."""
    if settings.mail_backend == "smtp":
        return SmtpMailer(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            sender=settings.mail_from, timeout=settings.smtp_timeout,
            username=settings.smtp_username, password=settings.smtp_password,
            ca_file=settings.smtp_ca_file,
        )  # fmt: skip
    if settings.mail_backend == "file":
        return FileMailer(mail_folder(settings), sender=settings.mail_from)
    return ConsoleMailer()
