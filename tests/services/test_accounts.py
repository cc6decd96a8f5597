"""Account use cases on SQLite and PostgreSQL: hashing, sessions, limits, reset, roles, audit."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput, NotFound, PermissionDenied, RateLimited
from clusterhub.services.accounts import audit_log, logins, users
from clusterhub.services.accounts.audit_log import AuditQuery
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.mail import make_mailer
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import (
    AuditEntry,
    LoginAttempt,
    PasswordResetToken,
    User,
    UserSession,
    utcnow,
)

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase"
BASE = "http://testserver/"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests hash many passwords: cheap parameters keep them fast (the rehash test restores)."""
    monkeypatch.setattr(users, "_HASHER", CHEAP)


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


@pytest.fixture
def tx(factory: sessionmaker[Session]) -> Any:
    """``with tx() as session:`` runs one committed transaction."""

    def open_transaction() -> AbstractContextManager[Session]:
        return transaction(factory)

    return open_transaction


def _user(tx: Any, role: Role = Role.MEMBER, mail: str = "ann@example.org") -> UserPublic:
    with tx() as session:
        return users.create_user(
            session, email=mail, display_name="Ann", password=PASSWORD, role=role
        )


def _login(tx: Any, settings: Settings, mail: str, password: str, client: str = "10.0.0.1") -> Any:
    with tx() as session:
        return logins.login(
            session, email=mail, password=password, client=client, settings=settings
        )


def _actions(tx: Any) -> list[str]:
    with tx() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- registration and validation -----------------------------------------------------------------


def test_register_normalises_email_hashes_password_and_audits(tx: Any, settings: Settings) -> None:
    with tx() as session:
        new = users.register(
            session, email="  Ann@Example.ORG ", display_name=" Ann   Lee ", password=PASSWORD,
            mailer=make_mailer(settings), request_base=BASE, settings=settings,
        )  # fmt: skip
    assert new.user.email == "ann@example.org"
    assert new.user.display_name == "Ann Lee"
    assert new.user.role is Role.MEMBER  # the first account is not an admin
    with tx() as session:
        stored = session.scalars(select(User)).one()
        sessions = session.scalars(select(UserSession)).all()
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert [s.token_hash for s in sessions] == [users.token_hash(new.token)]
    assert new.token not in sessions[0].token_hash
    assert _actions(tx) == ["user.register"]


def test_register_reports_every_problem_by_field(tx: Any, settings: Settings) -> None:
    with tx() as session, pytest.raises(InvalidInput) as caught:
        users.register(
            session, email="not-an-address", display_name="  ", password="short",
            mailer=make_mailer(settings), request_base=BASE, settings=settings,
        )  # fmt: skip
    fields = {p.field for p in caught.value.problems}
    assert fields == {"email", "display_name", "password"}
    assert any("12 characters" in p.message for p in caught.value.problems)


def test_password_may_not_be_the_email(tx: Any, settings: Settings) -> None:
    with tx() as session, pytest.raises(InvalidInput) as caught:
        users.register(
            session, email="longname.person@example.org", display_name="X",
            password="LongName.Person@example.org", mailer=make_mailer(settings),
            request_base=BASE, settings=settings,
        )  # fmt: skip
    assert caught.value.problems[0].field == "password"
    assert "e-mail" in caught.value.problems[0].message


def test_an_email_registers_once_whatever_its_case(tx: Any, settings: Settings) -> None:
    _user(tx)
    with tx() as session, pytest.raises(InvalidInput) as caught:
        users.register(
            session, email="ANN@example.org", display_name="B", password=PASSWORD,
            mailer=make_mailer(settings), request_base=BASE, settings=settings,
        )  # fmt: skip
    assert caught.value.problems[0].field == "email"
    with tx() as session:
        assert session.scalar(select(User.id).where(User.display_name == "B")) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a@b.co", "a@b.co"),
        (" Jo.Doe+tag@Sub.Example.COM ", "jo.doe+tag@sub.example.com"),
        ("zoë@bücher.de", "zoë@bücher.de"),
    ],
)
def test_normalise_email_accepts(raw: str, expected: str) -> None:
    assert users.normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "plain", "a@b", "a@@b.co", "a b@c.de", "a@-b.de", "a@b..de", "<a>@b.de",
     "a@b.de\nBcc: x@y.z", "a\x00@b.de", "x" * 65 + "@b.de", "a@" + "b" * 250 + ".de"],
)  # fmt: skip
def test_normalise_email_refuses_with_the_field_named(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        users.normalise_email(raw)
    assert caught.value.problems[0].field == "email"


def test_display_name_refuses_control_characters_and_length() -> None:
    for bad in ("a\u202eb", "x" * 121, "\t \n"):
        with pytest.raises(InvalidInput):
            users.clean_display_name(bad)
    assert users.clean_display_name("<b>Ann</b>") == "<b>Ann</b>"  # escaped when shown


def test_roles_are_ordered() -> None:
    assert [r.value for r in Role] == [
        "visitor", "member", "org_admin", "programme_officer", "site_admin"
    ]  # fmt: skip
    assert Role.VISITOR.rank < Role.MEMBER.rank < Role.SITE_ADMIN.rank


# --- sessions ------------------------------------------------------------------------------------


def test_login_session_resolves_until_logout(tx: Any, settings: Settings) -> None:
    _user(tx)
    new = _login(tx, settings, "ANN@example.org", PASSWORD)
    assert new is not None and new.user.email == "ann@example.org"
    with tx() as session:
        user = users.user_for_session(session, token=new.token)
        assert user is not None and user.last_login_at is not None
        assert users.user_for_session(session, token=new.token + "x") is None
        users.logout(session, token=new.token)
    with tx() as session:
        assert users.user_for_session(session, token=new.token) is None
    assert _actions(tx) == ["user.create", "login", "logout"]


def test_expired_session_is_not_accepted(tx: Any, settings: Settings) -> None:
    _user(tx)
    new = _login(tx, settings, "ann@example.org", PASSWORD)
    with tx() as session:
        session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    with tx() as session:
        assert users.user_for_session(session, token=new.token) is None


def test_session_lasts_session_days(tx: Any, settings: Settings) -> None:
    _user(tx)
    new = _login(tx, settings, "ann@example.org", PASSWORD)
    lasting = new.expires_at - utcnow()
    assert timedelta(days=settings.session_days - 1) < lasting <= timedelta(days=14)


def test_deactivated_user_cannot_log_in_and_loses_sessions(tx: Any, settings: Settings) -> None:
    user = _user(tx)
    new = _login(tx, settings, "ann@example.org", PASSWORD)
    with tx() as session:
        session.execute(update(User).where(User.id == user.id).values(is_active=False))
    with tx() as session:
        assert users.user_for_session(session, token=new.token) is None
    assert _login(tx, settings, "ann@example.org", PASSWORD) is None


def test_login_rehashes_when_parameters_change(
    tx: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _user(tx)  # hashed with the cheap test parameters
    strong = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(users, "_HASHER", strong)
    with tx() as session:
        before = session.scalars(select(User.password_hash)).one()
    assert strong.check_needs_rehash(before)
    assert _login(tx, settings, "ann@example.org", PASSWORD) is not None
    with tx() as session:
        after = session.scalars(select(User.password_hash)).one()
    assert after != before and "m=2048,t=2,p=1" in after
    assert not strong.check_needs_rehash(after)


def test_default_hasher_is_argon2id_with_rfc_parameters() -> None:
    hasher = PasswordHasher()  # what accounts uses outside these tests
    assert hasher.type.name == "ID" and hasher.memory_cost >= 19 * 1024


# --- rate limit ----------------------------------------------------------------------------------


def test_wrong_password_is_counted_and_audited(tx: Any, settings: Settings) -> None:
    _user(tx)
    assert _login(tx, settings, "ann@example.org", "wrong password!!") is None
    assert _login(tx, settings, "nobody@example.org", "wrong password!!") is None
    with tx() as session:
        keys = sorted(session.scalars(select(LoginAttempt.key)))
    assert keys == [
        "email:ann@example.org", "email:nobody@example.org", "ip:10.0.0.1", "ip:10.0.0.1"
    ]  # fmt: skip
    # one entry per failed log-in, also for an unknown address (it wrote login attempts too)
    assert _actions(tx) == ["user.create", "login.failed", "login.failed"]
    with tx() as session:
        failed = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login.failed").order_by(AuditEntry.id)
        ).all()
    assert [(e.entity_id, e.actor, e.user_id) for e in failed] == [
        ("1", "anonymous", None), (None, "anonymous", None)
    ]  # fmt: skip


def test_too_many_failures_for_an_email_block_even_the_right_password(
    tx: Any, settings: Settings
) -> None:
    _user(tx)
    for n in range(settings.login_attempts):
        assert _login(tx, settings, "ann@example.org", "wrong", client=f"10.0.1.{n}") is None
    with pytest.raises(RateLimited) as caught:
        _login(tx, settings, "ann@example.org", PASSWORD, client="10.9.9.9")
    assert 0 < caught.value.retry_after <= settings.login_window_minutes * 60 + 1
    assert "Try again in 15 minutes" in str(caught.value)


def test_too_many_failures_from_a_client_block_other_emails(tx: Any, settings: Settings) -> None:
    _user(tx)
    for n in range(settings.login_attempts):
        _login(tx, settings, f"guess{n}@example.org", "wrong")
    with pytest.raises(RateLimited):
        _login(tx, settings, "ann@example.org", PASSWORD)
    assert _login(tx, settings, "ann@example.org", PASSWORD, client="10.0.0.2") is not None


def test_success_clears_the_email_count_but_not_the_clients(tx: Any, settings: Settings) -> None:
    _user(tx)
    _login(tx, settings, "ann@example.org", "wrong")
    _login(tx, settings, "ann@example.org", "wrong")
    assert _login(tx, settings, "ann@example.org", PASSWORD) is not None
    # the e-mail starts afresh: two more failures from elsewhere do not reach the limit
    _login(tx, settings, "ann@example.org", "wrong", client="10.0.0.2")
    _login(tx, settings, "ann@example.org", "wrong", client="10.0.0.3")
    assert _login(tx, settings, "ann@example.org", PASSWORD, client="10.0.0.4") is not None
    # the client keeps its two failures: one more and it is blocked
    _login(tx, settings, "other@example.org", "wrong")
    with pytest.raises(RateLimited):
        _login(tx, settings, "ann@example.org", PASSWORD)


def test_failures_older_than_the_window_no_longer_count(tx: Any, settings: Settings) -> None:
    _user(tx)
    for _ in range(settings.login_attempts):
        _login(tx, settings, "ann@example.org", "wrong")
    with tx() as session:
        old = utcnow() - timedelta(minutes=settings.login_window_minutes, seconds=1)
        session.execute(update(LoginAttempt).values(at=old))
    assert _login(tx, settings, "ann@example.org", PASSWORD) is not None


def test_ipv6_clients_are_counted_by_their_64_prefix() -> None:
    assert users.client_key("2001:db8:1:2::5") == users.client_key("2001:db8:1:2:ffff::1")
    assert users.client_key("2001:db8:1:3::5") != users.client_key("2001:db8:1:2::5")
    assert users.client_key("192.0.2.7") == "ip:192.0.2.7"
    assert users.client_key("testclient") == "ip:testclient"


def test_login_names_missing_fields(tx: Any, settings: Settings) -> None:
    with pytest.raises(InvalidInput) as caught:
        _login(tx, settings, " ", "")
    assert {p.field for p in caught.value.problems} == {"email", "password"}


# --- passwords -----------------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(
    tx: Any, settings: Settings
) -> None:
    user = _user(tx)
    here = _login(tx, settings, "ann@example.org", PASSWORD)
    elsewhere = _login(tx, settings, "ann@example.org", PASSWORD)
    with tx() as session, pytest.raises(InvalidInput) as caught:
        users.change_password(
            session, user_id=user.id, current_password="wrong", new_password=NEW_PASSWORD
        )
    assert caught.value.problems[0].field == "current_password"
    with tx() as session:
        users.change_password(
            session, user_id=user.id, current_password=PASSWORD, new_password=NEW_PASSWORD,
            keep_token=here.token,
        )  # fmt: skip
    with tx() as session:
        assert users.user_for_session(session, token=here.token) is not None
        assert users.user_for_session(session, token=elsewhere.token) is None
    assert _login(tx, settings, "ann@example.org", NEW_PASSWORD) is not None
    assert "user.password_change" in _actions(tx)


def _mails(settings: Settings) -> list[email.message.Message]:
    folder = settings.state_dir / "mail"
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes()) for p in paths]


def _reset_token(mail: email.message.Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"/account/password-reset/([A-Za-z0-9_-]+)", body.decode())
    assert found
    return found.group(1)


def _request_reset(tx: Any, settings: Settings, mail: str = "ann@example.org") -> None:
    with tx() as session:
        users.request_password_reset(
            session, email=mail, mailer=make_mailer(settings),
            request_base="http://testserver/", settings=settings,
        )  # fmt: skip


def test_reset_by_mailed_token_ends_sessions_and_works_once(tx: Any, settings: Settings) -> None:
    user = _user(tx)
    old_session = _login(tx, settings, "ann@example.org", PASSWORD)
    _request_reset(tx, settings)
    [mail] = _mails(settings)
    assert mail["To"] == "ann@example.org" and "reset" in mail["Subject"].lower()
    token = _reset_token(mail)
    with tx() as session:
        stored = session.scalars(select(PasswordResetToken)).one()
        assert stored.token_hash == users.token_hash(token) and stored.user_id == user.id
        assert users.reset_token_valid(session, token=token)
    with tx() as session, pytest.raises(InvalidInput) as short:
        users.reset_password(session, token=token, new_password="short")
    assert short.value.problems[0].field == "password"
    with tx() as session:  # a refused password did not use the token up
        users.reset_password(session, token=token, new_password=NEW_PASSWORD)
    with tx() as session:
        assert users.user_for_session(session, token=old_session.token) is None
        assert not users.reset_token_valid(session, token=token)
    with tx() as session, pytest.raises(InvalidInput) as reused:
        users.reset_password(session, token=token, new_password="yet another passphrase")
    assert reused.value.problems[0].field == "token"
    assert _login(tx, settings, "ann@example.org", PASSWORD) is None
    assert _login(tx, settings, "ann@example.org", NEW_PASSWORD) is not None
    assert {"password_reset.request", "user.password_reset"} <= set(_actions(tx))


def test_expired_reset_token_is_refused(tx: Any, settings: Settings) -> None:
    _user(tx)
    _request_reset(tx, settings)
    token = _reset_token(_mails(settings)[0])
    with tx() as session:
        session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with tx() as session:
        assert not users.reset_token_valid(session, token=token)
        with pytest.raises(InvalidInput):
            users.reset_password(session, token=token, new_password=NEW_PASSWORD)


def test_reset_token_expires_after_the_configured_minutes(tx: Any, settings: Settings) -> None:
    _user(tx)
    _request_reset(tx, settings)
    with tx() as session:
        row = session.scalars(select(PasswordResetToken)).one()
        lifetime = row.expires_at - row.created_at
    assert lifetime == timedelta(minutes=60)


def test_unknown_email_gets_no_mail_and_no_error(tx: Any, settings: Settings) -> None:
    _user(tx)
    _request_reset(tx, settings, "nobody@example.org")
    assert _mails(settings) == []
    with pytest.raises(InvalidInput):
        _request_reset(tx, settings, "not an address")


def test_a_rolled_back_reset_request_mails_no_link(tx: Any, settings: Settings) -> None:
    """The link would name a token that was never stored."""
    _user(tx)
    with pytest.raises(RuntimeError), tx() as session:
        users.request_password_reset(
            session, email="ann@example.org", mailer=make_mailer(settings),
            request_base="http://testserver/", settings=settings,
        )  # fmt: skip
        raise RuntimeError("a later step of the same request failed")
    assert _mails(settings) == []
    with tx() as session:
        assert session.scalars(select(PasswordResetToken)).all() == []


def test_reset_mails_per_address_are_limited(tx: Any, settings: Settings) -> None:
    _user(tx)
    for _ in range(settings.login_attempts + 2):
        _request_reset(tx, settings)
    assert len(_mails(settings)) == settings.login_attempts


def test_reset_link_uses_the_public_url_not_the_request(tx: Any, settings: Settings) -> None:
    _user(tx)
    public = settings.model_copy(update={"public_url": "https://hub.example.org/"})
    with tx() as session:
        users.request_password_reset(
            session, email="ann@example.org", mailer=make_mailer(public),
            request_base="http://evil.example/", settings=public,
        )  # fmt: skip
    body = _mails(settings)[0].get_payload(decode=True)
    assert isinstance(body, bytes)
    assert b"https://hub.example.org/account/password-reset/" in body and b"evil" not in body


# --- roles ---------------------------------------------------------------------------------------


def test_only_site_admins_set_roles_and_it_is_audited(tx: Any) -> None:
    admin = _user(tx, Role.SITE_ADMIN, "admin@example.org")
    member = _user(tx, Role.MEMBER, "member@example.org")
    with tx() as session, pytest.raises(PermissionDenied):
        users.set_role(session, actor=member, user_id=admin.id, role="visitor")
    with tx() as session:
        changed = users.set_role(session, actor=admin, user_id=member.id, role="org_admin")
    assert changed.role is Role.ORG_ADMIN
    with tx() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.role")).one()
    assert entry.user_id == admin.id and entry.entity_id == str(member.id)
    assert entry.details == {"from": "member", "to": "org_admin"}


def test_role_changes_refused_on_oneself_unknown_roles_and_users(tx: Any) -> None:
    admin = _user(tx, Role.SITE_ADMIN, "admin@example.org")
    member = _user(tx, Role.MEMBER, "member@example.org")
    with tx() as session, pytest.raises(PermissionDenied):
        users.set_role(session, actor=admin, user_id=admin.id, role="member")
    with tx() as session, pytest.raises(InvalidInput) as caught:
        users.set_role(session, actor=admin, user_id=member.id, role="emperor")
    assert caught.value.problems[0].field == "role"
    with tx() as session, pytest.raises(NotFound):
        users.set_role(session, actor=admin, user_id=999_999, role="member")


def test_a_withdrawn_role_stops_working_at_once(tx: Any) -> None:
    admin = _user(tx, Role.SITE_ADMIN, "admin@example.org")
    other = _user(tx, Role.MEMBER, "member@example.org")
    with tx() as session:
        session.execute(update(User).where(User.id == admin.id).values(role="member"))
    with tx() as session, pytest.raises(PermissionDenied):
        users.set_role(session, actor=admin, user_id=other.id, role="site_admin")  # stale DTO


def test_user_list_and_audit_log_are_for_site_admins(tx: Any) -> None:
    admin = _user(tx, Role.SITE_ADMIN, "admin@example.org")
    officer = _user(tx, Role.PROGRAMME_OFFICER, "po@example.org")
    with tx() as session:
        assert [u.email for u in users.list_users(session, actor=admin)] == [
            "admin@example.org", "po@example.org"
        ]  # fmt: skip
        entries = audit_log.search(session, actor=admin, query=AuditQuery()).items
        assert entries[0].action == "user.create" and entries[0].entity_id == str(officer.id)
        for actor in (officer, None):
            with pytest.raises(PermissionDenied):
                users.list_users(session, actor=actor)
            with pytest.raises(PermissionDenied):
                audit_log.search(session, actor=actor, query=AuditQuery())


def test_update_profile_is_audited(tx: Any) -> None:
    user = _user(tx)
    with tx() as session:
        assert users.update_profile(session, user_id=user.id, display_name="Annie").display_name
    with tx() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.details == {"display_name": {"from": "Ann", "to": "Annie"}}
