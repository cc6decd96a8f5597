"""Screenshots of the event pages: ``python -m tests.e2e.event_screenshots``.

Runs the event walk (``event_walk``) on a throw-away server, with every request accepted so
that agendas have several meetings; the desk records two meetings held, the event is marked
held and a participant answers the follow-up. Then it saves the event page, an agenda, the
schedule run, the dashboard, the desk and the follow-up at 1366 px and at 390 px as
``docs/screenshots/events-*.png`` (the viewport's top; ``--full`` for whole pages, to look at,
not to commit).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import ViewportSize, sync_playwright

from tests.e2e import event_walk as walk
from tests.e2e.live import LiveServer, launch_browser
from tests.e2e.screenshots import PHONE, REPO, SHARED_DATA

WIDE: ViewportSize = {"width": 1366, "height": 900}
#: name → (who looks, the page under the event).
PAGES = {
    "event": ("Ada", ""),
    "agenda": ("Ada", "/agenda"),
    "run": ("Organiser", "/run"),
    "dashboard": ("Organiser", "/dashboard"),
    "desk": ("Organiser", "/desk"),
    "followup": ("Ada", "/followup"),
}
SIZES: dict[str, ViewportSize] = {"wide": WIDE, "phone": PHONE}
#: The file names the README shows (``tests/e2e/test_screenshots.py``).
NAMES = tuple(f"events-{page}-{size}" for page in PAGES for size in SIZES)


def take(out: Path, data_mirror: Path = SHARED_DATA, full: bool = False) -> list[Path]:
    """Build the event through the pages and write the screenshots into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with (
        tempfile.TemporaryDirectory() as folder,
        LiveServer(Path(folder), data_mirror) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_browser(playwright)
        cast = walk.seed(server, data_mirror, shown=True)
        organiser, _ = walk.open_as(browser, server, cast, "Organiser", WIDE)
        event_id = walk.create_event(organiser, cast)
        people = {n: walk.open_as(browser, server, cast, n, WIDE)[0] for n in walk.NAMES[1:]}
        for name, page in people.items():
            walk.register(page, cast, name, event_id)
        pairs = (("Ada", "Bruno"), ("Bruno", "Chiara"), ("Chiara", "Ada"))
        for sender, receiver in pairs:
            walk.send_request(people[sender], cast, receiver, event_id, "Let us meet.")
        for sender, receiver in pairs:
            walk.accept(people[receiver], cast, sender, event_id)
        walk.close_and_schedule(organiser, event_id)
        for _ in range(2):
            walk.mark_held_at_the_desk(organiser, event_id)
        walk.mark_event_held(organiser, event_id)
        walk.answer_followup(people["Ada"], event_id, "A valuable contact", "Samples in June.")
        for size, viewport in SIZES.items():
            for page_name, (who, path) in PAGES.items():
                page, guard = walk.open_as(browser, server, cast, who, viewport)
                page.goto(f"/events/{event_id}{path}")
                if guard.problems():
                    raise RuntimeError(f"{path}: " + "; ".join(guard.problems()))
                target = out / f"events-{page_name}-{size}.png"
                page.screenshot(path=str(target), full_page=full)
                written.append(target)
                page.context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the data mirror")
    parser.add_argument("--full", action="store_true", help="whole pages, not the viewport")
    args = parser.parse_args(argv)
    for path in take(args.out, args.data, args.full):
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
