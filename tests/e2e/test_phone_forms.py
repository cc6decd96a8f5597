"""Forms and pages on a 390 px touch screen, in a real browser: the searchable picker (tap to
add, chips to remove, type to filter; keyboard too), the collapsed site menu (and the plain menu
without JavaScript), filters collapsed with their count, every form problem at once; and the
API explorer drawn from local assets on a desktop page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.directory import profiles as directory
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.e2e.live import LiveServer, PageGuard, guard_page

pytestmark = pytest.mark.e2e

PASSWORD = "copper lantern meadow violin"
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Owner:
    email: str
    profile_id: int


@pytest.fixture(scope="module")
def owner(
    live_server: LiveServer, shared_data: Path, catalogues: Catalogues, embedder: Embedder
) -> Owner:
    """A profile (target countries France and Poland) and its admin, in the server's database."""
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=f"sqlite:///{live_server.folder / 'e2e.db'}", data_mirror=shared_data
    )
    engine = make_engine(settings)
    email = f"picker-{suffix}@example.org"
    with transaction(make_session_factory(engine)) as session:
        admin = users.create_user(
            session, email=email, display_name="Pia Picker", password=PASSWORD
        )
        data = directory.validate(
            {"name": f"Touch{suffix} Cluster", "country": "Denmark",
             "target_countries": ["France", "PL"], "languages": ["da"]},
            catalogues,
        )  # fmt: skip
        created = directory.create_profile(
            session, data=data, actor=admin, catalogues=catalogues, embedder=embedder
        )
    engine.dispose()
    return Owner(email, created.id)


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[tuple[Page, PageGuard]]:
    """A fresh 390 px touch-screen page (a phone), guarded like the others."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB"
    )
    ctx.set_default_timeout(20_000)
    page, guard = guard_page(ctx, live_server.url)
    yield page, guard
    problems = guard.problems()
    ctx.close()
    if problems:
        pytest.fail("page misbehaved:\n" + "\n".join(problems))


def _log_in(page: Page, email: str, then: str) -> None:
    page.goto(f"/account/login?next={then}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == then)


def test_picker_on_a_touch_screen(phone: tuple[Page, PageGuard], owner: Owner) -> None:
    page, _guard = phone
    edit = f"/directory/{owner.profile_id}/edit"
    _log_in(page, owner.email, edit)
    box = page.get_by_role("combobox", name="Target countries")
    chips = page.get_by_role("list", name="Chosen target countries")
    names = chips.locator("li > span")
    expect(names).to_have_text(["France (FR)", "Poland (PL)"])
    expect(page.locator("select#target_countries")).to_be_hidden()  # the native control
    box.tap()
    box.fill("germ")
    options = page.get_by_role("listbox", name="Target countries").get_by_role("option")
    expect(options.first).to_have_text("Germany (DE)")  # names starting with the query first
    options.first.tap()
    expect(chips.get_by_role("listitem")).to_have_count(3)
    expect(box).to_have_value("")
    chips.get_by_role("button", name="Remove Poland (PL)").tap()
    expect(names).to_have_text(["France (FR)", "Germany (DE)"])
    # the keyboard works too: arrows and Enter in the working languages
    languages = page.get_by_role("combobox", name="Working languages")
    languages.fill("engl")
    languages.press("ArrowDown")
    languages.press("Enter")
    expect(page.get_by_role("list", name="Chosen working languages")).to_contain_text("English")
    page.get_by_role("button", name="Save changes").tap()
    page.wait_for_url(re.compile(rf"/directory/{owner.profile_id}\?saved=saved$"))
    main = page.locator("main")
    expect(main).to_contain_text("Germany")
    expect(main).to_contain_text("English")
    expect(main).not_to_contain_text("Poland")


def test_every_problem_at_once_with_the_summary_focused(
    phone: tuple[Page, PageGuard], owner: Owner
) -> None:
    page, guard = phone
    edit = f"/directory/{owner.profile_id}/edit"
    _log_in(page, owner.email, edit)
    page.get_by_label("Founded (year)").fill("nineteen")
    page.get_by_label("Website").fill("www.example")
    page.get_by_label("NUTS 2021 region code").fill("XX99")
    guard.expect_error_status(422)
    page.get_by_role("button", name="Save changes").tap()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There are 3 problems")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Founded \\(year\\)")).tap()
    expect(page.get_by_label("Founded (year)")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("location.hash") == "#founded_year"


def test_phone_menu_opens_and_filters_start_collapsed(phone: tuple[Page, PageGuard]) -> None:
    page, _guard = phone
    page.goto("/directory?country=DE")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(filters.locator(":scope > summary")).to_contain_text("(1 active)")
    expect(page.get_by_role("status")).to_be_in_viewport()  # results are not pushed down
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Regions").tap()
    page.wait_for_url(re.compile(r"/regions$"))
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()  # closed on a new page


def test_without_javascript_the_menu_is_simply_shown(
    browser: Browser, live_server: LiveServer
) -> None:
    ctx = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    page = ctx.new_page()
    page.goto("/directory")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator(".menu-button")).to_be_hidden()
    ctx.close()


def test_the_api_explorer_draws_from_local_assets(page: Page, guard: PageGuard) -> None:
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("clusterhub")
    region = page.get_by_role("button", name="get /api/v1/regions/{nuts_code}", exact=True)
    expect(region).to_be_visible()
    assert guard.blocked == []


def test_a_table_caption_stays_in_view_while_the_table_scrolls(
    phone: tuple[Page, PageGuard],
) -> None:
    page, _ = phone
    page.goto("/regions/DE21")
    wrap = page.locator(".table-wrap", has=page.locator("caption")).first
    wrap.scroll_into_view_if_needed()
    caption = wrap.locator("caption")
    before = caption.bounding_box()
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")  # the table does scroll
    wrap.evaluate("e => { e.scrollLeft = 300; }")
    after = caption.bounding_box()
    box = wrap.bounding_box()
    assert before and after and box
    assert abs(after["x"] - before["x"]) < 1  # the caption did not scroll away
    assert after["x"] + after["width"] <= box["x"] + box["width"] + 1  # nor spill past the screen
