"""Accounts: registration, login sessions, password changes and resets, roles.

Security rules live here, not in the faces, so the web, the CLI and batch jobs share them:

* passwords are hashed with argon2id and rehashed on login when the parameters change;
* sessions and mailed link tokens are random; only their SHA-256 hashes are stored, so a copy
  of the database does not let anyone log in (links: ``services.accounts.links``);
* self-registered accounts start with an unverified e-mail address: they may log in and read,
  but writes that other people see need ``require(..., verified=True)`` (see
  ``services.accounts.verification``);
* failed logins are counted per e-mail and per client address (``LoginAttempt`` rows, so the
  limit holds across workers) and further attempts are refused while either is over the limit;
* every write records an audit entry in the same transaction (``services.audit``).
"""

from __future__ import annotations

import ipaddress
import math
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    RateLimited,
)
from clusterhub.services import audit
from clusterhub.services.accounts import links as account_links
from clusterhub.services.accounts.links import token_hash

# Re-exported (the typing idiom ``X as X``): most callers name the role along with the user.
from clusterhub.services.accounts.roles import ROLE_LABELS as ROLE_LABELS  # noqa: PLC0414
from clusterhub.services.accounts.roles import Role as Role  # noqa: PLC0414
from clusterhub.services.audit import Actor
from clusterhub.services.mail import Mailer
from clusterhub.store.models import (
    LoginAttempt,
    PasswordResetToken,
    User,
    UserSession,
    as_utc,
    utcnow,
)

MIN_PASSWORD_LENGTH = 12
#: argon2 accepts any length; the cap keeps a form post from making hashing expensive.
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 120
MAX_EMAIL_LENGTH = 254
MAX_USERS_LISTED = 500
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
_LOCAL_FORBIDDEN = set(' @<>()[],;:"\\')
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (about 0.1 s of CPU by design)."""
    return _HASHER.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with older parameters than the current ones."""
    return _HASHER.check_needs_rehash(password_hash)


VERIFY_FIRST = (
    "Verify your e-mail address first: open the link we sent you when you registered, or ask "
    "for a new one with “Send the link again” on your account page (/account)."
)


class UserPublic(BaseModel):
    """A user as faces see it: never the password hash."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    email: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    email_verified_at: datetime | None = None

    @property
    def email_verified(self) -> bool:
        """Whether the user proved they receive mail at their address."""
        return self.email_verified_at is not None

    def at_least(self, minimum: Role) -> bool:
        """Whether this user's role is ``minimum`` or above."""
        return self.role.rank >= minimum.rank


@dataclass(frozen=True)
class NewSession:
    """A started login session: ``token`` goes into the cookie and is never stored."""

    token: str
    user: UserPublic
    expires_at: datetime


# --- validation -------------------------------------------------------------------------------


def _email_problem(email: str) -> str | None:
    if not email:
        return "Enter your e-mail address."
    if len(email) > MAX_EMAIL_LENGTH or email.count("@") != 1:
        return "Enter an e-mail address like name@example.org."
    local, domain = email.split("@")
    if not local or len(local) > 64 or any(c in _LOCAL_FORBIDDEN for c in local):
        return "Enter an e-mail address like name@example.org."
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "The part after @ is not a valid domain name."
    if not _DOMAIN.match(ascii_domain):
        return "The part after @ is not a valid domain name."
    return None


def normalise_email(raw: str) -> str:
    """The e-mail lower-cased and trimmed, or ``InvalidInput`` naming the ``email`` field."""
    email = unicodedata.normalize("NFC", raw.strip()).lower()
    if any(unicodedata.category(c) == "Cc" for c in email):
        email = "\0"  # control characters: reported as a malformed address below
    problem = _email_problem(email)
    if problem:
        raise InvalidInput.single(problem, field="email")
    return email


def clean_display_name(raw: str) -> str:
    """Trimmed, inner whitespace collapsed; ``InvalidInput`` naming ``display_name`` if unusable."""
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput.single("Enter a name to show to others.", field="display_name")
    if len(name) > MAX_NAME_LENGTH:
        message = f"Use at most {MAX_NAME_LENGTH} characters for your name."
        raise InvalidInput.single(message, field="display_name")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        message = "The name contains invisible control characters."
        raise InvalidInput.single(message, field="display_name")
    return name


def password_problems(password: str, *, email: str, field: str = "password") -> list[Problem]:
    """What is wrong with ``password`` as a new password (empty when it is acceptable)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"Use at least {MIN_PASSWORD_LENGTH} characters for the password."
        return [Problem(message, field=field)]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [Problem(f"Use at most {MAX_PASSWORD_LENGTH} characters.", field=field)]
    folded = password.strip().casefold()
    if email and folded in (email.casefold(), email.split("@", maxsplit=1)[0].casefold()):
        return [Problem("The password must not be your e-mail address.", field=field)]
    return []


def _problems_of(clean: Callable[[str], str], raw: str) -> tuple[str, list[Problem]]:
    """Run a cleaning function, turning its ``InvalidInput`` into a list of problems."""
    try:
        value = clean(raw)
    except InvalidInput as exc:
        return "", exc.problems
    return value, []


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems, summary="Please correct the marked fields.")


# --- users ------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role = Role.MEMBER,
    by: Actor | None = None,
) -> UserPublic:
    """A new account with ``role``, created ``by`` someone (``clusterhub users create``: the
    command line; tests), recorded as anonymous when not said. People use ``register``.

    Its address counts as verified: whoever creates it this way runs the platform.
    """
    user = _insert_user(
        session, email=email, display_name=display_name, password=password, role=role
    )
    user.email_verified_at = user.created_at
    audit.record(
        session, actor=by, action="user.create", entity_type="user", entity_id=user.id,
        details={"role": role.value},
    )  # fmt: skip
    return UserPublic.model_validate(user)


def register(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    mailer: Mailer,
    request_base: str,
    settings: Settings,
) -> NewSession:
    """Self-registration as a member, logged in at once, with its address still unverified.

    Never grants more than member. A verification link is mailed once the transaction commits
    (``services.outbox``). Naming an e-mail that already has an account is reported on the
    ``email`` field: hiding it would need a sign-up that answers only by e-mail, and the
    address is still proven before the account may write anything others see.
    """
    user = _insert_user(session, email=email, display_name=display_name, password=password)
    audit.record(
        session, actor_id=user.id, action="user.register", entity_type="user", entity_id=user.id
    )
    account_links.mail_verification(
        session, user=user, mailer=mailer, request_base=request_base, settings=settings
    )
    return start_session(session, user, settings)


def _insert_user(
    session: Session, *, email: str, display_name: str, password: str, role: Role = Role.MEMBER
) -> User:
    clean_email, problems = _problems_of(normalise_email, email)
    name, name_problems = _problems_of(clean_display_name, display_name)
    problems += name_problems + password_problems(password, email=clean_email)
    raise_if(problems)
    # Hashing takes 0.1 s of CPU: done before the first statement, which on SQLite begins
    # this writer's turn at the database.
    password_hash = _HASHER.hash(password)
    taken = Problem(
        "An account with this e-mail already exists: log in, or reset its password.",
        field="email",
    )
    if session.scalar(select(User.id).where(User.email == clean_email)) is not None:
        raise InvalidInput([taken], summary=taken.message)
    user = User(
        email=clean_email, display_name=name, password_hash=password_hash,
        role=role.value, is_active=True, created_at=utcnow(),
    )  # fmt: skip
    try:
        with session.begin_nested():  # a concurrent registration loses here, not with a 500
            session.add(user)
    except IntegrityError:
        raise InvalidInput([taken], summary=taken.message) from None
    return user


def get_user(session: Session, *, user_id: int) -> UserPublic:
    """One user, or ``NotFound``."""
    return UserPublic.model_validate(_user(session, user_id))


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def update_profile(session: Session, *, user_id: int, display_name: str) -> UserPublic:
    """Change the user's own display name (``user_id`` comes from the session, never a form)."""
    user = _user(session, user_id)
    old, user.display_name = user.display_name, clean_display_name(display_name)
    audit.record(
        session, actor_id=user_id, action="user.update", entity_type="user", entity_id=user_id,
        details={"display_name": {"from": old, "to": user.display_name}},
    )  # fmt: skip
    return UserPublic.model_validate(user)


# --- login sessions -------------------------------------------------------------------------


def client_key(client: str) -> str:
    """Rate-limit key of a client address; IPv6 clients by their /64, which one host owns."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return f"ip:{client[:200]}"
    if address.version == 6:
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"ip:{address}"


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 ``password_hash`` (False for a malformed hash)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(session: Session, user: User, settings: Settings) -> NewSession:
    """A new login session for ``user``; expired ones of theirs are dropped meanwhile."""
    now = utcnow()
    session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=settings.session_days)
    session.add(
        UserSession(
            token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=expires
        )
    )
    session.flush()
    return NewSession(token=token, user=UserPublic.model_validate(user), expires_at=expires)


def user_for_session(session: Session, *, token: str) -> UserPublic | None:
    """The active user a session token belongs to, or None (unknown, expired, deactivated)."""
    if not token or len(token) > 200:
        return None
    user = session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == token_hash(token), UserSession.expires_at > utcnow())
    )
    if user is None or not user.is_active:
        return None
    return UserPublic.model_validate(user)


def logout(session: Session, *, token: str) -> None:
    """End the session of ``token`` (nothing happens for an unknown token)."""
    row = session.get(UserSession, token_hash(token)) if token else None
    if row is None:
        return
    audit.record(
        session, actor_id=row.user_id, action="logout", entity_type="user", entity_id=row.user_id
    )
    session.delete(row)


# --- rate limit -------------------------------------------------------------------------------


def check_rate(session: Session, keys: list[str], settings: Settings) -> None:
    """``RateLimited`` when any key has ``login_attempts`` attempts inside the window."""
    window = timedelta(minutes=settings.login_window_minutes)
    now = utcnow()
    for key in keys:
        count, oldest = session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                LoginAttempt.key == key, LoginAttempt.at > now - window
            )
        ).one()
        if count >= settings.login_attempts and oldest is not None:
            free_at = as_utc(oldest) + window
            raise RateLimited(retry_after=math.ceil((free_at - now).total_seconds()))


def record_attempt(session: Session, keys: list[str], settings: Settings) -> None:
    """Count one attempt (a failed log-in, a mail sent) under each key; rows older than the
    window are dropped meanwhile."""
    now = utcnow()
    cutoff = now - timedelta(minutes=settings.login_window_minutes)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= cutoff))
    session.add_all([LoginAttempt(key=key[:300], at=now) for key in keys])


def clear_failures(session: Session, key: str) -> None:
    """Forget the failed log-ins counted under ``key``."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


# --- passwords --------------------------------------------------------------------------------


def change_password(
    session: Session,
    *,
    user_id: int,
    current_password: str,
    new_password: str,
    keep_token: str | None = None,
) -> None:
    """Set a new password after checking the current one; every other session is ended."""
    user = _user(session, user_id)
    if not verify_password(user.password_hash, current_password):
        problem = Problem("This is not your current password.", field="current_password")
        raise InvalidInput([problem], summary=problem.message)
    raise_if(password_problems(new_password, email=user.email, field="new_password"))
    user.password_hash = _HASHER.hash(new_password)
    kept = token_hash(keep_token) if keep_token else ""
    session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.token_hash != kept)
    )
    audit.record(
        session, actor_id=user_id, action="user.password_change", entity_type="user",
        entity_id=user_id,
    )  # fmt: skip


def request_password_reset(
    session: Session, *, email: str, mailer: Mailer, request_base: str, settings: Settings
) -> None:
    """Mail a one-hour reset link if the e-mail has an account; answer the same either way.

    A malformed address is still reported (that reveals nothing about accounts). At most
    ``login_attempts`` links per address and window are sent, so the form cannot flood a
    mailbox; requests over the limit are silently dropped.
    """
    clean = normalise_email(email)
    user = session.scalar(select(User).where(User.email == clean, User.is_active.is_(True)))
    key = f"reset:{clean}"
    if user is None or _over_limit(session, key, settings):
        return
    record_attempt(session, [key], settings)
    audit.record(
        session, actor_id=None, action="password_reset.request", entity_type="user",
        entity_id=user.id,
    )  # fmt: skip
    account_links.mail_reset(
        session, user=user, mailer=mailer, request_base=request_base, settings=settings
    )


def _over_limit(session: Session, key: str, settings: Settings) -> bool:
    try:
        check_rate(session, [key], settings)
    except RateLimited:
        return True
    return False


def reset_token_valid(session: Session, *, token: str) -> bool:
    """Whether ``token`` is a known, unused, unexpired reset token."""
    return account_links.find(session, PasswordResetToken, token) is not None


def reset_password(session: Session, *, token: str, new_password: str) -> UserPublic:
    """Set a new password with a reset token: single use, ends all the user's sessions.

    The mailed link proves the address too, so an unverified account becomes verified.
    """
    expired = Problem(
        "This reset link is invalid, used or expired: ask for a new one.", field="token"
    )
    row = account_links.find(session, PasswordResetToken, token)
    if row is None:
        raise InvalidInput([expired], summary=expired.message)
    user = _user(session, row.user_id)
    raise_if(password_problems(new_password, email=user.email))
    if not account_links.claim(session, row):  # another request used it a moment ago
        raise InvalidInput([expired], summary=expired.message)
    user.password_hash = _HASHER.hash(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    clear_failures(session, f"email:{user.email}")
    audit.record(
        session, actor_id=user.id, action="user.password_reset", entity_type="user",
        entity_id=user.id,
    )  # fmt: skip
    return UserPublic.model_validate(user)


# --- roles ------------------------------------------------------------------------------------


def require(
    session: Session, *, actor: UserPublic | None, minimum: Role, verified: bool = False
) -> User:
    """The acting user as stored now, if active and at least ``minimum``; else an error.

    The stored role is read again so a role withdrawn a second ago is not used. With
    ``verified``, the address must be verified too: writes that other people see (profiles,
    posts, interest, follows) ask for it, so a throw-away address cannot publish.
    """
    if actor is None:
        raise PermissionDenied("You need to log in to do this.")
    user = session.get(User, actor.id)
    if user is None or not user.is_active or Role(user.role).rank < minimum.rank:
        raise PermissionDenied(f"This needs the role '{minimum.label}' or above.")
    if verified and user.email_verified_at is None:
        raise PermissionDenied(VERIFY_FIRST)
    return user


def set_role(session: Session, *, actor: UserPublic, user_id: int, role: str) -> UserPublic:
    """Give user ``user_id`` the role ``role``; only site admins, never on themselves.

    Refusing self-changes means the last site admin cannot lock everyone out by accident.
    """
    require(session, actor=actor, minimum=Role.SITE_ADMIN)
    try:
        new_role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput.single(f"Choose one of: {choices}.", field="role", value=role) from None
    if actor.id == user_id:
        raise PermissionDenied("You cannot change your own role; ask another site admin.")
    user = _user(session, user_id)
    old, user.role = user.role, new_role.value
    audit.record(
        session, actor_id=actor.id, action="user.role", entity_type="user", entity_id=user_id,
        details={"from": old, "to": new_role.value},
    )  # fmt: skip
    return UserPublic.model_validate(user)


def list_users(session: Session, *, actor: UserPublic | None) -> list[UserPublic]:
    """Every account, oldest first (site admins only)."""
    require(session, actor=actor, minimum=Role.SITE_ADMIN)
    users = session.scalars(select(User).order_by(User.id).limit(MAX_USERS_LISTED))
    return [UserPublic.model_validate(u) for u in users]
