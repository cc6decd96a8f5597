"""Time the printable region profiles: gathering a report, its HTML and its PDF.

Run ``uv run python -m benchmarks.bench_reports [--regions 10] [--repeat 3] [--write]``.

Method:

* **Data**: the real Eurostat SBS 2015 and U.S. CMP 2016 cluster maps and the scoreboard
  indicators (the shared mirror, or the official sources), loaded into a throw-away SQLite
  database as ``clusterhub build`` does (``services.reports.build.profile_database``).
* **Regions**: the ``--regions`` NUTS 2 regions with the most strong clusters (the ones the
  build prints first).
* **Work timed**, per region: *gather* (``region_report``: the database queries, the scorecard
  and the SVG map), *HTML* (rendering the template), *PDF* (WeasyPrint printing the HTML).
  The first PDF of the process also pays WeasyPrint's import and font set-up; it is timed
  separately and left out of the medians.
* **Repetitions**: each region ``--repeat`` times; medians over all regions and repeats, and
  the slowest run. Pages and bytes of each PDF are reported too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pypdf import PdfReader
from sqlalchemy.orm import Session

from benchmarks.bench_mapping import machine_facts, write_marked
from clusterhub.config import Settings, get_settings
from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.services.reports import render
from clusterhub.services.reports.build import profile_database, top_regions
from clusterhub.services.reports.profiles import region_report

T = TypeVar("T")
SECTION = "reports"


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _profile(session: Session, reference: ReferenceData, code: str) -> tuple[list[float], bytes]:
    """Seconds to gather, render and print one region's profile, and the PDF."""
    report, gather = _timed(
        lambda: region_report(session, reference.regions, code=code, dataset="eu-sbs")
    )
    html, html_seconds = _timed(lambda: render.region_html(report))
    data, pdf_seconds = _timed(lambda: render.pdf(html))
    return [gather, html_seconds, pdf_seconds], data


def measure(regions: int, repeat: int) -> dict[str, object]:
    reference = ReferenceData(get_settings())
    maps = {
        "eu": build_cluster_map(MapRequest(source="eurostat-sbs"), reference),
        "us": build_cluster_map(MapRequest(source="cmp-states"), reference),
    }
    codes = top_regions(maps["eu"], regions)
    times: dict[str, list[float]] = {"gather": [], "html": [], "pdf": []}
    pages: list[int] = []
    sizes: list[int] = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'bench.db'}")
        with profile_database(settings, maps, reference) as factory, factory() as session:
            first = region_report(session, reference.regions, code=codes[0], dataset="eu-sbs")
            _, first_pdf = _timed(lambda: render.pdf(render.region_html(first)))
            for round_ in range(repeat):
                for code in codes:
                    steps, data = _profile(session, reference, code)
                    for name, seconds in zip(times, steps, strict=True):
                        times[name].append(seconds)
                    if round_ == 0:
                        pages.append(len(PdfReader(io.BytesIO(data)).pages))
                        sizes.append(len(data))
                print(f"round {round_ + 1}/{repeat} done", flush=True)
    return {"codes": codes, "times": times, "first_pdf": first_pdf, "pages": pages, "sizes": sizes}


def render_section(result: dict[str, object], regions: int, repeat: int) -> str:
    times: dict[str, list[float]] = result["times"]  # type: ignore[assignment]
    pages: list[int] = result["pages"]  # type: ignore[assignment]
    sizes: list[int] = result["sizes"]  # type: ignore[assignment]
    codes: list[str] = result["codes"]  # type: ignore[assignment]
    lines = [
        "## Printable profiles (PDF)",
        "",
        f"Measured {dt.date.today().isoformat()} with `uv run python -m benchmarks.bench_reports "
        f"--regions {regions} --repeat {repeat} --write`. **Provisional**: timed on the shared "
        "development machine while other work ran; the lead reruns it on an idle machine.",
        "",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items()],
        f"- **load average** (1, 5, 15 min) when written: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (other work shared the machine)",
        "",
        f"Region profiles of the {len(codes)} NUTS 2 regions with the most strong clusters "
        f"({', '.join(codes)}), real Eurostat SBS 2015 data in a throw-away SQLite database as "
        f"`clusterhub build` loads it; each region {repeat} times.",
        "",
        "| step | median (s) | slowest (s) |",
        "|---|---|---|",
        *[
            f"| {name} | {statistics.median(values):.3f} | {max(values):.3f} |"
            for name, values in times.items()
        ],
        "",
        f"First PDF of the process (WeasyPrint import and font set-up included): "
        f"{result['first_pdf']:.2f} s. PDFs: {min(pages)}–{max(pages)} A4 pages, "
        f"{min(sizes) / 1024:.0f}–{max(sizes) / 1024:.0f} KiB.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="Update BENCHMARKS.md.")
    args = parser.parse_args()
    text = render_section(measure(args.regions, args.repeat), args.regions, args.repeat)
    print(text)
    if args.write:
        write_marked(text, SECTION)


if __name__ == "__main__":
    main()
