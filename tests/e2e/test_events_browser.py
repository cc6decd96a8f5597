"""A matchmaking event end to end in Chromium: the organiser creates and publishes it, three
participants register, find each other and send requests, one is accepted, the organiser
closes booking and schedules, a participant opens the agenda and downloads its calendar file,
the desk records the meeting held, the organiser marks the event held and the participant
answers the follow-up, which the dashboard counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.e2e import event_walk as walk
from tests.e2e.live import DESKTOP, LiveServer

pytestmark = pytest.mark.e2e
PHONE: ViewportSize = {"width": 390, "height": 844}
#: Nothing wider than the screen (sub-pixel rounding allowed).
FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_an_event_from_creation_to_the_calendar_file(
    browser: Browser, live_server: LiveServer, shared_data: Path, tmp_path: Path
) -> None:
    cast = walk.seed(live_server, shared_data)
    organiser, organiser_guard = walk.open_as(browser, live_server, cast, "Organiser", DESKTOP)
    event_id = walk.create_event(organiser, cast)
    pages = {}
    for name in ("Ada", "Bruno", "Chiara"):
        viewport = PHONE if name == "Ada" else DESKTOP  # one of them on a phone
        pages[name] = walk.open_as(browser, live_server, cast, name, viewport)
        walk.register(pages[name][0], cast, name, event_id)
    walk.send_request(pages["Ada"][0], cast, "Bruno", event_id, "Shall we talk about cells?")
    walk.send_request(pages["Bruno"][0], cast, "Chiara", event_id, "Recycling?")
    walk.send_request(pages["Chiara"][0], cast, "Ada", event_id, "Pilot line?")
    walk.accept(pages["Bruno"][0], cast, "Ada", event_id)
    walk.close_and_schedule(organiser, event_id)
    main = organiser.locator("main")
    expect(main).to_contain_text("1 of 1")
    expect(main).to_contain_text("Every meeting was placed.")
    ada = pages["Ada"][0]
    ada.goto(f"/events/{event_id}")
    assert ada.evaluate(FITS), "the event page scrolls sideways on a 390 px phone"
    ada.goto(f"/events/{event_id}/agenda")
    assert ada.evaluate(FITS), "the agenda scrolls sideways on a 390 px phone"
    item = ada.locator(".agenda-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(cast.profiles["Bruno"])
    expect(item).to_contain_text("Table")
    with ada.expect_download() as download:
        ada.get_by_role("link", name="Add to calendar (.ics)").click()
    saved = tmp_path / "agenda.ics"
    download.value.save_as(saved)
    raw = saved.read_bytes().decode()
    assert raw.count("BEGIN:VEVENT") == 1 and "\r\nEND:VCALENDAR\r\n" in raw
    assert "SUMMARY:Meeting with " + cast.profiles["Bruno"] in raw.replace("\r\n ", "")
    walk.mark_held_at_the_desk(organiser, event_id)
    expect(organiser.locator("main")).to_contain_text("1 of 1")  # meetings held
    walk.mark_event_held(organiser, event_id)
    walk.answer_followup(ada, event_id, "Negotiations started", "Pilot line talks in May")
    assert ada.evaluate(FITS), "the follow-up scrolls sideways on a 390 px phone"
    expect(ada.locator(".followup")).to_contain_text("answered: Negotiations started")
    organiser.goto(f"/events/{event_id}/dashboard")
    row = organiser.locator("tr", has_text="Negotiations started")
    expect(row.locator("td").nth(1)).to_have_text("1")
    for page, guard in [(organiser, organiser_guard), *pages.values()]:
        assert not guard.problems(), guard.problems()
        page.context.close()
