"""A busy event day: 16 and 32 concurrent clients on a mix of pages, API calls and edits.

``uv run python -m benchmarks.bench_load [--db sqlite|postgres|both] [--clients 16 32]
[--seconds S] [--write]``

The server runs as ``clusterhub serve`` runs it (``run_server``: uvicorn, one process, the app
factory) on a database prepared as on first start (the real EU SBS and U.S. CMP cluster maps,
the directory with the CMP organisations, the Horizon 2020 participants and the demo profiles,
the scoreboard indicators), plus one member account per client, each the admin of a profile.
The background embedding fill is off so that every run measures the same work.

Each client is a thread of a second process with its own keep-alive connection and cookies:
it logs in, then for ``S`` seconds picks a request at random by the weights of ``MIX`` (pages,
JSON API reads with varied parameters, directory searches with varied words, and a read-then-
edit of its own profile) and records the round trip and status. An error is a 5xx, a failed
connection, or any status that the request does not expect (a page is 200, an edit 200).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from benchmarks.bench_mapping import machine_facts, write_marked
from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.bootstrap import prepare_database
from clusterhub.services.directory import profiles as directory
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_URL = os.environ.get(
    "CLUSTERHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct horse battery staple"
TARGET_P95_MS = 300.0
WORDS = [
    "automotive", "aerospace", "batteries", "biotech", "textile", "photonics", "robotics",
    "logistics", "tourism", "agrifood", "medical devices", "hydrogen", "wood", "plastics",
    "semiconductors", "software", "maritime", "furniture", "packaging", "recycling",
]  # fmt: skip
#: The 51 traded clusters but Insurance (24), which the EU SBS data set cannot see.
CLUSTERS = [code for code in range(1, 52) if code != 24]
REGIONS = ["DE11", "DE21", "ITC4", "ES30", "FR10", "NL33", "SE11", "PL22", "AT13", "DK01"]
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
SESSION_TOKEN = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')


@dataclass(frozen=True)
class Kind:
    """One kind of request: its share of the mix and how to send it."""

    name: str
    weight: int
    send: Callable[[httpx.Client, random.Random, dict[str, str]], httpx.Response]
    expected: frozenset[int] = frozenset({200})


def _edit(http: httpx.Client, pick: random.Random, me: dict[str, str]) -> httpx.Response:
    """Read the client's own profile, then change its description (the version it read)."""
    path = f"/api/v1/organisations/{me['profile']}"
    current = http.get(path).json()
    return http.patch(
        path,
        json={"version": current["version"],
              "changes": {"description": f"Edited at {time.time():.3f} ({pick.random():.6f})."}},
        headers={"X-CSRF-Token": me["csrf"]},
    )  # fmt: skip


MIX: list[Kind] = [
    Kind("page: home map", 8, lambda h, p, _: h.get(f"/?cluster={p.choice(CLUSTERS)}")),
    Kind("page: region", 8, lambda h, p, _: h.get(f"/regions/{p.choice(REGIONS)}")),
    Kind("page: cluster", 6, lambda h, p, _: h.get(f"/clusters/{p.choice(CLUSTERS)}")),
    Kind(
        "page: directory search",
        8,
        lambda h, p, _: h.get("/directory", params={"q": p.choice(WORDS), "mode": "keyword"}),
    ),
    Kind("page: profile", 6, lambda h, p, _: h.get(f"/directory/{p.randint(1, 400)}")),
    Kind("page: partnerships", 2, lambda h, p, _: h.get("/partnerships")),
    Kind("API: region", 10, lambda h, p, _: h.get(f"/api/v1/regions/{p.choice(REGIONS)}")),
    Kind(
        "API: cluster", 8, lambda h, p, _: h.get(f"/api/v1/clusters/{p.choice(CLUSTERS)}?limit=50")
    ),
    Kind(
        "API: metrics",
        8,
        lambda h, p, _: h.get(
            "/api/v1/metrics",
            params={
                "country": p.choice(REGIONS)[:2],
                "min_stars": p.randint(0, 2),
                "page_size": 50,
            },
        ),
    ),
    Kind(
        "API: search (keyword)",
        10,
        lambda h, p, _: h.get(
            "/api/v1/organisations", params={"q": p.choice(WORDS), "mode": "keyword"}
        ),
    ),
    Kind(
        "API: search (hybrid)",
        6,
        lambda h, p, _: h.get(
            "/api/v1/organisations",
            params={"q": f"{p.choice(WORDS)} {p.choice(WORDS)}", "mode": "hybrid"},
        ),
    ),
    Kind("API: profile", 10, lambda h, p, _: h.get(f"/api/v1/organisations/{p.randint(1, 400)}")),
    Kind("edit: own profile", 10, _edit),
]


# --- the database --------------------------------------------------------------------------


def _prepared(kind: str, folder: Path, clients: int) -> tuple[Settings, Callable[[], None]]:
    """Settings of a database loaded as on first start, plus members who own a profile each;
    and how to remove it afterwards."""
    if kind == "sqlite":
        settings = Settings(
            database_url=f"sqlite:///{folder / 'load.db'}", data_mirror=_mirror(),
            state_dir=folder, embed_in_background=False,
        )  # fmt: skip
        cleanup: Callable[[], None] = lambda: None  # noqa: E731 - the folder goes with it
    else:
        schema = f"load_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f'create schema "{schema}"'))
        settings = Settings(
            database_url=f"{PG_URL}?options=-csearch_path%3D{schema}", data_mirror=_mirror(),
            state_dir=folder, embed_in_background=False,
        )  # fmt: skip

        def cleanup() -> None:
            with admin.begin() as connection:
                connection.execute(text(f'drop schema "{schema}" cascade'))
            admin.dispose()

    print(f"preparing the {kind} database (first start) ...", flush=True)
    began = time.perf_counter()
    prepare_database(settings, ReferenceData(settings))
    _members(settings, clients)
    print(f"  ready in {time.perf_counter() - began:.0f} s", flush=True)
    return settings, cleanup


def _mirror() -> Path | None:
    return MIRROR if MIRROR.exists() else None


def _real_profiles(session: Session) -> list[int]:
    """Ids of the U.S. CMP organisations (real profiles, not synthetic), in order."""
    query = select(Organisation.id).where(Organisation.source == "cmp-orgs")
    return list(session.scalars(query.order_by(Organisation.id)))


def _members(settings: Settings, count: int) -> None:
    """``count`` members, member ``n`` the admin of the n-th real (non-synthetic) profile."""
    engine = make_engine(settings)
    with transaction(make_session_factory(engine)) as session:
        site = users.create_user(
            session, email="site@bench.invalid", display_name="Site", password=PASSWORD,
            role=users.Role.SITE_ADMIN,
        )  # fmt: skip
        ids = _real_profiles(session)
        for number in range(count):
            email = f"member{number}@bench.invalid"
            users.create_user(session, email=email, display_name=email, password=PASSWORD)
            directory.add_admin(session, organisation_id=ids[number], email=email, actor=site)
    engine.dispose()


def _owned(settings: Settings, count: int) -> list[int]:
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        ids = _real_profiles(session)
    engine.dispose()
    return ids[:count]


# --- the server and the load ---------------------------------------------------------------


def _serve(settings: Settings, port: int, *, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLUSTERHUB_")},
        "CLUSTERHUB_DATABASE_URL": settings.database_url,
        "CLUSTERHUB_DATA_MIRROR": str(settings.data_mirror or ""),
        "CLUSTERHUB_STATE_DIR": str(settings.state_dir),
        "CLUSTERHUB_EMBED_IN_BACKGROUND": "false",
    }
    command = [
        sys.executable, "-c",
        "from clusterhub.cli.serve import run_server; from clusterhub.config import get_settings;"
        f" run_server(get_settings(), host='127.0.0.1', port={port}, workers={workers})",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def _client(
    base: str, number: int, profile: int, seconds: float, start: threading.Barrier
) -> list[tuple[str, float, bool]]:
    """One client's session: log in, then mixed requests until the time is up."""
    pick = random.Random(number)
    weights = [kind.weight for kind in MIX]
    seen: list[tuple[str, float, bool]] = []
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
        start.wait()
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            kind = pick.choices(MIX, weights)[0]
            began = time.perf_counter()
            try:
                status = kind.send(http, pick, me).status_code
            except httpx.HTTPError:
                status = 0
            elapsed = (time.perf_counter() - began) * 1000
            seen.append((kind.name, elapsed, status in kind.expected))
    return seen


def _load(base: str, profiles: list[int], seconds: float) -> list[tuple[str, float, bool]]:
    """Runs in the load process: one thread per client."""
    start = threading.Barrier(len(profiles))
    results: list[list[tuple[str, float, bool]]] = [[] for _ in profiles]

    def run(number: int) -> None:
        results[number] = _client(base, number, profiles[number], seconds, start)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(profiles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [row for rows in results for row in rows]


@dataclass(frozen=True)
class Summary:
    """Latency percentiles and errors of one kind of request (or all)."""

    name: str
    requests: int
    p50: float
    p95: float
    p99: float
    errors: int


def _summaries(rows: list[tuple[str, float, bool]]) -> list[Summary]:
    by_kind: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for name, elapsed, ok in rows:
        by_kind[name].append((elapsed, ok))
        by_kind["all requests"].append((elapsed, ok))
    out = []
    for name in ["all requests", *[kind.name for kind in MIX]]:
        seen = by_kind.get(name, [])
        if not seen:
            continue
        times = [t for t, _ in seen]
        cuts = (
            statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
        )
        out.append(
            Summary(name, len(seen), cuts[49], cuts[94], cuts[98], sum(not ok for _, ok in seen))
        )
    return out


def run(kind: str, clients: list[int], seconds: float) -> dict[int, tuple[list[Summary], float]]:
    """Prepare the database, start the server, load it with each client count."""
    results: dict[int, tuple[list[Summary], float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings, cleanup = _prepared(kind, Path(folder), max(clients))
        try:
            profiles = _owned(settings, max(clients))
            port = _free_port()
            server = _serve(settings, port)
            try:
                base = f"http://127.0.0.1:{port}"
                context = multiprocessing.get_context("spawn")
                with context.Pool(1) as pool:
                    pool.apply(_load, (base, profiles[:4], 5.0))  # warm-up
                    for count in clients:
                        print(f"  {count} clients for {seconds:.0f} s ...", flush=True)
                        began = time.perf_counter()
                        rows = pool.apply(_load, (base, profiles[:count], seconds))
                        wall = time.perf_counter() - began
                        results[count] = (_summaries(rows), len(rows) / wall)
            finally:
                server.terminate()
                server.wait(30)
        finally:
            cleanup()
    return results


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render(
    results: dict[str, dict[int, tuple[list[Summary], float]]], seconds: float, argv: str
) -> str:
    """The BENCHMARKS.md section."""
    lines = [
        "## A busy event day: mixed load on pages, API and edits",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
        f"`uv run python -m benchmarks.bench_load {argv} --write`.",
        "",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items()],
        "- **server**: what `clusterhub serve` runs (uvicorn, 1 process) on a database loaded as "
        "on first start (EU SBS and U.S. CMP maps, the directory with 145 CMP organisations, "
        "35,871 Horizon 2020 participants and the demo profiles, the scoreboard indicators); "
        "background embedding off; load from a second process on loopback",
        f"- **load**: each client logs in, then for {seconds:.0f} s sends requests picked at "
        "random by weight: " + ", ".join(f"{k.name} {k.weight}" for k in MIX) + "; times are "
        "client round trips (queueing included); an error is a 5xx, a failed connection or an "
        "unexpected status",
        f"- **goal**: no errors, p95 of all requests <= {TARGET_P95_MS:.0f} ms",
        "",
        "| database | clients | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | errors | goal met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for db, by_count in results.items():
        for count, (summaries, rate) in by_count.items():
            total = summaries[0]
            met = total.errors == 0 and total.p95 <= TARGET_P95_MS
            lines.append(
                f"| {db} | {count} | {rate:.0f} | {total.p50:.0f} | {total.p95:.0f} | "
                f"{total.p99:.0f} | {total.errors} of {total.requests:,} | "
                f"{'yes' if met else '**no**'} |"
            )
    for db, by_count in results.items():
        for count, (summaries, _) in by_count.items():
            lines += [
                "",
                f"By kind of request, {db}, {count} clients:",
                "",
                "| request | requests | p50 (ms) | p95 (ms) | p99 (ms) | errors |",
                "|---|---|---|---|---|---|",
                *[
                    f"| {s.name} | {s.requests:,} | {s.p50:.0f} | {s.p95:.0f} | {s.p99:.0f} | "
                    f"{s.errors} |"
                    for s in summaries[1:]
                ],
            ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the load on each database and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = {kind: run(kind, args.clients, args.seconds) for kind in kinds}
    shown = (
        f"--db {args.db} --clients {' '.join(map(str, args.clients))} --seconds {args.seconds:g}"
    )
    report = render(results, args.seconds, shown)
    print(report)
    if args.write:
        write_marked(report, "web:mixed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
