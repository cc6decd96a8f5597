"""E-mail verification on SQLite and PostgreSQL: the mailed link, its limits, and what an
unverified account may and may not do."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput, PermissionDenied, RateLimited
from clusterhub.services.accounts import notifications, users
from clusterhub.services.accounts import verification as email_verification
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.directory import profiles
from clusterhub.services.directory.schemas import OrganisationInput
from clusterhub.services.mail import make_mailer
from clusterhub.services.posts import board
from clusterhub.services.posts import interest as post_interest
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry, EmailVerificationToken, User, utcnow

PASSWORD = "correct horse battery staple"
BASE = "http://testserver/"
LINK = re.compile(r"http://testserver/account/verify/([A-Za-z0-9_-]{43})\n")


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def settings(db_settings: Settings, tmp_path: Path) -> Settings:
    return db_settings.model_copy(
        update={"state_dir": tmp_path, "mail_backend": "file", "login_attempts": 3}
    )


@pytest.fixture
def factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings)
    yield make_session_factory(engine)
    engine.dispose()


def _register(factory: sessionmaker[Session], settings: Settings, mail: str) -> UserPublic:
    with transaction(factory) as session:
        return users.register(
            session, email=mail, display_name="Nina New", password=PASSWORD,
            mailer=make_mailer(settings), request_base=BASE, settings=settings,
        ).user  # fmt: skip


def _mails(settings: Settings) -> list[tuple[str, str, str]]:
    """(to, subject, decoded body) of every mail written so far, oldest first."""
    folder = settings.state_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        mail = email.message_from_bytes(path.read_bytes())
        body = mail.get_payload(decode=True)
        assert isinstance(body, bytes)
        found.append((str(mail["To"]), str(mail["Subject"]), body.decode()))
    return found


def _links(settings: Settings, to: str) -> list[str]:
    """Verification tokens mailed to ``to``, oldest first."""
    return [
        token
        for recipient, subject, body in _mails(settings)
        if recipient == to and subject == "Verify your clusterhub e-mail address"
        for token in LINK.findall(body)
    ]


def _reset_tokens(settings: Settings) -> list[str]:
    """Password reset tokens mailed so far."""
    return [
        token
        for _to, _subject, body in _mails(settings)
        for token in re.findall(r"/account/password-reset/([A-Za-z0-9_-]+)", body)
    ]


def _user(factory: sessionmaker[Session], user_id: int) -> UserPublic:
    with transaction(factory) as session:
        return users.get_user(session, user_id=user_id)


def _actions(factory: sessionmaker[Session]) -> list[str]:
    with transaction(factory) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- the link ----------------------------------------------------------------------------------


def test_registration_mails_a_one_time_link_that_verifies(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    nina = _register(factory, settings, "nina@example.org")
    assert not nina.email_verified
    [token] = _links(settings, "nina@example.org")
    with transaction(factory) as session:
        row = session.scalars(select(EmailVerificationToken)).one()
        assert row.token_hash == users.token_hash(token) and token not in row.token_hash
        assert row.expires_at - row.created_at == timedelta(hours=48)
    with transaction(factory) as session:
        verified = email_verification.verify_email(session, token=token)
    assert verified.id == nina.id and verified.email_verified
    assert _user(factory, nina.id).email_verified
    with transaction(factory) as session, pytest.raises(InvalidInput) as reused:
        email_verification.verify_email(session, token=token)
    assert reused.value.problems[0].field == "token"
    assert "invalid, used or expired" in reused.value.problems[0].message
    assert _actions(factory) == ["user.register", "user.verify_email"]


def test_a_rolled_back_registration_mails_no_link(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    with pytest.raises(RuntimeError), transaction(factory) as session:
        users.register(
            session, email="nina@example.org", display_name="Nina", password=PASSWORD,
            mailer=make_mailer(settings), request_base=BASE, settings=settings,
        )  # fmt: skip
        raise RuntimeError("a later step of the same request failed")
    assert _links(settings, "nina@example.org") == []
    with transaction(factory) as session:
        assert session.scalars(select(User)).all() == []


def test_expired_and_foreign_links_do_not_verify(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    nina = _register(factory, settings, "nina@example.org")
    [token] = _links(settings, "nina@example.org")
    with transaction(factory) as session:
        session.execute(
            update(EmailVerificationToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for candidate in (token, "x" * 43, "y" * 500, ""):
        with transaction(factory) as session, pytest.raises(InvalidInput):
            email_verification.verify_email(session, token=candidate)
    assert not _user(factory, nina.id).email_verified


def test_a_reset_link_is_not_a_verification_link(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    _register(factory, settings, "nina@example.org")
    with transaction(factory) as session:
        users.request_password_reset(
            session, email="nina@example.org", mailer=make_mailer(settings),
            request_base=BASE, settings=settings,
        )  # fmt: skip
    [reset_token] = _reset_tokens(settings)
    with transaction(factory) as session, pytest.raises(InvalidInput):
        email_verification.verify_email(session, token=reset_token)


def test_completing_a_password_reset_proves_the_address(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    nina = _register(factory, settings, "nina@example.org")
    with transaction(factory) as session:
        users.request_password_reset(
            session, email="nina@example.org", mailer=make_mailer(settings),
            request_base=BASE, settings=settings,
        )  # fmt: skip
    [token] = _reset_tokens(settings)
    assert not _user(factory, nina.id).email_verified
    with transaction(factory) as session:
        users.reset_password(session, token=token, new_password="another long passphrase")
    assert _user(factory, nina.id).email_verified


def test_accounts_made_by_the_cli_function_count_as_verified(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        admin = users.create_user(
            session, email="root@example.org", display_name="Root", password=PASSWORD,
            role=Role.SITE_ADMIN,
        )  # fmt: skip
    assert admin.email_verified


# --- resending -----------------------------------------------------------------------------------


def test_resend_mails_a_new_link_a_few_times_per_window(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    nina = _register(factory, settings, "nina@example.org")
    for _ in range(settings.login_attempts):
        with transaction(factory) as session:
            assert email_verification.resend_verification(
                session, actor=nina, mailer=make_mailer(settings), request_base=BASE,
                settings=settings,
            )  # fmt: skip
    with transaction(factory) as session, pytest.raises(RateLimited) as limited:
        email_verification.resend_verification(
            session, actor=nina, mailer=make_mailer(settings), request_base=BASE,
            settings=settings,
        )  # fmt: skip
    assert 0 < limited.value.retry_after <= 15 * 60
    assert str(limited.value).startswith("Too many verification e-mails. Try again in 15 minutes")
    links = _links(settings, "nina@example.org")
    assert len(links) == 1 + settings.login_attempts and len(set(links)) == len(links)
    assert _actions(factory).count("email_verification.resend") == settings.login_attempts
    with transaction(factory) as session:  # an older link still works; it voids the others
        email_verification.verify_email(session, token=links[1])
    with transaction(factory) as session:
        assert session.scalars(select(EmailVerificationToken.used_at)).all() != []
        assert (
            session.scalars(
                select(EmailVerificationToken).where(EmailVerificationToken.used_at.is_(None))
            ).all()
            == []
        )


def test_resend_to_a_verified_account_sends_nothing(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    with transaction(factory) as session:
        root = users.create_user(
            session, email="root@example.org", display_name="Root", password=PASSWORD
        )
    with transaction(factory) as session:
        assert not email_verification.resend_verification(
            session, actor=root, mailer=make_mailer(settings), request_base=BASE,
            settings=settings,
        )  # fmt: skip
    assert _links(settings, "root@example.org") == []
    with transaction(factory) as session, pytest.raises(PermissionDenied):
        email_verification.resend_verification(
            session, actor=None, mailer=make_mailer(settings), request_base=BASE,
            settings=settings,
        )  # fmt: skip


# --- what an unverified account may do ---------------------------------------------------------


def test_unverified_accounts_read_but_do_not_write_what_others_see(
    factory: sessionmaker[Session], settings: Settings, catalogues: Catalogues
) -> None:
    with transaction(factory) as session:
        owner = users.create_user(
            session, email="olga@example.org", display_name="Olga", password=PASSWORD
        )
        org = profiles.create_profile(
            session, data=OrganisationInput(name="Alpha Cluster", country="DE"), actor=owner,
            catalogues=catalogues, embedder=None,
        ).id  # fmt: skip
        post = board.create_post(
            session, organisation_id=org, data={"kind": "offer", "title": "Hydrogen buses"},
            actor=users.get_user(session, user_id=owner.id), catalogues=catalogues,
        ).id  # fmt: skip
    nina = _register(factory, settings, "nina@example.org")
    with transaction(factory) as session:
        owner = users.get_user(session, user_id=owner.id)
        profiles.add_admin(session, organisation_id=org, email=nina.email, actor=owner)
    nina = _user(factory, nina.id)

    writes = {
        "create a profile": lambda s: profiles.create_profile(
            s, data=OrganisationInput(name="Nina's Cluster", country="FR"), actor=nina,
            catalogues=catalogues, embedder=None,
        ),
        "edit a profile": lambda s: profiles.update_profile(
            s, organisation_id=org, changes={"city": "Bonn"}, expected_version=1, actor=nina,
            catalogues=catalogues, embedder=None,
        ),
        "publish a post": lambda s: board.create_post(
            s, organisation_id=org, data={"kind": "request", "title": "Partners"}, actor=nina,
            catalogues=catalogues,
        ),
        "express interest": lambda s: post_interest.express_interest(
            s, post_id=post, data={"message": "Hello"}, actor=nina, mailer=None, site_url=BASE
        ),
        "follow": lambda s: post_interest.follow(s, post_id=post, actor=nina),
    }  # fmt: skip
    for what, write in writes.items():
        with transaction(factory) as session, pytest.raises(PermissionDenied) as refused:
            write(session)
        assert str(refused.value) == users.VERIFY_FIRST, what
    assert "/account" in users.VERIFY_FIRST and "Send the link again" in users.VERIFY_FIRST

    with transaction(factory) as session:  # what stays with the account itself is allowed
        users.update_profile(session, user_id=nina.id, display_name="Nina N.")
        assert profiles.history(session, organisation_id=org, actor=nina) != []
        notifications.list_notifications(session, actor=nina)
        assert not post_interest.unfollow(session, post_id=post, actor=nina)

    [token] = _links(settings, "nina@example.org")
    with transaction(factory) as session:
        email_verification.verify_email(session, token=token)
    nina = _user(factory, nina.id)
    with transaction(factory) as session:
        assert post_interest.follow(session, post_id=post, actor=nina)
        profiles.update_profile(
            session, organisation_id=org, changes={"city": "Bonn"}, expected_version=1,
            actor=nina, catalogues=catalogues, embedder=None,
        )  # fmt: skip
