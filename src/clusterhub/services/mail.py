"""Outgoing e-mail behind one small interface, so use cases never know how mail leaves.

Development and tests need no mail server: ``ConsoleMailer`` writes messages to the log and
``FileMailer`` writes standard ``.eml`` files (tests read reset links back from them). A real
SMTP or API backend only has to implement ``Mailer.send``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from clusterhub.config import Settings

log = logging.getLogger("clusterhub.mail")
SENDER = "clusterhub <no-reply@clusterhub.invalid>"


@dataclass(frozen=True)
class OutgoingMail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    body: str


class Mailer(Protocol):
    """Anything that can deliver an ``OutgoingMail``."""

    def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail`` or raise; callers treat mail as best effort."""


def to_message(mail: OutgoingMail, *, sender: str = SENDER) -> EmailMessage:
    """A standard RFC 5322 message (headers are encoded by the stdlib, so no header injection)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="clusterhub.invalid")
    message.set_content(mail.body)
    return message


class ConsoleMailer:
    """Writes each message to the ``clusterhub.mail`` log: for development only.

    The log then holds reset links, which are secrets; production needs a real backend.
    """

    def send(self, mail: OutgoingMail) -> None:
        """Log the whole message."""
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class FileMailer:
    """Writes each message as an ``.eml`` file in ``folder`` (one file per message)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, mail: OutgoingMail) -> None:
        """Write the message under a name that sorts by time and never collides."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        path.write_bytes(to_message(mail).as_bytes())
        log.info("mail to %s written to %s", mail.to, path)


def mail_folder(settings: Settings) -> Path:
    """Where ``FileMailer`` writes for these settings."""
    return settings.state_dir / "mail"


def make_mailer(settings: Settings) -> Mailer:
    """The backend ``settings.mail_backend`` names."""
    if settings.mail_backend == "file":
        return FileMailer(mail_folder(settings))
    return ConsoleMailer()
