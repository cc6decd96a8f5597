"""Hybrid directory search under 16 concurrent clients, against one client on the same server.

``uv run python -m benchmarks.bench_search_load [--db sqlite|postgres|both] [--clients 16]
[--seconds S] [--workers 1 2] [--write]``

The server runs as ``clusterhub serve --workers W`` runs it, on a database prepared as on first
start (the directory with the CMP organisations, the 35,871 Horizon 2020 participants and the
demo profiles); background embedding off. Clients are threads of a second process, each with
its own keep-alive connection, sending hybrid searches (``/api/v1/organisations?mode=hybrid``)
back to back, with no pause: a worst case for the server, since real people read a page before
the next search. Three scenarios per server:

* **fresh queries**: every query is new to the server (three words drawn from a vocabulary of
  200 words, so the query embedding and the keyword match are never cached);
* **repeated queries**: two words from 20 common ones (400 queries, which real users repeat),
  after one warm-up pass;
* **repeated queries + editors**: the same while two more clients save their own profiles back
  to back (each save moves the directory's generation, so the searches' catalogue is brought up
  to date and their caches start over).

The baseline in the same run is one client sending the same queries alone. Times are client
round trips (queueing included).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.bench_load import (
    LOGIN_TOKEN,
    PASSWORD,
    SESSION_TOKEN,
    WORDS,
    _edit,
    _free_port,
    _owned,
    _prepared,
    _serve,
)
from benchmarks.bench_mapping import machine_facts, write_marked

TARGET_P95_MS = 200.0
EDITORS = 2
#: Words of profiles' technologies and keywords, for queries the server has not seen.
VOCABULARY = [
    *WORDS, "additive", "manufacturing", "artificial", "intelligence", "machine", "learning",
    "sensors", "materials", "composites", "steel", "aluminium", "chemicals", "pharma",
    "diagnostics", "genomics", "vaccines", "health", "ageing", "nutrition", "dairy", "wine",
    "fisheries", "aquaculture", "forestry", "paper", "printing", "design", "fashion", "leather",
    "footwear", "ceramics", "glass", "cement", "construction", "buildings", "energy",
    "efficiency", "solar", "wind", "offshore", "grid", "storage", "electric", "vehicles",
    "mobility", "rail", "aviation", "drones", "space", "satellites", "navigation", "defence",
    "security", "cyber", "cloud", "data", "analytics", "blockchain", "fintech", "insurance",
    "banking", "retail", "ecommerce", "gaming", "media", "film", "music", "culture", "heritage",
    "education", "training", "skills", "water", "waste", "circular", "economy", "bioeconomy",
    "biomass", "biofuels", "chemistry", "catalysis", "polymers", "nanotechnology", "quantum",
    "microelectronics", "optics", "lasers", "imaging", "telecom", "5g", "internet", "things",
    "smart", "cities", "agriculture", "precision", "farming", "seeds", "horticulture", "flowers",
    "beverages", "brewing", "meat", "bakery", "confectionery", "cosmetics", "perfume", "jewellery",
    "watches", "instruments", "machinery", "tools", "automation", "industry", "digital", "twins",
    "simulation", "testing", "certification", "standards", "logistics", "ports", "shipping",
    "warehousing", "tourism", "hospitality", "sports", "wellness", "medical", "devices",
    "implants", "surgery", "hospitals", "care", "social", "innovation", "startups",
    "incubation", "venture", "capital", "export", "internationalisation", "cooperation",
    "research", "university", "laboratory", "technology", "transfer", "patents", "climate",
    "adaptation", "mitigation", "hydrology", "oceans", "marine", "biodiversity", "soil",
    "mining", "raw", "recovery", "batteries", "lithium", "hydrogen", "fuel", "cells",
]  # fmt: skip


@dataclass(frozen=True)
class Result:
    """Latencies of one scenario at one client count."""

    scenario: str
    clients: int
    requests: int
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int
    edits: int


def _fresh(pick: random.Random) -> str:
    return " ".join(pick.sample(VOCABULARY, 3))


def _repeated(pick: random.Random) -> str:
    return f"{pick.choice(WORDS)} {pick.choice(WORDS)}"


def _searcher(
    base: str, number: int, query: Callable[[random.Random], str], until: float
) -> list[tuple[float, bool]]:
    pick = random.Random(f"{number}-{time.time_ns()}")  # new queries each run
    seen: list[tuple[float, bool]] = []
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            began = time.perf_counter()
            try:
                ok = http.get(
                    "/api/v1/organisations", params={"q": query(pick), "mode": "hybrid"}
                ).status_code == 200  # fmt: skip
            except httpx.HTTPError:
                ok = False
            seen.append(((time.perf_counter() - began) * 1000, ok))
    return seen


def _editor(base: str, number: int, profile: int, until: float) -> int:
    pick = random.Random(number)
    saved = 0
    with httpx.Client(base_url=base, timeout=60) as http:
        token = LOGIN_TOKEN.search(http.get("/account/login").text)
        assert token, "no login form"
        http.post(
            "/account/login",
            data={"csrf_token": token[1], "email": f"member{number}@bench.invalid",
                  "password": PASSWORD},
        )  # fmt: skip
        csrf = SESSION_TOKEN.search(http.get("/directory?page_size=1").text)
        assert csrf, "not logged in"
        me = {"profile": str(profile), "csrf": csrf[1]}
        while time.monotonic() < until:
            saved += _edit(http, pick, me).status_code == 200
    return saved


def _load(base: str, scenario: str, clients: int, seconds: float, profiles: list[int]) -> Result:
    """Runs in the load process: ``clients`` searching threads (plus editors) for ``seconds``."""
    query = _fresh if scenario == "fresh queries" else _repeated
    until = time.monotonic() + seconds
    searches: list[list[tuple[float, bool]]] = [[] for _ in range(clients)]
    edits = [0] * EDITORS

    def search(n: int) -> None:
        searches[n] = _searcher(base, n, query, until)

    def edit(n: int) -> None:
        edits[n] = _editor(base, n, profiles[n], until)

    threads = [threading.Thread(target=search, args=(n,)) for n in range(clients)]
    if scenario.endswith("editors"):
        threads += [threading.Thread(target=edit, args=(n,)) for n in range(EDITORS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    rows = [row for rows in searches for row in rows]
    times = [t for t, _ in rows]
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return Result(
        scenario, clients, len(rows), len(rows) / wall, cuts[49], cuts[94], cuts[98],
        sum(not ok for _, ok in rows), sum(edits),
    )  # fmt: skip


SCENARIOS = ["fresh queries", "repeated queries", "repeated queries + editors"]


def run(kind: str, clients: int, seconds: float, workers: list[int]) -> list[tuple[int, Result]]:
    """Prepare the database, then for each worker count start the server and run every
    scenario with one client and with ``clients``."""
    out: list[tuple[int, Result]] = []
    with tempfile.TemporaryDirectory() as folder:
        settings, cleanup = _prepared(kind, Path(folder), EDITORS)
        try:
            profiles = _owned(settings, EDITORS)
            for count in workers:
                port = _free_port()
                server = _serve(settings, port, workers=count)
                try:
                    base = f"http://127.0.0.1:{port}"
                    context = multiprocessing.get_context("spawn")
                    with context.Pool(1) as pool:
                        pool.apply(_load, (base, "repeated queries", 4, 10.0, profiles))  # warm
                        for scenario in SCENARIOS:
                            for n in (1, clients):
                                print(f"  {count} worker(s), {scenario}, {n} client(s)", flush=True)
                                result = pool.apply(_load, (base, scenario, n, seconds, profiles))
                                print(f"    {result}", flush=True)
                                out.append((count, result))
                finally:
                    server.terminate()
                    server.wait(30)
        finally:
            cleanup()
    return out


def render(results: dict[str, list[tuple[int, Result]]], seconds: float, argv: str) -> str:
    """The BENCHMARKS.md section."""
    lines = [
        "## Hybrid search under 16 concurrent clients",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
        f"`uv run python -m benchmarks.bench_search_load {argv} --write` (load average at "
        f"the end {', '.join(f'{v:.1f}' for v in os.getloadavg())}: other work shared the "
        "two cores when it is above about 2).",
        "",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items()],
        "- **server**: `clusterhub serve --workers W` (uvicorn) on a database loaded as on "
        "first start (145 CMP organisations, 35,871 Horizon 2020 participants, the demo "
        "profiles); background embedding off; clients in a second process on loopback",
        f"- **load**: each client sends hybrid searches back to back for {seconds:.0f} s "
        "(no pause between them); *fresh*: three words from 200, never seen before; "
        "*repeated*: two of 20 common words; *+ editors*: two more clients saving their "
        "profiles back to back meanwhile. Baseline: one client alone, same queries, same run",
        f"- **goal**: p95 <= {TARGET_P95_MS:.0f} ms with 16 clients",
        "",
        "| database | workers | scenario | clients | searches/s | p50 (ms) | p95 (ms) | "
        "p99 (ms) | errors | saves | p95 vs 1 client | goal met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for db, rows in results.items():
        alone = {(w, r.scenario): r for w, r in rows if r.clients == 1}
        for workers, r in rows:
            base = alone[(workers, r.scenario)]
            ratio = f"{r.p95 / base.p95:.1f}x" if r.clients > 1 else "—"
            met = "—" if r.clients == 1 else ("yes" if r.p95 <= TARGET_P95_MS else "**no**")
            lines.append(
                f"| {db} | {workers} | {r.scenario} | {r.clients} | {r.rate:.0f} | {r.p50:.0f} | "
                f"{r.p95:.0f} | {r.p99:.0f} | {r.errors} of {r.requests:,} | {r.edits:,} | "
                f"{ratio} | {met} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios on each database and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = {kind: run(kind, args.clients, args.seconds, args.workers) for kind in kinds}
    shown = (
        f"--db {args.db} --clients {args.clients} --seconds {args.seconds:g} "
        f"--workers {' '.join(map(str, args.workers))}"
    )
    report = render(results, args.seconds, shown)
    print(report)
    if args.write:
        write_marked(report, "web:search-load")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
