"""Account pages end to end on SQLite and PostgreSQL: forms, cookies, CSRF, limits, reset, roles."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from clusterhub.config import Settings
from clusterhub.services.accounts import users as accounts
from clusterhub.services.accounts.users import Role
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry, PasswordResetToken, User, utcnow
from clusterhub.web.app import create_app

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def settings(db_settings: Settings, tmp_path: Path) -> Settings:
    return db_settings.model_copy(
        update={"state_dir": tmp_path, "mail_backend": "file", "login_attempts": 3}
    )


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def web(settings: Settings) -> Iterator[TestClient]:
    with _client(settings) as client:
        yield client


def _token(client: TestClient, path: str = "/account/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found, "no CSRF token on " + path
    return found.group(1)


def _post(client: TestClient, path: str, data: dict[str, str], form_page: str = "") -> object:
    data = {"csrf_token": _token(client, form_page or path), **data}
    return client.post(path, data=data, follow_redirects=False)


def _register(client: TestClient, mail: str = "ann@example.org", name: str = "Ann") -> None:
    page = client.post(
        "/account/register",
        data={"csrf_token": _token(client, "/account/register"), "email": mail,
              "display_name": name, "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    assert page.status_code == 303, page.text


def _login(client: TestClient, mail: str, password: str = PASSWORD, next_url: str = "") -> object:
    return client.post(
        "/account/login",
        data={"csrf_token": _token(client), "email": mail, "password": password,
              "next": next_url},
        follow_redirects=False,
    )  # fmt: skip


def _logout(client: TestClient) -> None:
    page = client.post(
        "/account/logout", data={"csrf_token": _token(client, "/account")}, follow_redirects=False
    )
    assert page.status_code == 303


def _create(settings: Settings, mail: str, role: Role) -> None:
    factory = make_session_factory(make_engine(settings))
    with transaction(factory) as session:
        accounts.create_user(
            session, email=mail, display_name=mail.partition("@")[0], password=PASSWORD, role=role
        )


# --- the main flow -------------------------------------------------------------------------------


def test_register_login_profile_logout(web: TestClient) -> None:
    _register(web, "Ann@Example.org", "Ann Lee")
    cookie = web.cookies.get("ch_session")
    assert cookie and len(cookie) >= 43  # 32 random bytes
    profile = web.get("/account")
    assert profile.status_code == 200
    assert "ann@example.org" in profile.text and "Ann Lee" in profile.text
    assert "Member" in profile.text and 'action="/account/logout"' in profile.text
    _logout(web)
    assert not web.cookies.get("ch_session")
    gone = web.get("/account", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/account/login")
    assert 'href="/account/register">Register' in web.get("/account/login").text
    login = _login(web, "ann@example.org", next_url="/account?x=1")
    assert login.status_code == 303 and login.headers["location"] == "/account?x=1"
    assert "Ann Lee" in web.get("/account").text
    _logout(web)


def test_session_cookie_is_httponly_lax_and_expires(web: TestClient) -> None:
    page = web.post(
        "/account/register",
        data={"csrf_token": _token(web, "/account/register"), "email": "a@example.org",
              "display_name": "A", "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    header = page.headers["set-cookie"].lower()
    assert header.startswith("ch_session=") and "httponly" in header
    assert "samesite=lax" in header and "expires=" in header and "path=/" in header
    assert "secure" not in header  # only in production (test client speaks HTTP)
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"


def test_wrong_password_rerenders_the_form_without_the_password(web: TestClient) -> None:
    _register(web)
    _logout(web)
    page = _login(web, "ann@example.org", "not the password at all")
    assert page.status_code == 400
    assert "E-mail address: the e-mail or the password is wrong." in page.text
    assert 'value="ann@example.org"' in page.text and "not the password" not in page.text
    assert 'href="#email"' in page.text
    assert not web.cookies.get("ch_session")


def test_open_redirects_are_refused(web: TestClient) -> None:
    _register(web)
    _logout(web)
    for target in (
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
    ):
        page = _login(web, "ann@example.org", next_url=target)
        assert page.headers["location"] == "/account", target
        _logout(web)


# --- CSRF ----------------------------------------------------------------------------------------


def test_posts_without_a_valid_token_are_refused(web: TestClient) -> None:
    _token(web)  # the browser has its nonce cookie
    form = {"email": "a@example.org", "password": PASSWORD, "display_name": "A"}
    for path in ("/account/login", "/account/register", "/account/password-reset"):
        missing = web.post(path, data=form)
        assert missing.status_code == 403, path
        assert "security token" in missing.text
        wrong = web.post(path, data={**form, "csrf_token": "0" * 64})
        assert wrong.status_code == 403
    with _client(web.app.state.settings) as other:  # another browser's token is no good
        stolen = _token(other)
    assert web.post("/account/login", data={**form, "csrf_token": stolen}).status_code == 403


def test_token_is_bound_to_the_session_and_accepted_as_header(web: TestClient) -> None:
    anonymous = _token(web)
    _register(web)
    assert _token(web, "/account") != anonymous
    refused = web.post("/account/logout", data={"csrf_token": anonymous})
    assert refused.status_code == 403 and web.get("/account").status_code == 200
    header = {"X-CSRF-Token": _token(web, "/account")}
    page = web.post("/account/profile", data={"display_name": "Via HTMX"}, headers=header)
    assert page.status_code == 200 and "Via HTMX" in page.text
    assert 'hx-headers=\'{"X-CSRF-Token": "' + header["X-CSRF-Token"] in page.text


def test_api_writes_need_a_session_and_its_token(settings: Settings) -> None:
    app = create_app(settings)

    def write() -> dict[str, bool]:
        return {"ok": True}

    app.add_api_route("/api/v1/test-write", write, methods=["POST"])
    with TestClient(app) as client:
        anonymous = client.post("/api/v1/test-write", json={})
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.json()["error"]["code"] == "not_authenticated"
        _register(client)
        assert client.post("/api/v1/test-write", json={}).status_code == 403
        header = {"X-CSRF-Token": _token(client, "/account")}
        assert client.post("/api/v1/test-write", json={}, headers=header).status_code == 200


def test_api_answers_set_no_cookie(web: TestClient) -> None:
    answer = web.get("/api/v1/does-not-exist")
    assert "set-cookie" not in answer.headers
    assert "set-cookie" in web.get("/account/login").headers


# --- rate limit ----------------------------------------------------------------------------------


def test_login_is_rate_limited_after_n_failures(web: TestClient, settings: Settings) -> None:
    _register(web)
    _logout(web)
    for _ in range(settings.login_attempts):
        assert _login(web, "ann@example.org", "wrong password, sorry").status_code == 400
    limited = _login(web, "ann@example.org", PASSWORD)
    assert limited.status_code == 429
    assert "Too many failed log-in attempts" in limited.text
    assert 0 < int(limited.headers["retry-after"]) <= 15 * 60
    assert not web.cookies.get("ch_session")


# --- password reset ------------------------------------------------------------------------------


def _mails(settings: Settings, subject: str = "Reset your") -> list[email.message.Message]:
    """The mails written so far whose subject starts with ``subject`` (registration also
    mails a verification link)."""
    folder = settings.state_dir / "mail"
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    mails = [email.message_from_bytes(p.read_bytes()) for p in paths]
    return [m for m in mails if str(m["Subject"]).startswith(subject)]


def _link(mail: email.message.Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"http://testserver(/account/password-reset/[A-Za-z0-9_-]+)", body.decode())
    assert found, body
    return found.group(1)


def test_password_reset_end_to_end(web: TestClient, settings: Settings) -> None:
    _register(web)
    with _client(settings) as stranger:
        sent = _post(stranger, "/account/password-reset", {"email": "ANN@example.org"})
        unknown = _post(stranger, "/account/password-reset", {"email": "zed@example.org"})
        assert sent.status_code == unknown.status_code == 200
        assert "Check your e-mail" in sent.text and sent.text == unknown.text
        [mail] = _mails(settings)
        link = _link(mail)
        form = stranger.get(link)
        assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
        short = _post(stranger, link, {"password": "short"})
        assert short.status_code == 422 and 'href="#password"' in short.text
        done = _post(stranger, link, {"password": NEW_PASSWORD})
        assert done.status_code == 303 and done.headers["location"] == "/account/login?saved=reset"
        again = stranger.get(link)
        assert again.status_code == 400 and "no longer works" in again.text
        assert (
            _post(stranger, link, {"password": NEW_PASSWORD}, "/account/login").status_code == 400
        )
        assert "Log in with the new one" in stranger.get("/account/login?saved=reset").text
        assert _login(stranger, "ann@example.org", PASSWORD).status_code == 400
        assert _login(stranger, "ann@example.org", NEW_PASSWORD).status_code == 303
    gone = web.get("/account", follow_redirects=False)  # the old session ended with the reset
    assert gone.status_code == 303


def test_a_reset_mail_that_cannot_be_sent_is_reported_not_500(
    web: TestClient, settings: Settings
) -> None:
    _create(settings, "ann@example.org", Role.MEMBER)
    (settings.state_dir / "mail").write_text("a file where the mail folder should be")
    page = _post(web, "/account/password-reset", {"email": "ann@example.org"})
    assert page.status_code == 503
    assert "We could not send the e-mail. Please try again in a few minutes." in page.text
    assert 'value="ann@example.org"' in page.text  # the form is back, filled in


def test_expired_reset_link_is_refused(web: TestClient, settings: Settings) -> None:
    _register(web)
    _post(web, "/account/password-reset", {"email": "ann@example.org"}, "/account")
    link = _link(_mails(settings)[0])
    factory = make_session_factory(make_engine(settings))
    with transaction(factory) as session:
        session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert web.get(link).status_code == 400
    refused = _post(web, link, {"password": NEW_PASSWORD}, "/account")
    assert refused.status_code == 400 and "no longer works" in refused.text
    assert web.get("/account/password-reset/" + "x" * 43).status_code == 400


# --- roles and ownership -------------------------------------------------------------------------


def test_members_cannot_administer_and_admins_can(web: TestClient, settings: Settings) -> None:
    _register(web, "first@example.org")  # the first account is an ordinary member
    factory = make_session_factory(make_engine(settings))
    with transaction(factory) as session:
        first = session.scalars(select(User)).one()
        assert first.role == "member"
        first_id = first.id
    assert web.get("/account/users").status_code == 403
    assert web.get("/account/audit").status_code == 403
    promote = _post(web, f"/account/users/{first_id}/role", {"role": "site_admin"}, "/account")
    assert promote.status_code == 403
    _logout(web)
    _create(settings, "root@example.org", Role.SITE_ADMIN)
    assert _login(web, "root@example.org").status_code == 303
    listing = web.get("/account/users")
    assert listing.status_code == 200 and "first@example.org" in listing.text
    changed = _post(
        web, f"/account/users/{first_id}/role", {"role": "programme_officer"}, "/account"
    )
    assert changed.status_code == 303
    bad = _post(web, f"/account/users/{first_id}/role", {"role": "emperor"}, "/account")
    assert bad.status_code == 422 and "Role: choose one of" in bad.text
    with transaction(factory) as session:
        assert session.get(User, first_id).role == "programme_officer"  # type: ignore[union-attr]
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"user.register", "user.role", "login", "logout"} <= actions
    audit_page = web.get("/account/audit")
    assert audit_page.status_code == 200 and "programme_officer" in audit_page.text


def test_anonymous_writes_need_a_login(web: TestClient) -> None:
    page = _post(web, "/account/profile", {"display_name": "Mallory"}, "/account/login")
    assert page.status_code == 401


def test_profile_edits_only_the_own_account(web: TestClient, settings: Settings) -> None:
    _create(settings, "bob@example.org", Role.MEMBER)
    _register(web)
    page = _post(web, "/account/profile", {"display_name": "Renamed", "user_id": "1"}, "/account")
    assert page.status_code == 303
    factory = make_session_factory(make_engine(settings))
    with transaction(factory) as session:
        names = dict(session.execute(select(User.email, User.display_name)).all())
    assert names == {"bob@example.org": "bob", "ann@example.org": "Renamed"}


def test_change_password_logs_out_other_browsers(web: TestClient, settings: Settings) -> None:
    _register(web)
    with _client(settings) as phone:
        assert _login(phone, "ann@example.org").status_code == 303
        wrong = _post(
            web, "/account/password",
            {"current_password": "nope", "new_password": NEW_PASSWORD}, "/account",
        )  # fmt: skip
        assert wrong.status_code == 422 and 'href="#current_password"' in wrong.text
        done = _post(
            web, "/account/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, "/account",
        )  # fmt: skip
        assert done.status_code == 303
        assert phone.get("/account", follow_redirects=False).status_code == 303
    assert web.get("/account").status_code == 200


# --- hostile and malformed input -----------------------------------------------------------------


def test_html_in_display_names_is_escaped(web: TestClient) -> None:
    _register(web, name='<script>alert("x")</script>')
    for path in ("/account", "/"):
        html = web.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ({}, ["email", "display_name", "password"]),
        ({"email": "nope", "display_name": "A", "password": PASSWORD}, ["email"]),
        ({"email": "a@example.org", "display_name": "A", "password": "short"}, ["password"]),
        ({"email": "a@example.org", "display_name": "x" * 500, "password": PASSWORD},
         ["display_name"]),
        ({"email": "a@example.org", "display_name": "A", "password": "p" * 5000}, ["password"]),
    ],
)  # fmt: skip
def test_malformed_registration_names_the_field(
    web: TestClient, form: dict[str, str], fields: list[str]
) -> None:
    page = _post(web, "/account/register", form)
    assert page.status_code == 422
    assert re.search(r"There (is a problem|are \d+ problems)", page.text)
    for name in fields:
        assert f'href="#{name}"' in page.text and f'id="{name}"' in page.text
        assert f'id="{name}-error"' in page.text
        assert re.search(rf'aria-describedby="(?:{name}-hint )?{name}-error"', page.text)
    assert 'aria-invalid="true"' in page.text


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/account/login", {}, "email"),
        ("/account/login", {"email": "a@b", "password": "x"}, "email"),
        ("/account/login", {"email": "a@example.org"}, "password"),
        ("/account/password-reset", {"email": ""}, "email"),
        ("/account/password-reset", {"email": "x@@y"}, "email"),
    ],
)
def test_malformed_login_and_reset_forms_name_the_field(
    web: TestClient, path: str, form: dict[str, str], field: str
) -> None:
    page = _post(web, path, form)
    assert page.status_code == 422
    assert f'href="#{field}"' in page.text


def test_odd_requests_never_answer_500(web: TestClient) -> None:
    token = _token(web)
    odd = [
        ("/account/login", {"csrf_token": token, "email": "a\x00@b.de", "password": "x"}),
        ("/account/register", {"csrf_token": token, "email": "a@b.de", "display_name": "\u202e"}),
        ("/account/users/0/role", {"csrf_token": token, "role": "member"}),
        ("/account/users/abc/role", {"csrf_token": token}),
    ]
    for path, data in odd:
        assert web.post(path, data=data).status_code < 500, path
    assert web.get("/account/password-reset/" + "x" * 500).status_code == 422
    assert (
        web.post(
            "/account/login",
            content=b"\xff\xfe",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ).status_code
        == 403
    )


def test_production_cookies_are_secure_and_host_bound(settings: Settings) -> None:
    production = settings.model_copy(
        update={"environment": "production", "secret_key": "s" * 40,
                "public_url": "https://hub.example.org"}
    )  # fmt: skip
    with TestClient(create_app(production), base_url="https://testserver") as client:
        nonce = client.get("/account/register").headers["set-cookie"].lower()
        assert nonce.startswith("__host-ch_csrf=") and "; secure" in nonce
        _register(client)
        session = client.cookies.get("__Host-ch_session")
        assert session and client.get("/account").status_code == 200
        assert not client.cookies.get("ch_session")
