"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives.

``LocalSmtp`` speaks plain SMTP, STARTTLS or TLS from the first byte, and asks for a log-in
(``USER`` / ``PASSWORD``) when told to, so the mailer is tested against the protocol itself.
``tls_files`` makes a throw-away self-signed certificate for 127.0.0.1 with the openssl CLI.
"""

from __future__ import annotations

import email
import email.policy
import re
import ssl
import subprocess
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession

from tests.server_process import free_port

USER = "hub-mailer"
PASSWORD = "s3cret smtp passphrase"
LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Received:
    """One message as the server got it: envelope, whether TLS and a log-in were used."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    tls: bool
    logged_in_as: str | None

    @property
    def body(self) -> str:
        """The plain-text body, with the wire's CRLF line ends as \\n."""
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")

    @property
    def links(self) -> list[str]:
        """Every http(s) link in the body."""
        return LINK.findall(self.body)


@dataclass
class _Inbox:
    """aiosmtpd handler: accepts every message into ``received``."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: SmtpSession, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data if session.authenticated else None
        self.received.append(
            Received(
                sender=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                message=message,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                logged_in_as=login.decode() if isinstance(login, bytes) else None,
            )
        )
        return "250 OK"


def _authenticate(
    server: Any, session: SmtpSession, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd answers 535 itself (True would leave the client waiting)
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


class LocalSmtp:
    """A running SMTP server on 127.0.0.1 (use as a context manager).

    ``security``: ``none`` (plain; log-in allowed without TLS), ``starttls`` (STARTTLS
    offered and required before anything else) or ``tls`` (TLS from the first byte).
    Every one requires a log-in before accepting mail.
    """

    def __init__(self, *, security: str, tls: tuple[Path, Path] | None = None) -> None:
        self.security = security
        self.inbox = _Inbox()
        self.port = free_port()
        context = None
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port,
            ssl_context=context if security == "tls" else None,
            tls_context=context if security == "starttls" else None,
            require_starttls=security == "starttls",
            authenticator=_authenticate, auth_required=True,
            # aiosmtpd counts only STARTTLS as TLS; "tls" is encrypted from the first byte
            auth_require_tls=security == "starttls",
        )  # fmt: skip

    @property
    def received(self) -> list[Received]:
        """Messages received so far, oldest first."""
        return self.inbox.received

    def __enter__(self) -> LocalSmtp:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()


def tls_files(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate (also its own CA) for 127.0.0.1 and localhost, and its key."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
