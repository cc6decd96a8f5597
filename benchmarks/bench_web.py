"""Page and API latency of the web platform under concurrent load from a second process.

``uv run python -m benchmarks.bench_web [--requests N] [--concurrency C] [--write]``

The server runs as it does in production (``uvicorn`` with the app factory, SQLite with the real
EU and U.S. data loaded) in one process; the load comes from another process on loopback with
``C`` keep-alive clients. For each endpoint we report the server's own time (``Server-Timing``,
set by the app around each request) and the client's round trip, as p50 / p95. API endpoints are
measured warm: their answers come from the response cache, as they would for repeated calls.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.bench_mapping import machine_facts, write_marked
from clusterhub.config import Settings
from clusterhub.services.bootstrap import prepare_database
from clusterhub.services.reference import ReferenceData

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PAGES = {
    "home page": "/?cluster=4",
    "region page": "/regions/DE11",
    "cluster page": "/clusters/4",
}
API = {
    "API region": "/api/v1/regions/DE11",
    "API cluster": "/api/v1/clusters/4?limit=50",
    "API metrics": "/api/v1/metrics?country=DE&min_stars=2&page_size=50",
}
TARGET_PAGE_P95_MS = 200.0
TARGET_API_P95_MS = 50.0


@dataclass(frozen=True)
class Latency:
    """Percentiles of one endpoint, in milliseconds."""

    name: str
    path: str
    requests: int
    server_p50: float
    server_p95: float
    client_p50: float
    client_p95: float
    per_second: float


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _load(base: str, path: str, requests: int, concurrency: int) -> tuple[list[float], ...]:
    """Runs in the load process: ``requests`` GETs from ``concurrency`` keep-alive clients."""
    server: list[float] = []
    client: list[float] = []
    per_worker = requests // concurrency

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for _ in range(per_worker):
                began = time.perf_counter()
                response = http.get(path)
                client.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
                timing = response.headers["server-timing"].split("dur=")[1]
                server.append(float(timing))

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    return server, client, [time.perf_counter() - began]


def _cold(base: str, paths: list[str]) -> list[float]:
    """Runs in the load process: one GET per distinct page, nothing memoised yet."""
    with httpx.Client(base_url=base, timeout=30) as http:
        return [float(http.get(p).headers["server-timing"].split("dur=")[1]) for p in paths]


def cold_pages(base: str) -> dict[str, list[float]]:
    """Server time of first renders: every cluster's map and profile, 60 region profiles."""
    regions = httpx.get(f"{base}/api/v1/regions", params={"region_type": "nuts2", "page_size": 60})
    codes = [r["code"] for r in regions.json()["items"]]
    clusters = [str(c) for c in range(1, 52) if c != 24]  # 24 (Insurance) is not in SBS
    kinds = {
        "home page (cold)": [f"/?cluster={c}" for c in clusters],
        "cluster page (cold)": [f"/clusters/{c}" for c in clusters],
        "region page (cold)": [f"/regions/{code}" for code in codes],
    }
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return {name: pool.apply(_cold, (base, paths)) for name, paths in kinds.items()}


def measure(base: str, requests: int, concurrency: int) -> list[Latency]:
    """Warm each endpoint, then load it from a separate (spawned) process."""
    results = []
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        for name, path in {**PAGES, **API}.items():
            pool.apply(_load, (base, path, concurrency * 2, concurrency))  # warm-up
            server, client, (elapsed,) = pool.apply(_load, (base, path, requests, concurrency))
            results.append(
                Latency(
                    name,
                    path,
                    len(server),
                    _percentile(server, 50),
                    _percentile(server, 95),
                    _percentile(client, 50),
                    _percentile(client, 95),
                    len(server) / elapsed,
                )
            )
    return results


def _serve(
    settings: Settings, port: int, workers: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CLUSTERHUB_DATABASE_URL": settings.database_url,
        "CLUSTERHUB_DATA_MIRROR": str(settings.data_mirror or ""),
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "uvicorn", "clusterhub.web.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--workers", str(workers),
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def render(results: list[Latency], requests: int, concurrency: int, workers: int) -> str:
    """The BENCHMARKS.md section."""
    facts = machine_facts()
    lines = [
        "## Web platform: page and API latency under load",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
        f"`uv run python -m benchmarks.bench_web --requests {requests} "
        f"--concurrency {concurrency} --workers {workers} --write`.",
        "",
        *[f"- **{k}**: {v}" for k, v in facts.items()],
        f"- **server**: uvicorn with {workers} worker process(es) (the app factory), SQLite "
        "with the real EU SBS and "
        "U.S. CMP data sets loaded; load from a second process on loopback, "
        f"{concurrency} keep-alive clients, {requests} requests per endpoint after a warm-up",
        "- **server time** is the app's own `Server-Timing`; **round trip** is measured by the "
        "client and includes queueing behind the other clients",
        "",
        "| endpoint | path | server p50 (ms) | server p95 (ms) | round trip p50 (ms) "
        "| round trip p95 (ms) | requests/s | target p95 | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        target = TARGET_API_P95_MS if r.name.startswith("API") else TARGET_PAGE_P95_MS
        lines.append(
            f"| {r.name} | `{r.path}` | {r.server_p50:.1f} | {r.server_p95:.1f} | "
            f"{r.client_p50:.1f} | {r.client_p95:.1f} | {r.per_second:.0f} | "
            f"{target:.0f} ms (server) | {'yes' if r.server_p95 <= target else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def render_cold(cold: dict[str, list[float]]) -> str:
    """First renders, one request at a time: what a visitor waits for on an unseen page."""
    lines = [
        "",
        "First renders (nothing memoised yet; one request at a time):",
        "",
        "| page | pages | server p50 (ms) | server p95 (ms) | max (ms) | target p95 | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, times in cold.items():
        p95 = _percentile(times, 95)
        lines.append(
            f"| {name} | {len(times)} | {_percentile(times, 50):.1f} | {p95:.1f} | "
            f"{max(times):.1f} | {TARGET_PAGE_P95_MS:.0f} ms | "
            f"{'yes' if p95 <= TARGET_PAGE_P95_MS else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Prepare a database, start the server, load it, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/bench.db",
            data_mirror=MIRROR if MIRROR.exists() else None,
        )
        prepare_database(settings, ReferenceData(settings))
        server = _serve(settings, _free_port(), args.workers)
        try:
            port = server.args[server.args.index("--port") + 1]  # type: ignore[index, union-attr]
            base = f"http://127.0.0.1:{port}"
            cold = cold_pages(base)
            results = measure(base, args.requests, args.concurrency)
        finally:
            server.terminate()
            server.wait(10)
    text = render(results, args.requests, args.concurrency, args.workers) + render_cold(cold)
    print(text)
    if args.write:
        write_marked(text, "web:load")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
