"""Logging in: the rate limit, the password check and the new session, in three steps.

Checking a password is slow on purpose (argon2, about 0.1 s of CPU), and on SQLite writers
take turns at the database: so the check runs with no connection or turn held, between a
brief read (:func:`find_login`) and a brief write (:func:`complete_login`). :func:`login` runs
the three in one transaction for callers that do not mind (the command line, tests).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.errors import Problem
from clusterhub.services import audit
from clusterhub.services.accounts.users import (
    NewSession,
    check_rate,
    clear_failures,
    client_key,
    hash_password,
    needs_rehash,
    normalise_email,
    raise_if,
    record_attempt,
    start_session,
    verify_password,
)
from clusterhub.store.models import User, utcnow


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, so both cases take as long."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class LoginCandidate:
    """What the database says about an e-mail that is trying to log in."""

    email: str
    keys: tuple[str, ...]
    user_id: int | None
    #: The hash to check against; None for an unknown or deactivated account.
    password_hash: str | None


@dataclass(frozen=True)
class PasswordCheck:
    """What checking an e-mail and password found, before anything is written.

    Logging in has three steps: :func:`find_login` reads (briefly), :func:`check_password`
    hashes (about 0.1 s of CPU by design, with no database connection held) and
    :func:`complete_login` writes (briefly; on SQLite writers take turns, and a turn should
    not last a password hash). ``password_hash`` is the hash the password was checked
    against; the write refuses the login if it changed in between.
    """

    email: str
    keys: tuple[str, ...]
    user_id: int | None
    password_hash: str | None
    correct: bool
    #: The password hashed again under the current parameters, when the stored hash is older.
    rehash: str | None = None


def find_login(
    session: Session, *, email: str, password: str, client: str, settings: Settings
) -> LoginCandidate:
    """The account an e-mail and password would log into, after the rate limit.

    Raises ``RateLimited`` *before* the password is checked when the e-mail or the client is
    over the limit, so a correct guess is refused too.
    """
    problems = [] if email.strip() else [Problem("Enter your e-mail address.", field="email")]
    if not password:
        problems.append(Problem("Enter your password.", field="password"))
    raise_if(problems)
    clean = normalise_email(email)
    keys = (f"email:{clean}", client_key(client))
    check_rate(session, list(keys), settings)
    user = session.scalar(select(User).where(User.email == clean))
    active = user is not None and user.is_active
    return LoginCandidate(
        clean, keys, user.id if user else None, user.password_hash if user and active else None
    )


def check_password(candidate: LoginCandidate, *, password: str) -> PasswordCheck:
    """The password checked against the candidate's hash: CPU only, no database."""
    if candidate.password_hash is None:
        # As slow as a real check: no probing for accounts by the time an answer takes.
        verify_password(_dummy_hash(), password)
        return PasswordCheck(
            candidate.email, candidate.keys, candidate.user_id, None, correct=False
        )
    correct = verify_password(candidate.password_hash, password)
    stale = correct and needs_rehash(candidate.password_hash)
    return PasswordCheck(
        candidate.email, candidate.keys, candidate.user_id, candidate.password_hash, correct,
        rehash=hash_password(password) if stale else None,
    )  # fmt: skip


def complete_login(
    session: Session, *, check: PasswordCheck, settings: Settings
) -> NewSession | None:
    """The writing second half of :func:`login`: a new session, or the failure counted.

    Failures are returned, not raised, so that the caller's transaction keeps the recorded
    attempt.
    """
    keys = list(check.keys)
    check_rate(session, keys, settings)  # others may have failed while this one was checked
    user = session.get(User, check.user_id) if check.user_id is not None else None
    valid = (
        check.correct
        and user is not None
        and user.is_active
        and user.password_hash == check.password_hash
    )
    if user is None or not valid:
        record_attempt(session, keys, settings)
        audit.record(
            session, action="login.failed", entity_type="user",
            entity_id=None if user is None else user.id, details={"client": keys[1]},
        )  # fmt: skip
        return None
    if check.rehash is not None:
        user.password_hash = check.rehash
    clear_failures(session, keys[0])  # the owner proved it; the client's count stays
    user.last_login_at = utcnow()
    audit.record(
        session, actor_id=user.id, action="login", entity_type="user", entity_id=user.id,
        details={"client": keys[1]},
    )  # fmt: skip
    return start_session(session, user, settings)


def login(
    session: Session, *, email: str, password: str, client: str, settings: Settings
) -> NewSession | None:
    """A new session for a correct e-mail and password, else None (and the failure counted):
    the three steps of :class:`PasswordCheck` in one transaction."""
    candidate = find_login(
        session, email=email, password=password, client=client, settings=settings
    )
    return complete_login(
        session, check=check_password(candidate, password=password), settings=settings
    )
