"""Partner-search and notification pages on SQLite and PostgreSQL: forms with CSRF, per-field
errors, escaping of user text, who sees what, HTMX fragments, and no 500 on odd requests."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.directory_fixtures import DirectoryWorld
from tests.web.test_posts_api import admin_browser, other_browser, publish  # noqa: F401

FORM_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def _form_post(browser: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    """Submit a form as a browser without JavaScript: the token from the page, no header."""
    shown = browser.get(page)
    assert shown.status_code == 200, shown.text
    token = FORM_TOKEN.search(shown.text)
    assert token, f"no form token on {page}"
    return browser.post(
        action, data={"csrf_token": token.group(1), **data}, headers={"X-CSRF-Token": ""},
        follow_redirects=False,
    )  # fmt: skip


def test_admins_publish_through_the_form(
    admin: TestClient, other: TestClient, directory_world: DirectoryWorld
) -> None:
    owned = directory_world.ids[directory_world.owned_key]
    new = f"/directory/{owned}/posts/new"
    form = admin.get(new)
    assert form.status_code == 200 and 'name="title"' in form.text
    assert "Stuttgart Automotive Network" in form.text
    assert other.get(new).status_code == 403
    anonymous = directory_world.anonymous().get(new, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith(
        "/account/login"
    )
    title = f"Hydrogen buses {uuid.uuid4().hex[:6]}"
    wrong = {"kind": "offer", "title": title, "target_countries": ["DE", "XX"],
             "expires_on": "2001-01-01"}  # fmt: skip
    bad = _form_post(admin, new, new, wrong)
    assert bad.status_code == 422
    assert 'href="#target_countries"' in bad.text and 'href="#expires_on"' in bad.text
    assert "Target countries: “XX” is not a country we know" in bad.text
    assert f'value="{title}"' in bad.text  # what was typed is kept
    # the title's shape and the date's rule are reported together, not one per submit
    both = _form_post(admin, new, new, {**wrong, "title": "", "target_countries": []})
    assert both.status_code == 422 and "There are 2 problems" in both.text
    assert (
        "Title is required" in both.text and "Listed until: the expiry date has passed" in both.text
    )
    good = _form_post(
        admin, new, new,
        {"kind": "offer", "title": title, "body": "Line one\nline two", "keywords": "h2, buses",
         "cluster_codes": ["4", "1"], "target_countries": ["fr", "Greece"]},
    )  # fmt: skip
    assert good.status_code == 303, good.text
    page = admin.get(good.headers["location"])
    assert page.status_code == 200 and "Your post is published." in page.text
    assert "Line one<br>line two" in page.text and "Greece" in page.text
    assert 'href="/posts/' in page.text and "Close this post" in page.text


def test_user_text_is_escaped_and_interest_is_shown_to_publishers_only(
    admin: TestClient, other: TestClient, directory_world: DirectoryWorld
) -> None:
    post = publish(
        admin, directory_world, title="<b>Bold</b> offer", body="<script>alert('x')</script>"
    )
    url = f"/posts/{post['id']}"
    visitor = directory_world.anonymous().get(url)
    assert visitor.status_code == 200
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in visitor.text
    assert "<script>alert" not in visitor.text and "<b>Bold</b>" not in visitor.text
    assert "Log in</a> to express interest" in visitor.text
    assert 'action="/posts/' + str(post["id"]) + '/interest"' in other.get(url).text
    empty = _form_post(other, url, f"{url}/interest", {"message": ""})
    assert empty.status_code == 422 and 'href="#message"' in empty.text
    sent = _form_post(other, url, f"{url}/interest", {"message": "Hello <img src=x onerror=1>"})
    assert sent.status_code == 303 and sent.headers["location"] == f"{url}?saved=interest"
    after = other.get(sent.headers["location"]).text
    assert "Your interest was sent" in after and "You have expressed interest" in after
    assert "Interest received" not in after and "&lt;img" not in after  # not the list
    publisher = admin.get(url).text
    assert "Interest received (1)" in publisher and directory_world.other_email in publisher
    assert "Hello &lt;img src=x onerror=1&gt;" in publisher and "<img src=x" not in publisher
    assert 'action="/posts/' + str(post["id"]) + '/interest"' not in publisher


def test_follow_answers_htmx_with_the_button_and_browsers_with_the_page(
    admin: TestClient, other: TestClient, directory_world: DirectoryWorld
) -> None:
    post = publish(admin, directory_world)
    url = f"/posts/{post['id']}"
    fragment = other.post(f"{url}/follow", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f'hx-post="{url}/unfollow"' in fragment.text and "Unfollow" in fragment.text
    assert "Unfollow" in other.get(url).text
    plain = _form_post(other, url, f"{url}/unfollow", {})
    assert plain.status_code == 303 and plain.headers["location"] == url
    assert f'action="{url}/follow"' in other.get(url).text


def test_edit_close_and_the_followers_notifications(
    admin: TestClient, other: TestClient, directory_world: DirectoryWorld
) -> None:
    title = f"<i>Robots</i> {uuid.uuid4().hex[:8]}"
    post = publish(
        admin, directory_world, title=title, keywords=["a", "b"], target_countries=["ES"]
    )
    url = f"/posts/{post['id']}"
    other.post(f"{url}/follow")
    form = admin.get(f"{url}/edit")
    assert form.status_code == 200 and ">a, b</textarea>" in form.text
    assert '<option value="ES" selected>Spain (ES)</option>' in form.text
    assert other.get(f"{url}/edit").status_code == 403
    saved = _form_post(admin, f"{url}/edit", f"{url}/edit",
                       {"kind": "offer", "title": post["title"] + " (updated)"})  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=saved"
    closed = _form_post(admin, url, f"{url}/close", {})
    assert closed.status_code == 303
    assert "Its publishers closed this post" in admin.get(url).text
    assert f'href="{url}"' not in other.get("/posts", params={"q": post["title"]}).text
    everything = other.get("/posts", params={"q": post["title"], "include_expired": "true"})
    assert f'href="{url}"' in everything.text and "closed" in everything.text
    inbox = other.get("/notifications")
    assert inbox.status_code == 200
    assert "was closed by its publisher" in inbox.text and "was updated" in inbox.text
    assert "&lt;i&gt;Robots&lt;/i&gt;" in inbox.text and "<i>Robots" not in inbox.text
    badge = other.get("/notifications/badge")
    count = int(re.search(r'class="badge">(\d+)', badge.text).group(1))  # type: ignore[union-attr]
    assert count >= 2 and "hx-get" not in badge.text
    read_all = _form_post(other, "/notifications", "/notifications/read-all", {})
    assert read_all.status_code == 303
    assert 'class="badge"' not in other.get("/notifications/badge").text
    assert directory_world.anonymous().get("/notifications/badge").text == ""
    gone = directory_world.anonymous().get("/notifications", follow_redirects=False)
    assert gone.status_code == 303 and "/account/login" in gone.headers["location"]


def test_the_list_page_filters_and_odd_requests_never_answer_500(
    admin: TestClient, other: TestClient, directory_world: DirectoryWorld
) -> None:
    marker = uuid.uuid4().hex[:8]
    offer = publish(admin, directory_world, kind="offer", title=f"Offer {marker}")
    request = publish(admin, directory_world, title=f"Request {marker}")
    page = directory_world.anonymous().get("/posts", params={"q": marker, "kind": "offer"})
    assert page.status_code == 200 and "1 post" in page.text
    assert f'href="/posts/{offer["id"]}"' in page.text
    assert f'href="/posts/{request["id"]}"' not in page.text
    empty = directory_world.anonymous().get("/posts", params={"q": marker, "kind": ""})
    assert "2 posts" in empty.text  # the form's "any" choice is an empty value
    owned = directory_world.ids[directory_world.owned_key]
    mine = admin.get("/posts", params={"organisation_id": owned, "q": marker}).text
    assert "2 posts" in mine and "of Stuttgart Automotive Network" in mine
    assert f'name="organisation_id" value="{owned}"' in mine  # kept when filters change
    lyon = directory_world.ids["webtest:lyon-bio"]
    assert "0 posts" in admin.get("/posts", params={"organisation_id": lyon, "q": marker}).text
    odd = {
        "/posts?kind=deal": 422, "/posts?country=XX": 422, "/posts?page=0": 422,
        "/posts?q=a%00b": 422, "/posts/abc": 422, f"/posts/{2**40}": 422,
        f"/posts/{2**31 - 1}": 404, "/posts?followed=true": 401,
        f"/directory/{2**31 - 1}/posts/new": 404, "/posts?include_expired=maybe": 422,
    }  # fmt: skip
    for path, status in odd.items():
        answer = (
            admin.get(path)
            if path != "/posts?followed=true"
            else directory_world.anonymous().get(path)
        )
        assert answer.status_code == status, (path, answer.text[:300])
    assert other.post(f"/notifications/{2**31 - 1}/read").status_code == 404
    assert other.post("/notifications/abc/read").status_code == 422
    huge = other.post(f"/posts/{offer['id']}/interest", data={"message": "x" * 30_000})
    assert huge.status_code == 422
    bad_profile = other.post(
        f"/posts/{offer['id']}/interest", data={"message": "hi", "organisation_id": "abc"}
    )
    assert bad_profile.status_code == 422 and 'href="#organisation_id"' in bad_profile.text


@pytest.mark.parametrize("path", ["/posts", "/notifications"])
def test_pages_extend_the_site_layout(admin: TestClient, path: str) -> None:
    page = admin.get(path)
    assert page.status_code == 200 and 'class="site"' in page.text
    assert page.headers["cache-control"] == "no-store"
