"""What the server does with hostile or malformed requests, in-process on both databases:
security headers on every answer, 500s and refusals in the documented error shape, bodies
refused by size and by missing login or CSRF token before they are used, capped error lists.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role
from clusterhub.store.db import transaction
from clusterhub.web.app import create_app
from tests.web.directory_fixtures import PASSWORD, DirectoryWorld, csrf

UPLOAD = "/api/v1/scoreboard/indicators"


def _user(world: DirectoryWorld, role: Role) -> TestClient:
    """A fresh browser logged in as a new user with ``role``."""
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    with transaction(world.app.state.sessions) as session:
        users.create_user(session, email=email, display_name="Test", password=PASSWORD, role=role)
    return world.logged_in(email)


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/directory",
        "/account/login",
        "/api/v1/regions/DE11",
        "/api/v1/organisations?q=x",
        "/static/clusterhub.css",
        "/vendor/plotly.min.js",
        "/static/vendor/plotly.min.js",
        "/no-such-page",
        "/api/v1/regions/XX99",
        "/api/v1/metrics?page=0",
    ],
)
def test_every_answer_forbids_framing_sniffing_and_foreign_scripts(
    client: TestClient, path: str
) -> None:
    answer = client.get(path)
    policy = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, (path, answer.status_code)
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in answer.headers  # not outside production


def test_production_answers_insist_on_https(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("production")
    settings = Settings(
        environment="production",
        database_url=f"sqlite:///{folder / 'p.db'}",
        secret_key="k9Q-2vXr8LmZ0pT4wYbN6cHjU1sDfGaE3oIqRtVyW5x",
        public_url="https://clusterhub.example.org",
        mail_backend="smtp",
        smtp_host="mail.example.org",
        mail_from="clusterhub <hub@example.org>",
    )
    answer = TestClient(create_app(settings)).get("/healthz")
    assert answer.headers["strict-transport-security"].startswith("max-age=63072000")


# --- unexpected errors -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("failing")
    app = create_app(Settings(database_url=f"sqlite:///{folder / 'f.db'}", environment="test"))

    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom", boom)
    return app


def test_an_unexpected_failure_is_a_500_in_the_documented_shape(failing_app: FastAPI) -> None:
    answer = TestClient(failing_app, raise_server_exceptions=False).get("/api/v1/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == "internal_error" and error["details"] is None
    assert "secret internal detail" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"


def test_an_unexpected_failure_of_a_page_is_an_error_page(failing_app: FastAPI) -> None:
    answer = TestClient(failing_app, raise_server_exceptions=False).get("/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert "went wrong on our side" in answer.text
    assert "secret internal detail" not in answer.text


# --- bodies: login and CSRF before the body, size, JSON ---------------------------------------


def test_anonymous_writes_are_refused_before_their_body(client: TestClient) -> None:
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    api = anonymous.post("/api/v1/organisations", content=b"[" * 100_000)
    assert api.status_code == 401, api.text
    assert api.json()["error"]["code"] == "not_authenticated"
    page = anonymous.post("/directory/new", data={"name": "x"})
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")


def test_the_account_forms_take_anonymous_posts_with_their_token(client: TestClient) -> None:
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    forged = anonymous.post("/account/login", data={"email": "a@b.org", "password": "x"})
    assert forged.status_code == 403  # no token: refused, but not as "log in first"


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(
    directory_world: DirectoryWorld,
) -> None:
    browser = directory_world.logged_in(directory_world.admin_email)
    organisation_id = directory_world.ids[directory_world.owned_key]
    answer = browser.patch(
        f"/api/v1/organisations/{organisation_id}",
        json={"version": 1, "changes": {"description": "x" * (2 * 2**20)}},
        headers={"X-CSRF-Token": csrf(browser)},
    )
    assert answer.status_code == 413, answer.text[:300]
    assert answer.json()["error"]["code"] == "too_large"
    assert "1 MiB" in answer.json()["error"]["message"]


def test_a_body_that_is_not_json_is_a_400(directory_world: DirectoryWorld) -> None:
    browser = directory_world.logged_in(directory_world.admin_email)
    headers = {"X-CSRF-Token": csrf(browser), "content-type": "application/json"}
    answer = browser.post("/api/v1/organisations", content=b'{"name": "x",', headers=headers)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "bad_request" and "not valid JSON" in error["message"]
    assert error["details"][0]["field"] == "body"


def _multipart(boundary: str, *fields: tuple[str, str, bytes]) -> bytes:
    parts = []
    for name, filename, value in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode())
        parts.append(value + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


CSV = b"region,indicator,year,value\nDE11,rd_gerd_bes,2020,3.1\n"


def test_a_form_upload_must_carry_its_token_first(directory_world: DirectoryWorld) -> None:
    officer = _user(directory_world, Role.PROGRAMME_OFFICER)
    token = csrf(officer).encode()
    kind = {"content-type": "multipart/form-data; boundary=b0undary"}
    late = _multipart("b0undary", ("file", "x.csv", CSV), ("csrf_token", "", token))
    refused = officer.post(UPLOAD, content=late, headers=kind)
    assert refused.status_code == 403, refused.text
    first = _multipart("b0undary", ("csrf_token", "", token), ("file", "x.csv", CSV))
    accepted = officer.post(UPLOAD, content=first, headers=kind)
    assert accepted.status_code != 403, accepted.text


def test_the_officer_page_takes_uploads_over_the_form_limit(
    directory_world: DirectoryWorld,
) -> None:
    officer = _user(directory_world, Role.PROGRAMME_OFFICER)
    rows = CSV + b"".join(b"DE%02d,rd_gerd_bes,2020,3.1\n" % (n % 100) for n in range(60_000))
    assert len(rows) > 2**20  # over the 1 MiB of ordinary forms
    answer = officer.post(
        "/officer/indicators", files={"file": ("big.csv", rows)},
        data={"csrf_token": csrf(officer)},
    )  # fmt: skip
    assert answer.status_code == 422, answer.text[:300]  # read, and refused for its duplicates
    assert "big.csv" in answer.text


def test_a_member_upload_is_refused_by_role(directory_world: DirectoryWorld) -> None:
    member = _user(directory_world, Role.MEMBER)
    answer = member.post(
        UPLOAD, files={"file": ("x.csv", CSV)}, headers={"X-CSRF-Token": csrf(member)}
    )
    assert answer.status_code == 403
    assert "programme officer" in answer.json()["error"]["message"].lower()


def test_an_error_body_lists_a_bounded_number_of_problems(
    directory_world: DirectoryWorld,
) -> None:
    officer = _user(directory_world, Role.PROGRAMME_OFFICER)
    rows = b"".join(b"XX%05d,not_an_indicator,twenty,-1\n" % i for i in range(5_000))
    answer = officer.post(
        UPLOAD,
        files={"file": ("bad.csv", b"region,indicator,year,value\n" + rows)},
        headers={"X-CSRF-Token": csrf(officer)},
    )
    assert answer.status_code == 422, answer.text[:300]
    error = answer.json()["error"]
    assert 0 < len(error["details"]) <= 200
    assert "are listed" in error["message"]
    assert len(answer.content) < 100_000
