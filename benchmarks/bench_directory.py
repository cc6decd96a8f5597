"""Directory search at scale: load, embed, build the index and time queries on both databases.

``uv run python -m benchmarks.bench_directory [--profiles N] [--db sqlite|postgres|both]
[--queries Q] [--write]``

The profiles are the **synthetic** ones of ``clusterhub.demo`` (seeded, so every run loads the
same). Embedding 100,000 texts with the numpy model takes tens of minutes, so vectors are cached
on disk under the cache directory, keyed by the hash of the text: the second database and later
runs reuse them, and the report says how many texts were embedded and how fast.

Queries run in-process through :meth:`DirectoryIndex.search` with a real session, one session
per query (as a web request has), and each mode gets its own query texts so the query-embedding
cache never answers for another mode.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_mapping import machine_facts, write_marked
from clusterhub.config import Settings
from clusterhub.demo import SOURCE, synthetic_profiles
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import OrganisationInput
from clusterhub.services.embeddings import Embedder, Vectors, load_embedder, text_hash
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.search.queries import DirectoryIndex, SearchMode, SearchRequest
from clusterhub.store import fts
from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_URL = os.environ.get(
    "CLUSTERHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGET_P95_MS = 50.0
BATCH = 10_000
_CACHE_CHUNK = 2_000


class CachedEmbedder:
    """The real model behind an on-disk cache of vectors keyed by text hash.

    New vectors are written in chunks as they are computed, so an interrupted run keeps what
    it embedded. ``seconds`` and ``embedded`` count only the model's own work.

    ``budget`` caps how many new texts the model embeds in this run; texts beyond it get the
    vector of a cached text chosen by their hash (``substituted``, never written to the cache).
    Latency depends on the matrix size and on how many profiles pass the similarity floor, which
    real vectors reused this way keep realistic; the report says how many were substituted.
    """

    def __init__(self, model: Embedder, folder: Path, budget: int | None = None) -> None:
        self.model = model
        self.name = model.name
        self.dimensions = model.dimensions
        self.folder = folder / model.name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.vectors: dict[str, Vectors] = {}
        for chunk in sorted(self.folder.glob("*.npz")):
            with np.load(chunk) as stored:
                self.vectors.update(zip(stored["hashes"].tolist(), stored["vectors"], strict=True))
        self.seconds = 0.0
        self.embedded = 0
        self.reused = 0
        self.substituted = 0
        self.budget = budget

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Vectors of ``texts``: cached ones read back, the rest computed and stored."""
        hashes = [text_hash(t) for t in texts]
        missing = list(dict.fromkeys(h for h in hashes if h not in self.vectors))
        by_hash = dict(zip(hashes, texts, strict=True))
        self.reused += len(texts) - len(missing)
        stand_ins: list[str] = []
        if self.budget is not None:
            allowed = max(0, self.budget - self.embedded)
            missing, stand_ins = missing[:allowed], missing[allowed:]
        for start in range(0, len(missing), _CACHE_CHUNK):
            chunk = missing[start : start + _CACHE_CHUNK]
            began = time.perf_counter()
            vectors = self.model.encode([by_hash[h] for h in chunk], batch_size=batch_size)
            self.seconds += time.perf_counter() - began
            self.embedded += len(chunk)
            self.vectors.update(zip(chunk, vectors, strict=True))
            np.savez(
                self.folder / f"{uuid.uuid4().hex}.npz", hashes=np.array(chunk), vectors=vectors
            )
            print(f"    embedded {self.embedded:,} texts, {self.rate:.0f}/s", flush=True)
        found = dict(self.vectors)
        if stand_ins:
            known = sorted(self.vectors)
            if not known:
                raise SystemExit("no cached vectors to reuse: raise --embed-budget")
            for h in stand_ins:
                found[h] = self.vectors[known[int(h[:12], 16) % len(known)]]
            self.substituted += len(stand_ins)
        return np.stack([found[h] for h in hashes]).astype(np.float32)

    @property
    def rate(self) -> float:
        """Texts per second of the model itself."""
        return self.embedded / self.seconds if self.seconds else 0.0


@dataclass
class Run:
    """What one database measured."""

    kind: str
    profiles: int
    load_seconds: float = 0.0
    embed_seconds: float = 0.0
    embedded: int = 0
    reused: int = 0
    substituted: int = 0
    build_seconds: float = 0.0
    index_mib: float = 0.0
    refresh_seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    parts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    totals: dict[str, list[int]] = field(default_factory=dict)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[Settings]:
    """An empty migrated database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}")
        upgrade(make_engine(settings))
        yield settings
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    settings = Settings(database_url=f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        upgrade(make_engine(settings))
        yield settings
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def load(
    factory: sessionmaker[Session],
    records: list[OrganisationInput],
    catalogues: Catalogues,
    embedder: CachedEmbedder,
) -> float:
    """Import ``records`` in transactions of :data:`BATCH`, as ``directory import`` would."""
    began = time.perf_counter()
    for start in range(0, len(records), BATCH):
        with transaction(factory) as session:
            directory.upsert_profiles(
                session,
                records=records[start : start + BATCH],
                source=SOURCE,
                catalogues=catalogues,
                embedder=embedder,
            )
        print(f"  loaded {min(start + BATCH, len(records)):,}", flush=True)
    return time.perf_counter() - began


def queries(records: list[OrganisationInput], count: int, seed: int) -> list[dict[str, object]]:
    """Distinct 1–3-word queries from the words of random profiles' technologies and keywords,
    each with that profile's country and first cluster for the faceted variant."""
    rng = random.Random(seed)
    found: dict[str, dict[str, object]] = {}
    while len(found) < count:
        record = rng.choice(records)
        words = sorted(
            {w for phrase in record.technologies + record.keywords for w in phrase.split()}
        )
        words = [w for w in words if len(w) > 2]
        q = " ".join(rng.sample(words, k=min(len(words), rng.choice((1, 1, 2, 2, 3)))))
        found.setdefault(
            q.lower(), {"q": q, "country": record.country, "cluster": record.cluster_codes[0]}
        )
    return list(found.values())


def measure(
    factory: sessionmaker[Session],
    index: DirectoryIndex,
    embedder: Embedder,
    workload: dict[str, list[SearchRequest]],
    run: Run,
) -> None:
    """Time each request (after a few untimed ones per mode), one session per query."""
    for name, requests in workload.items():
        for request in requests[:5]:
            with factory() as session:
                index.search(session, request, embedder=embedder)
        times, cpu, totals = [], [], []
        for request in requests[5:]:
            began, began_cpu = time.perf_counter(), time.thread_time()
            with factory() as session:
                results = index.search(session, request, embedder=embedder)
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
            totals.append(results.total)
            _time_parts(factory, embedder, request, name, run)
        run.latencies[name], run.cpu[name], run.totals[name] = times, cpu, totals
        print(f"  {name}: p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms", flush=True)


def _time_parts(
    factory: sessionmaker[Session], embedder: Embedder, request: SearchRequest, name: str, run: Run
) -> None:
    """The two parts outside the catalogue, alone: the database's keyword match (all hits,
    scored) and embedding the query text."""
    query = fts.parse(request.q)
    if name == "keyword" and query is not None:
        began = time.perf_counter()
        with factory() as session:
            fts.match(session, query)
        run.parts["keyword match in the database"].append((time.perf_counter() - began) * 1000)
    if name == "semantic":
        began = time.perf_counter()
        embedder.encode([request.q])
        run.parts["embedding the query"].append((time.perf_counter() - began) * 1000)


def workload(records: list[OrganisationInput], count: int) -> dict[str, list[SearchRequest]]:
    """The four query kinds, each with its own distinct texts (plus 5 warm-ups)."""
    texts = queries(records, 4 * (count + 5), seed=7)
    parts = [texts[i * (count + 5) : (i + 1) * (count + 5)] for i in range(4)]
    return {
        "keyword": [SearchRequest(q=str(p["q"]), mode=SearchMode.KEYWORD) for p in parts[0]],
        "keyword + country + cluster": [
            SearchRequest(
                q=str(p["q"]),
                mode=SearchMode.KEYWORD,
                country=[str(p["country"])],
                cluster=[str(p["cluster"])],
            )
            for p in parts[1]
        ],
        "semantic": [SearchRequest(q=str(p["q"]), mode=SearchMode.SEMANTIC) for p in parts[2]],
        "hybrid": [SearchRequest(q=str(p["q"]), mode=SearchMode.HYBRID) for p in parts[3]],
    }


def bench(
    kind: str,
    records: list[OrganisationInput],
    catalogues: Catalogues,
    embedder: CachedEmbedder,
    count: int,
) -> Run:
    """Load, build and query one database kind."""
    run = Run(kind, len(records))
    print(f"{kind}: loading {len(records):,} profiles ...", flush=True)
    with tempfile.TemporaryDirectory() as folder, database(kind, Path(folder)) as settings:
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        seconds, embedded, reused = embedder.seconds, embedder.embedded, embedder.reused
        substituted = embedder.substituted
        total = load(factory, records, catalogues, embedder)
        run.embed_seconds = embedder.seconds - seconds
        run.embedded, run.reused = embedder.embedded - embedded, embedder.reused - reused
        run.substituted = embedder.substituted - substituted
        run.load_seconds = total - run.embed_seconds
        gc.collect()
        before = psutil.Process().memory_info().rss
        index = DirectoryIndex(cluster_names=catalogues.clusters)
        began = time.perf_counter()
        with factory() as session:
            index.catalogue(session)
        run.build_seconds = time.perf_counter() - began
        gc.collect()
        run.index_mib = (psutil.Process().memory_info().rss - before) / 2**20
        run.refresh_seconds = _refresh_after_one_edit(factory, index, records[0], catalogues)
        measure(factory, index, embedder.model, workload(records, count), run)
        engine.dispose()
    return run


def _refresh_after_one_edit(
    factory: sessionmaker[Session],
    index: DirectoryIndex,
    record: OrganisationInput,
    catalogues: Catalogues,
) -> float:
    """Seconds the next query spends bringing the catalogue up to date after one profile edit."""
    edited = record.model_copy(update={"name": f"{record.name} (renamed)"})
    with transaction(factory) as session:
        directory.upsert_profiles(
            session, records=[edited], source=SOURCE, catalogues=catalogues, embedder=None
        )
    began = time.perf_counter()
    with factory() as session:
        index.catalogue(session)
    return time.perf_counter() - began


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def render(runs: list[Run], count: int, args: argparse.Namespace) -> str:
    """The BENCHMARKS.md section."""
    lines = [
        "## Directory search",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `uv run python -m "
        f"benchmarks.bench_directory --profiles {args.profiles} --db {args.db} "
        f"--queries {count}"
        + (f" --embed-budget {args.embed_budget}" if args.embed_budget is not None else "")
        + f" --write` (load average at start {args.load_average}).",
        "",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items() if k != "engine measured"],
        f"- **data**: {runs[0].profiles:,} **synthetic** profiles from `clusterhub.demo` "
        "(seed 0), imported with `directory.upsert_profiles` in transactions of "
        f"{BATCH:,} (revisions, keyword index and embeddings written as in a real import)",
        "- **queries**: in-process `DirectoryIndex.search` with a real session opened per query, "
        "page 1 of 20 with the six facets; 1–3 words drawn from the technologies and keywords "
        "of random profiles; each mode its own distinct texts (the query-embedding cache "
        "never hits), so semantic and hybrid latencies include embedding the query",
        f"- **BLAS threads**: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}",
        "- **CPU** is the query thread's own CPU time (`time.thread_time`): wall time minus "
        "waiting for a core on a shared machine; on PostgreSQL it leaves out the server's work",
        "- **index memory** is the growth of the process's resident set when the catalogue "
        "was built (embedding matrix included)",
        "",
        "| database | load (excl. embedding) | embedding | index build | index memory "
        "| refresh after one edit |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        rate = f"{r.embedded / r.embed_seconds:.0f} texts/s" if r.embed_seconds else "—"
        embedding = (
            f"{r.embedded:,} texts in {r.embed_seconds:.0f} s ({rate}); {r.reused:,} from cache"
            + (f"; **{r.substituted:,} substituted**" if r.substituted else "")
        )
        lines.append(
            f"| {r.kind} | {r.load_seconds:.0f} s | {embedding} | {r.build_seconds:.1f} s "
            f"| {r.index_mib:.0f} MiB | {r.refresh_seconds * 1000:.0f} ms |"
        )
    lines += [
        "",
        "| database | query | queries | median results | p50 (ms) | p95 (ms) | max (ms) "
        "| CPU p50 / p95 (ms) | target p95 | met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        for name, times in r.latencies.items():
            p95 = _pct(times, 95)
            cpu = r.cpu[name]
            lines.append(
                f"| {r.kind} | {name} | {len(times)} | {statistics.median(r.totals[name]):,.0f} "
                f"| {_pct(times, 50):.1f} | {p95:.1f} | {max(times):.1f} "
                f"| {_pct(cpu, 50):.1f} / {_pct(cpu, 95):.1f} | {TARGET_P95_MS:.0f} ms "
                f"| {'yes' if p95 <= TARGET_P95_MS else '**no**'} |"
            )
    lines += ["", "| database | part, timed alone | p50 (ms) | p95 (ms) |", "|---|---|---|---|"]
    for r in runs:
        for part, times in r.parts.items():
            lines.append(f"| {r.kind} | {part} | {_pct(times, 50):.1f} | {_pct(times, 95):.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Generate, then measure each database kind asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per kind")
    parser.add_argument(
        "--embed-budget",
        type=int,
        default=None,
        help="embed at most this many new texts; reuse cached vectors for the rest",
    )
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    settings = Settings(data_mirror=MIRROR if MIRROR.exists() else None)
    reference = ReferenceData(settings)
    catalogues = Catalogues.from_reference(reference)
    began = time.perf_counter()
    records = synthetic_profiles(args.profiles, seed=0, catalogues=catalogues)
    records = [directory.validate(r, catalogues) for r in records]
    print(f"generated {len(records):,} profiles in {time.perf_counter() - began:.0f} s")
    embedder = CachedEmbedder(
        load_embedder(), settings.cache_dir / "bench_embeddings", budget=args.embed_budget
    )
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs = [bench(kind, records, catalogues, embedder, args.queries) for kind in kinds]
    report = render(runs, args.queries, args)
    print(report)
    if args.write:
        write_marked(report, "directory")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
