"""E-mail verification: proving that a self-registered account receives mail at its address.

What an unverified account may do, and why:

* it may log in, read everything a member reads, change its own name and password, and read
  its notifications: none of that reaches anyone else;
* writes that other people see — creating or editing directory profiles (and their admins),
  publishing or changing partner-search posts, expressing interest, following a post — need
  a verified address (``accounts.require(..., verified=True)``), so nobody can act under an
  address they do not own. The refusal says how to verify.

Registration mails the first link (``accounts.register``); ``resend_verification`` mails a new
one, at most ``login_attempts`` per window; the link (``verify_email``) works once and for
``email_verification_hours``. A completed password reset proves the address too. Accounts
made by the CLI and those older than verification count as verified.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput, RateLimited
from clusterhub.services import audit
from clusterhub.services.accounts import links as account_links
from clusterhub.services.accounts.users import (
    Role,
    UserPublic,
    check_rate,
    record_attempt,
    require,
)
from clusterhub.services.mail import Mailer
from clusterhub.store.models import EmailVerificationToken, User, utcnow

INVALID_LINK = "This verification link is invalid, used or expired: ask for a new one."


def verify_email(session: Session, *, token: str) -> UserPublic:
    """Mark the address of ``token``'s user verified; the link then stops working.

    No log-in is needed (the link may be opened on another device): the token is the proof.
    Raises ``InvalidInput`` on the ``token`` field for an unknown, used or expired link.
    """
    row = account_links.find(session, EmailVerificationToken, token)
    if row is None or not account_links.claim(session, row):
        raise InvalidInput.single(INVALID_LINK, field="token")
    user = session.get_one(User, row.user_id)
    user.email_verified_at = user.email_verified_at or utcnow()
    audit.record(
        session, actor_id=user.id, action="user.verify_email", entity_type="user",
        entity_id=user.id,
    )  # fmt: skip
    return UserPublic.model_validate(user)


def resend_verification(
    session: Session,
    *,
    actor: UserPublic | None,
    mailer: Mailer,
    request_base: str,
    settings: Settings,
) -> bool:
    """Mail the logged-in user a new verification link; False if already verified (no mail).

    Raises ``RateLimited`` after ``login_attempts`` links in ``login_window_minutes``, so the
    button cannot flood a mailbox. Earlier links keep working until they expire.
    """
    user = require(session, actor=actor, minimum=Role.VISITOR)
    if user.email_verified_at is not None:
        return False
    key = f"verify:{user.id}"
    try:
        check_rate(session, [key], settings)
    except RateLimited as exc:
        raise RateLimited(
            exc.retry_after, what="verification e-mails", advice=" (look in your spam folder)"
        ) from None
    record_attempt(session, [key], settings)
    audit.record(
        session, actor_id=user.id, action="email_verification.resend", entity_type="user",
        entity_id=user.id,
    )  # fmt: skip
    account_links.mail_verification(
        session, user=user, mailer=mailer, request_base=request_base, settings=settings
    )
    return True
