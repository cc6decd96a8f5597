"""A matchmaking event driven through a real browser, step by step as people would use it.

Shared by the browser test (``test_events_browser.py``) and the screenshots of the event pages
(``python -m tests.e2e.event_screenshots``): the cast is written into the server's database
(accounts and the profiles they administer), every other step goes through the pages.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, ViewportSize, expect

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation, OrganisationAdmin
from tests.e2e.live import LiveServer, PageGuard, guard_page

PASSWORD = "brokerage lantern meadow cello"
NAMES = ("Organiser", "Ada", "Bruno", "Chiara")


@dataclass(frozen=True)
class Cast:
    """E-mail address and profile name of the organiser and the three participants."""

    emails: dict[str, str]
    profiles: dict[str, str]


#: Profile names for the documentation's screenshots (a fresh server each time: no clash).
SHOWN = {
    "Ada": "Nordic Cell Works",
    "Bruno": "Baltic Recycling Lab",
    "Chiara": "Rostock Pilot Lines",
}


def seed(server: LiveServer, data_mirror: Path, shown: bool = False) -> Cast:
    """Four verified accounts, each the admin of a profile of its own, in the server's database
    (profile names made unique by a suffix, or the readable ``SHOWN`` ones)."""
    suffix = uuid.uuid4().hex[:6]
    settings = Settings(
        database_url=f"sqlite:///{server.folder / 'e2e.db'}", data_mirror=data_mirror
    )
    engine = make_engine(settings)
    emails, profiles = {}, {}
    with transaction(make_session_factory(engine)) as session:
        for name in NAMES:
            email = f"{name.lower()}-{suffix}@example.org"
            user = users.create_user(
                session, email=email, display_name=f"{name} Example", password=PASSWORD
            )
            label = f"{name} Cells {suffix}" if not shown else SHOWN.get(name, "")
            label = "Baltic Battery Cluster" if name == "Organiser" else label
            org = Organisation(
                key=f"e2e-events:{name}:{suffix}",
                source="user",
                name=label,
                profile_type="cluster_organisation",
                country="DE",
            )
            session.add(org)
            session.flush()
            session.add(OrganisationAdmin(organisation_id=org.id, user_id=user.id))
            emails[name], profiles[name] = email, label
    engine.dispose()
    return Cast(emails, profiles)


def open_as(
    browser: Browser, server: LiveServer, cast: Cast, name: str, viewport: ViewportSize
) -> tuple[Page, PageGuard]:
    """A fresh guarded page logged in as ``name`` (downloads allowed)."""
    context = browser.new_context(
        base_url=server.url,
        viewport=viewport,
        locale="en-GB",
        is_mobile=viewport["width"] < 640,
        accept_downloads=True,
    )
    context.set_default_timeout(30_000)
    page, guard = guard_page(context, server.url)
    page.goto("/account/login?next=/events")
    page.get_by_label("E-mail address").fill(cast.emails[name])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/events")
    return page, guard


def create_event(page: Page, cast: Cast) -> int:
    """The organiser creates and publishes a one-day event; its id."""
    page.goto("/events/new")
    page.get_by_label("Title").fill("Baltic Battery Brokerage 2030")
    page.get_by_label("Organiser").select_option(label=cast.profiles["Organiser"])
    page.get_by_label("Description").fill("One-to-one meetings on cells, recycling and pilots.")
    page.get_by_label("Venue").fill("Messe Rostock, Hall 2")
    rows = (("09:00", "11:00"), ("14:00", "15:30"))
    for n, (start, end) in enumerate(rows, start=1):
        page.get_by_label(f"Session {n} date").fill("2030-03-12")
        page.get_by_label(f"Session {n} start").fill(start)
        page.get_by_label(f"Session {n} end").fill(end)
    page.get_by_label("Number of tables").fill("3")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r"/events/\d+\?saved=created$"))
    event_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    page.get_by_role("button", name=re.compile("^Publish")).click()
    expect(page.locator(".facts")).to_contain_text("Open for registration and requests")
    return event_id


def register(page: Page, cast: Cast, name: str, event_id: int) -> None:
    """A participant registers for their profile."""
    page.goto(f"/events/{event_id}")
    page.get_by_label("On behalf of").select_option(label=cast.profiles[name])
    page.get_by_label("Type", exact=True).select_option("sme")
    page.get_by_label("We offer").fill(f"{name}'s battery cells and testing")
    page.get_by_label("We seek").fill("Recycling partners and pilot sites")
    page.get_by_label("Opportunities (at most 3)").fill("seek: pilot line in the Baltic region")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("You are registered")


def send_request(page: Page, cast: Cast, to: str, event_id: int, message: str) -> None:
    """Ask ``to`` for a meeting from the marketplace."""
    page.goto(f"/events/{event_id}")
    card = page.locator(".market > li", has_text=cast.profiles[to])
    card.get_by_label(re.compile("^Message to")).fill(message)
    card.get_by_role("button", name="Request a meeting").click()
    expect(page.get_by_role("status")).to_contain_text("Your request was sent")


def accept(page: Page, cast: Cast, sender: str, event_id: int) -> None:
    """Accept the request ``sender`` sent."""
    page.goto(f"/events/{event_id}")
    item = page.locator(".request-list > li", has_text=f"From {cast.profiles[sender]}")
    item.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("The request was answered")


def close_and_schedule(page: Page, event_id: int) -> None:
    """The organiser closes booking and runs the scheduler; the run's page is shown."""
    page.goto(f"/events/{event_id}")
    page.get_by_role("button", name="Close booking").click()
    page.get_by_label("Time limit (seconds)").fill("20")
    page.get_by_role("button", name="Run schedule").click()
    page.wait_for_url(re.compile(rf"/events/{event_id}/run$"), timeout=90_000)


def mark_held_at_the_desk(page: Page, event_id: int) -> None:
    """At the desk, the organiser records the first meeting not yet recorded as held."""
    page.goto(f"/events/{event_id}/desk")
    card = page.locator(".desk-list > li", has_text="Not recorded").first
    card.get_by_role("button", name=re.compile(r"^Meeting \d+ held$")).click()
    page.wait_for_url(re.compile(rf"/events/{event_id}/desk#m-\d+$"))


def mark_event_held(page: Page, event_id: int) -> None:
    """The organiser marks the event as held: the follow-up opens."""
    page.goto(f"/events/{event_id}")
    page.get_by_role("button", name="Mark as held").click()
    expect(page.locator(".facts")).to_contain_text("Held")


def answer_followup(page: Page, event_id: int, outcome: str, note: str) -> None:
    """A participant says what came of their (first) held meeting, at the end of the event."""
    page.goto(f"/events/{event_id}/followup")
    form = page.locator(".followup-form").first
    form.get_by_label(outcome).check()
    form.get_by_label("Comment (optional)").fill(note)
    form.get_by_role("button", name="Save the answer").click()
    expect(page.get_by_role("status")).to_contain_text("your answer is saved")
