"""Register, log in and log out in a real browser: forms, redirects, the session cookie, CSRF.

The tests skip (at run time, with the reason "accounts pages not yet available") only when
the server answers 404 for the account pages, so they ran against a build without accounts.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.live import LiveServer, PageGuard

pytestmark = pytest.mark.e2e

PASSWORD = "violet tractor harbour umbrella"
SESSION_COOKIE = re.compile(r"session", re.IGNORECASE)
#: Where registration lands: the account page, saying the verification link was mailed.
REGISTERED = r"/account\?saved=registered$"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module", autouse=True)
def accounts_available(live_server: LiveServer) -> None:
    """Skip the module when the account pages do not exist on this build."""
    for path in ("/account/register", "/account/login"):
        if _status(live_server.url + path) == 404:
            pytest.skip("accounts pages not yet available")


def _new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@example.org"


def _register(page: Page, email: str, name: str) -> None:
    page.goto("/account/register")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Name shown to others").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def _log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def _session_cookies(context: BrowserContext) -> list[dict[str, object]]:
    return [dict(c) for c in context.cookies() if SESSION_COOKIE.search(c["name"])]


def test_register_log_out_and_log_in_again(page: Page, context: BrowserContext) -> None:
    email, name = _new_email(), "Ada Testwright"
    _register(page, email, name)
    page.wait_for_url(re.compile(REGISTERED))
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("main")).to_contain_text(email)
    expect(page.get_by_role("region", name="E-mail verification")).to_contain_text(
        "Please verify your e-mail address"
    )
    header = page.locator("header.site")
    expect(header).to_contain_text(name)
    expect(header.get_by_role("button", name="Log out")).to_be_visible()
    cookies = _session_cookies(context)
    assert cookies and all(c["httpOnly"] for c in cookies), cookies

    header.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(header.get_by_role("link", name="Log in")).to_be_visible()
    expect(header.get_by_role("button", name="Log out")).to_have_count(0)
    expect(header).not_to_contain_text(name)
    assert _session_cookies(context) == []

    page.goto("/account")  # the profile needs a login, and comes back after it
    page.wait_for_url(re.compile(r"/account/login\?next=%2Faccount|/account/login\?next=/account"))
    _log_in(page, email)
    page.wait_for_url(re.compile(r"/account$"))
    expect(header).to_contain_text(name)


def test_login_from_a_page_returns_to_it(page: Page) -> None:
    email = _new_email()
    _register(page, email, "Grace Returner")
    page.wait_for_url(re.compile(REGISTERED))
    page.locator("header.site").get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/clusters/4")
    page.locator("header.site").get_by_role("link", name="Log in").click()
    page.wait_for_url(re.compile(r"/account/login\?next="))
    _log_in(page, email)
    page.wait_for_url(re.compile(r"/clusters/4$"))
    expect(page.locator("header.site")).to_contain_text("Grace Returner")


def test_a_wrong_password_is_refused_with_a_message(
    page: Page, guard: PageGuard, context: BrowserContext
) -> None:
    email = _new_email()
    _register(page, email, "Wrong Password")
    page.wait_for_url(re.compile(REGISTERED))
    page.locator("header.site").get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/account/login")
    with page.expect_response(re.compile(r"/account/login$")) as answer:
        _log_in(page, email, password="not the password at all")
    assert 400 <= answer.value.status < 500
    guard.expect_error_status(answer.value.status)
    expect(page.locator("[role=alert]")).to_be_visible()
    assert "/account/login" in page.url
    expect(page.locator("header.site").get_by_role("link", name="Log in")).to_be_visible()
    assert _session_cookies(context) == []


def test_registration_problems_are_shown_at_their_fields(page: Page, guard: PageGuard) -> None:
    page.goto("/account/register")
    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_label("Name shown to others").fill("Short Password")
    page.get_by_label("Password", exact=True).fill("short")
    with page.expect_response(re.compile(r"/account/register$")) as answer:
        page.get_by_role("button", name="Create account").click()
    assert 400 <= answer.value.status < 500
    guard.expect_error_status(answer.value.status)
    summary = page.locator("[role=alert]")
    expect(summary).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("header.site").get_by_role("link", name="Log in")).to_be_visible()


def test_log_out_without_the_csrf_token_is_refused(
    page: Page, guard: PageGuard, context: BrowserContext
) -> None:
    _register(page, _new_email(), "Csrf Probe")
    page.wait_for_url(re.compile(REGISTERED))
    status = page.evaluate(
        "fetch('/account/logout', {method: 'POST', redirect: 'manual'}).then(r => r.status)"
    )
    assert status == 403
    guard.expect_error_status(403)
    page.reload()
    expect(page.locator("header.site").get_by_role("button", name="Log out")).to_be_visible()
    assert _session_cookies(context)
