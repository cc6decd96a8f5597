"""Page speed in a real browser, before and after the fast first view (issue 12, part 6).

``uv run python -m benchmarks.bench_pages [--visits N] [--regions N] [--before REF] [--write]``

Two servers on one database (the real EU SBS and U.S. CMP data sets loaded), both on loopback:
*before* runs the code of ``--before`` (default: where this branch left ``main``, so that both
run with this checkout's dependencies; ``git archive`` of its ``src`` into a temporary folder,
imported ahead of this checkout through ``PYTHONPATH``), *after* runs this
checkout. Headless Chromium (Playwright, Debian's ``/usr/bin/chromium``) visits each:

* **home page, cold**: a new browser context per visit (empty cache), ``/``;
* **home page, warm**: the same context again (the browser's cache filled by the cold visit);
* **region page, first visit**: a new context and a region no one has opened yet (so the
  server renders it for the first time too), ``/regions/<code>``.

For each visit the navigation timing gives DOM-ready (``domContentLoadedEventEnd``) and load
(``loadEventEnd``), in ms from the start of navigation; "charts" is when every chart in view
has drawn; "sent" sums the transfer sizes of the page and everything it fetched by then.
Last, the server's own time (``Server-Timing``) of uncached region pages: ``--regions``
distinct regions, one request at a time.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import brotli
import httpx
from playwright.sync_api import Browser, BrowserContext, ViewportSize, sync_playwright

from benchmarks.bench_mapping import machine_facts, write_marked
from benchmarks.bench_web import MIRROR, _cold, _free_port, _percentile, _serve
from clusterhub.config import Settings
from clusterhub.services.bootstrap import prepare_database
from clusterhub.services.reference import ReferenceData
from clusterhub.web.assets import PLOTLY, PLOTLY_FULL, asset_store

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGET_DOM_READY_MS = 1000.0
TARGET_SERVER_P95_MS = 300.0
#: Every chart in the viewport has drawn (Plotly writes SVG paths).
CHARTS_IN_VIEW = """() => [...document.querySelectorAll('[data-figure]')]
  .filter(el => { const b = el.getBoundingClientRect();
    return b.bottom > 0 && b.top < innerHeight; })
  .every(el => el.querySelector('svg path'))"""
TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  const sent = [n, ...performance.getEntriesByType('resource')]
    .reduce((sum, e) => sum + (e.transferSize || 0), 0);
  return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, charts: performance.now(), sent};
}"""


@dataclass(frozen=True)
class Visit:
    """One page view, in ms from the start of navigation, and bytes over the wire."""

    dom: float
    load: float
    charts: float
    sent: float


def visit(context: BrowserContext, url: str) -> Visit:
    """Open ``url`` in ``context``, wait for the charts in view, read the timings."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="load", timeout=60_000)
        page.wait_for_function(CHARTS_IN_VIEW, timeout=60_000)
        page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
        timing = page.evaluate(TIMING)
        return Visit(timing["dom"], timing["load"], timing["charts"], timing["sent"])
    finally:
        page.close()


def browse(browser: Browser, base: str, regions: list[str], visits: int) -> dict[str, list[Visit]]:
    """Cold and warm home page visits and first visits of region pages."""
    results: dict[str, list[Visit]] = {"home, cold": [], "home, warm": [], "region, first": []}
    viewport: ViewportSize = {"width": 1366, "height": 900}
    for index in range(visits):
        context = browser.new_context(base_url=base, viewport=viewport)  # an empty cache
        results["home, cold"].append(visit(context, f"{base}/"))
        results["home, warm"].append(visit(context, f"{base}/"))
        context.close()
        context = browser.new_context(base_url=base, viewport=viewport)
        results["region, first"].append(visit(context, f"{base}/regions/{regions[index]}"))
        context.close()
    return results


@contextmanager
def before_checkout(ref: str) -> Iterator[Path]:
    """The ``src`` folder of ``ref``, exported into a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "src"], check=True, capture_output=True
        ).stdout  # bytes: _git decodes text
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        yield Path(folder) / "src"


def region_codes(base: str, count: int) -> list[str]:
    """NUTS 2 regions of the SBS data set, in the API's order."""
    answer = httpx.get(
        f"{base}/api/v1/regions", params={"region_type": "nuts2", "page_size": count}, timeout=60
    )
    return [r["code"] for r in answer.json()["items"]]


@dataclass(frozen=True)
class Measured:
    """One server's browser visits by kind, and its times of uncached region pages."""

    pages: dict[str, list[Visit]]
    server: list[float]


def measure(settings: Settings, extra_env: dict[str, str], visits: int, regions: int) -> Measured:
    """Start one server, browse it, time its uncached region pages, stop it."""
    port = _free_port()
    server = _serve(settings, port, 1, extra_env)
    try:
        base = f"http://127.0.0.1:{port}"
        codes = region_codes(base, visits + regions)
        httpx.get(f"{base}/", timeout=120)  # the process's one-off start (imports, polygons)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            pages = browse(browser, base, codes[:visits], visits)
            browser.close()
        server_ms = _cold(base, [f"/regions/{code}" for code in codes[visits:]])
    finally:
        server.terminate()
        server.wait(10)
    return Measured(pages, server_ms)


def plotly_sizes() -> list[tuple[str, int, int, int]]:
    """(what, raw, gzip -9, brotli) bytes of the full plotly.js and of the bundle served now."""
    full = PLOTLY_FULL.read_bytes()
    bundle = asset_store().assets[PLOTLY]
    return [
        (
            "full `plotly.min.js` (before; brotli 9)",
            len(full),
            len(gzip.compress(full, 9, mtime=0)),
            len(brotli.compress(full, quality=9)),
        ),
        (
            "clusterhub bundle (after; brotli 11)",
            len(bundle.body),
            len(bundle.encoded("gzip")),
            len(bundle.encoded("br")),
        ),
    ]


def _row(name: str, before: list[float], after: list[float], target: float | None) -> str:
    med_b, med_a = statistics.median(before), statistics.median(after)
    met = "" if target is None else ("yes" if max(after) <= target else "**no**")
    goal = "" if target is None else f"≤ {target:.0f}"
    return (
        f"| {name} | {med_b:.0f} | {max(before):.0f} | {med_a:.0f} | {max(after):.0f} "
        f"| {goal} | {met} |"
    )


def render(before: Measured, after: Measured, args: argparse.Namespace, load: list[float]) -> str:
    """The BENCHMARKS.md section."""
    facts = machine_facts()
    lines = [
        "## Web platform: page speed in a browser (fast first view)",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `uv run python -m "
        f"benchmarks.bench_pages --visits {args.visits} --regions {args.regions} "
        f"--before {args.before} --write`.",
        "",
        *[f"- **{k}**: {v}" for k, v in facts.items()],
        f"- **load average** (1, 5, 15 min) at start {', '.join(f'{x:.1f}' for x in load)}, at "
        f"end {', '.join(f'{x:.1f}' for x in os.getloadavg())}: other work shared the machine, "
        "so these timings are provisional",
        f"- **method**: two servers (uvicorn, one process) on one SQLite database with the real "
        f"EU SBS and U.S. CMP data; *before* is `{args.before}`, *after* this branch; headless "
        f"Chromium on loopback (no network delay: what compression saves over a real network "
        f"shows in the bytes, not the times), window 1366 × 900, {args.visits} visits each: "
        "home cold (new browser context), home warm (the same context again), region page "
        "first visit (new context, a region not rendered before); each server answered `/` "
        "once before, so its one-off start (imports, polygons) is not in the cold visits. "
        "Times in ms from the start of navigation; median and worst of the visits",
        "",
        "| measure (ms) | before median | before worst | after median | after worst "
        "| target | met (worst) |",
        "|---|---|---|---|---|---|---|",
    ]
    targets = {("home, cold", "dom"): TARGET_DOM_READY_MS, ("region, first", "dom"): 1000.0}
    for kind in before.pages:
        for field, label in (("dom", "DOM-ready"), ("load", "load"), ("charts", "charts in view")):
            lines.append(
                _row(
                    f"{kind}: {label}",
                    [getattr(v, field) for v in before.pages[kind]],
                    [getattr(v, field) for v in after.pages[kind]],
                    targets.get((kind, field)),
                )
            )
    lines += ["", "| bytes sent | before median | after median |", "|---|---|---|"]
    for kind in before.pages:
        b = statistics.median(v.sent for v in before.pages[kind])
        a = statistics.median(v.sent for v in after.pages[kind])
        lines.append(f"| {kind} | {b:,.0f} | {a:,.0f} |")
    server_b, server_a = before.server, after.server
    p95_a = _percentile(server_a, 95)
    lines += [
        "",
        f"Server time of uncached region pages ({len(server_a)} distinct regions, one request "
        "at a time, `Server-Timing`):",
        "",
        "| | p50 (ms) | p95 (ms) | max (ms) | target p95 | met |",
        "|---|---|---|---|---|---|",
        f"| before | {_percentile(server_b, 50):.1f} | {_percentile(server_b, 95):.1f} | "
        f"{max(server_b):.1f} | | |",
        f"| after | {_percentile(server_a, 50):.1f} | {p95_a:.1f} | {max(server_a):.1f} | "
        f"≤ {TARGET_SERVER_P95_MS:.0f} | {'yes' if p95_a <= TARGET_SERVER_P95_MS else '**no**'} |",
        "",
        "plotly.js as stored and sent (bytes):",
        "",
        "| file | raw | gzip -9 | brotli |",
        "|---|---|---|---|",
        *[f"| {name} | {r:,} | {g:,} | {b:,} |" for name, r, g, b in plotly_sizes()],
    ]
    return "\n".join(lines) + "\n"


def _git(*arguments: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *arguments], check=True, capture_output=True)
    return done.stdout.decode().strip()


def _mirror() -> Path | None:
    mirror = Path(os.environ.get("CLUSTERHUB_DATA_MIRROR") or MIRROR)
    return mirror if mirror.exists() else None


def main(argv: list[str] | None = None) -> int:
    """Prepare a database, measure the before and after servers, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--regions", type=int, default=60)
    parser.add_argument("--before", help="git ref measured as 'before' (default: merge base)")
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.before = args.before or _git("merge-base", "HEAD", "main")[:12]
    load = list(os.getloadavg())
    with tempfile.TemporaryDirectory() as folder, before_checkout(args.before) as old_src:
        settings = Settings(
            database_url=f"sqlite:///{folder}/bench.db",
            data_mirror=_mirror(),
        )
        prepare_database(settings, ReferenceData(settings))
        before = measure(settings, {"PYTHONPATH": str(old_src)}, args.visits, args.regions)
        after = measure(settings, {}, args.visits, args.regions)
    text = render(before, after, args, load)
    print(text)
    if args.write:
        write_marked(text, "web:pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
