"""Take the README's screenshots from a real server: ``uv run python -m tests.e2e.screenshots``.

Starts ``clusterhub serve`` on a throw-away database with the shared data (as the browser tests
do), opens each page in offline headless Chromium, waits until its charts are drawn and saves
a PNG of the viewport under ``docs/screenshots/`` (``--out`` to change). The page must not
try to reach another host or log a console error, or no screenshot is written.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import ViewportSize, sync_playwright

from tests.e2e.live import DESKTOP, MOBILE, LiveServer, guard_page, launch_browser

#: A current phone's width (the walk-throughs of issue 11 were at 390 px).
PHONE: ViewportSize = {"width": 390, "height": 844}

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@dataclass(frozen=True)
class Shot:
    """One screenshot: its file name, the page, the viewport (the top of the page is shown)."""

    name: str
    path: str
    viewport: ViewportSize


SHOTS = (
    Shot("home_map", "/", DESKTOP),
    Shot("region_DE11", "/regions/DE11", DESKTOP),
    Shot("region_DE11_scoreboard", "/regions/DE11#scoreboard", DESKTOP),
    Shot("region_DE11_diversification", "/regions/DE11#diversification", DESKTOP),
    Shot("cluster_4", "/clusters/4", DESKTOP),
    Shot("emerging_blue_growth", "/?dataset=eu-sbs-emerging&cluster=BLUE", DESKTOP),
    Shot("us_map", "/?dataset=us-states", {"width": 1366, "height": 800}),
    Shot("methodology", "/methodology", DESKTOP),
    Shot("home_mobile", "/", MOBILE),
    Shot("directory_search", "/directory?q=aerospace+defense&mode=hybrid", DESKTOP),
    Shot("directory_profile", "{profile:Space Florida}", DESKTOP),
    Shot("directory_search_phone", "/directory?q=aerospace+defense&mode=hybrid&country=US", PHONE),
    Shot("region_DE11_phone", "/regions/DE11#structure", PHONE),
    Shot("region_DE21_print", "/regions/DE21/report", DESKTOP),
    Shot("region_DE21_print_phone", "/regions/DE21/report", PHONE),
)
CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('[data-figure]')]"
    ".every(el => el.querySelector('svg path'))"
)


def take(
    out: Path, data_mirror: Path = SHARED_DATA, only: frozenset[str] = frozenset()
) -> list[Path]:
    """Write the screenshots of ``SHOTS`` (those named in ``only``, if any) into ``out``;
    returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with (
        tempfile.TemporaryDirectory() as folder,
        LiveServer(Path(folder), data_mirror) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_browser(playwright)
        for shot in (s for s in SHOTS if not only or s.name in only):
            context = browser.new_context(
                base_url=server.url,
                viewport=shot.viewport,
                is_mobile=shot.viewport["width"] < 640,
                has_touch=shot.viewport["width"] < 640,
                locale="en-GB",
            )
            page, guard = guard_page(context, server.url)
            page.goto(_resolve(shot.path, server.url))
            page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
            page.wait_for_timeout(300)  # Plotly's responsive relayout after the first draw
            if guard.problems():
                raise RuntimeError(f"{shot.path}: " + "; ".join(guard.problems()))
            target = out / f"{shot.name}.png"
            page.screenshot(path=str(target))
            written.append(target)
            context.close()
        browser.close()
    return written


def _resolve(path: str, base: str) -> str:
    """``{profile:NAME}`` becomes the page of the profile the API finds first for NAME."""
    if not path.startswith("{profile:"):
        return path
    query = urllib.parse.quote(path.removeprefix("{profile:").removesuffix("}"))
    url = f"{base}/api/v1/organisations?q={query}&mode=keyword"
    with urllib.request.urlopen(url, timeout=30) as answer:
        found = json.load(answer)["items"][0]["id"]
    return f"/directory/{found}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the data mirror")
    parser.add_argument("--only", action="append", default=[], help="a shot's name (repeat)")
    args = parser.parse_args(argv)
    for path in take(args.out, args.data, frozenset(args.only)):
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
