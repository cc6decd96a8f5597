"""The README shows every screenshot ``tests.e2e.screenshots`` takes, at its viewport size."""

from __future__ import annotations

import re
import struct

from tests.e2e.event_screenshots import NAMES as EVENT_SHOTS
from tests.e2e.event_screenshots import SIZES as EVENT_SIZES
from tests.e2e.screenshots import REPO, SHOTS

SCREENSHOTS = REPO / "docs" / "screenshots"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_every_screenshot_exists_at_its_viewport_size() -> None:
    for shot in SHOTS:
        data = (SCREENSHOTS / f"{shot.name}.png").read_bytes()
        assert _png_size(data) == (shot.viewport["width"], shot.viewport["height"]), shot.name
    for name in EVENT_SHOTS:
        size = EVENT_SIZES[name.rsplit("-", 1)[1]]
        data = (SCREENSHOTS / f"{name}.png").read_bytes()
        assert _png_size(data) == (size["width"], size["height"]), name


def test_the_readme_shows_exactly_the_screenshots() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Screenshots", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"!\[[^\]]+\]\(docs/screenshots/([\w-]+)\.png\)", section)
    assert shown == [shot.name for shot in SHOTS] + list(EVENT_SHOTS)
    on_disk = sorted(p.stem for p in SCREENSHOTS.glob("*.png"))
    assert on_disk == sorted(shown), "a screenshot file no page shows, or the reverse"
