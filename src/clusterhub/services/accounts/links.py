"""One-time links mailed to account holders: password reset and e-mail verification.

Both work alike, so one piece of code serves both: the link carries 32 random bytes; the
database keeps only their SHA-256 (a copy of it lets nobody reset or verify anything), with
an expiry and the moment of use; a token is claimed with one conditional ``UPDATE``, so two
concurrent uses cannot both succeed. The mails are queued on the session's outbox and leave
only once the token is stored.

Links start at ``settings.public_url``; only without it (development, tests) at the address
the request came to, whose ``Host`` header the client chooses.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.services import outbox
from clusterhub.services.mail import Mailer, OutgoingMail
from clusterhub.store.models import (
    EmailVerificationToken,
    OneTimeToken,
    PasswordResetToken,
    User,
    utcnow,
)

#: Longer "tokens" are not ours: refused before hashing.
MAX_TOKEN_LENGTH = 200
Token = TypeVar("Token", bound=OneTimeToken)


def token_hash(token: str) -> str:
    """SHA-256 of a session or link token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, table: type[OneTimeToken], *, user_id: int, valid: timedelta) -> str:
    """A new token of ``table`` for ``user_id``, valid for ``valid``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        table(token_hash=token_hash(token), user_id=user_id, created_at=now, expires_at=now + valid)
    )
    return token


def find(session: Session, table: type[Token], token: str) -> Token | None:
    """The unused, unexpired row of ``token`` in ``table``, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(
        select(table).where(
            table.token_hash == token_hash(token),
            table.used_at.is_(None),
            table.expires_at > utcnow(),
        )
    )


def claim(session: Session, row: OneTimeToken) -> bool:
    """Mark ``row`` used, atomically: of two concurrent claims only one gets True. The user's
    other unused tokens of the same kind are deleted (one proof voids the older links)."""
    table = type(row)
    claimed = session.execute(
        update(table)
        .where(table.token_hash == row.token_hash, table.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(delete(table).where(table.user_id == row.user_id, table.used_at.is_(None)))
    return True


def site_base(settings: Settings, request_base: str) -> str:
    """Where links start: the public address, else (development) the request's."""
    return (settings.public_url or request_base).rstrip("/")


def mail_verification(
    session: Session, *, user: User, mailer: Mailer, request_base: str, settings: Settings
) -> None:
    """Store a verification token for ``user`` and queue the mail with its link."""
    hours = settings.email_verification_hours
    token = issue(session, EmailVerificationToken, user_id=user.id, valid=timedelta(hours=hours))
    link = f"{site_base(settings, request_base)}/account/verify/{token}"
    body = (
        f"Hello {user.display_name},\n\n"
        "please confirm that this is your e-mail address for your clusterhub account.\n"
        f"Open this link within {hours} hours:\n\n{link}\n\n"
        "Until then you can log in and read, but not publish or change directory profiles, "
        "partner-search posts, expressions of interest or follows.\n"
        "If you did not create this account, ignore this message.\n"
    )
    mail = OutgoingMail(to=user.email, subject="Verify your clusterhub e-mail address", body=body)
    outbox.send_after_commit(session, mailer=mailer, mails=[mail])


def mail_reset(
    session: Session, *, user: User, mailer: Mailer, request_base: str, settings: Settings
) -> None:
    """Store a password reset token for ``user`` and queue the mail with its link."""
    minutes = settings.password_reset_minutes
    token = issue(session, PasswordResetToken, user_id=user.id, valid=timedelta(minutes=minutes))
    link = f"{site_base(settings, request_base)}/account/password-reset/{token}"
    body = (
        f"Hello {user.display_name},\n\n"
        "someone (hopefully you) asked to reset the password of your clusterhub account.\n"
        f"To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
        "The link works once. If you did not ask for it, ignore this message: your password "
        "stays as it is.\n"
    )
    mail = OutgoingMail(to=user.email, subject="Reset your clusterhub password", body=body)
    outbox.send_after_commit(session, mailer=mailer, mails=[mail])
