"""Search quality: nDCG@10 of keyword, semantic and hybrid directory search on hand-made queries.

``uv run python -m benchmarks.bench_search_quality [--baseline-src DIR] [--db FILE]
[--baseline-db FILE] [--label] [--write]``

The queries and how their relevance labels were made are in ``benchmarks/search_quality/``
(``queries.json``: each query with the written rules that grade a profile by its content;
``labels.json``: the grades those rules gave, per profile key). ``--label`` applies the rules
to the profiles of the database and writes ``labels.json``; the labels were made once, on a
database with the CORDIS names loaded (a name is content a user searches for, whether or not
the ranking under test can see it), and are then fixed, so both runs are judged by the same
labels. Rules look at what a profile says (name, acronym, city, country, description, keywords
and cluster names), never at any ranking.

The database is the one a first start prepares (``prepare_database``: CMP organisations, the
35,871 Horizon 2020 participants, partnerships and demo profiles), with every profile embedded
(vectors are cached on disk by text hash, so the baseline and later runs embed only new texts).
Searches are on real profiles only (``synthetic=False``: the demo profiles describe no one).

``--baseline-src DIR`` also runs the same queries with the code in ``DIR/src`` (e.g. a
``git archive`` of main before the change) in a subprocess, on a database prepared by that
code, and reports both; ``--write`` records the table in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.bench_directory import CachedEmbedder
from benchmarks.bench_mapping import machine_facts, write_section
from clusterhub.config import Settings
from clusterhub.services.bootstrap import prepare_database
from clusterhub.services.directory.backfill import embed_missing
from clusterhub.services.embeddings import load_embedder
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.search.queries import DirectoryIndex, SearchMode, SearchRequest
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation

HERE = Path(__file__).resolve().parent / "search_quality"
QUERIES = HERE / "queries.json"
LABELS = HERE / "labels.json"
MODES = (SearchMode.KEYWORD, SearchMode.SEMANTIC, SearchMode.HYBRID)
K = 10
SECTION = "search:quality"
CACHE = Path(os.environ.get("CLUSTERHUB_CACHE_DIR", Path.home() / ".cache" / "clusterhub"))


def dcg(grades: Sequence[float]) -> float:
    """Discounted cumulative gain with the exponential gain ``2^g - 1`` (Järvelin and
    Kekäläinen 2002; the form of Burges et al. 2005 that rewards the best results most)."""
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at(ranked: Sequence[str], labels: Mapping[str, int], k: int = K) -> float:
    """nDCG@k of ``ranked`` profile keys against graded ``labels`` (unlabelled = 0): the DCG of
    the first k results over that of the best possible first k; 0 when nothing is relevant."""
    ideal = dcg(sorted(labels.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([labels.get(key, 0) for key in ranked[:k]]) / ideal


# --- the database ------------------------------------------------------------------------------


def prepare(path: Path) -> Settings:
    """A SQLite database prepared as on first start at ``path``, every profile embedded (the
    server would fill the embeddings in the background); reused when it already exists."""
    settings = Settings(database_url=f"sqlite:///{path}", embed_in_background=False)
    if path.exists():
        return settings
    print(f"preparing {path} (first start) ...", flush=True)
    reference = ReferenceData(settings)
    prepare_database(settings, reference)
    catalogues = Catalogues.from_reference(reference)
    embedder = CachedEmbedder(load_embedder(), CACHE / "bench-vectors")
    factory = make_session_factory(make_engine(settings))
    while True:
        with transaction(factory) as session:
            done = embed_missing(session, catalogues=catalogues, embedder=embedder, limit=5000)  # type: ignore[arg-type]
        print(f"  embedded {done:,} more profiles", flush=True)
        if done == 0:
            return settings


# --- labels ------------------------------------------------------------------------------------


def _text(org: Organisation, clusters: Mapping[str, str]) -> str:
    lists = org.keywords + org.technologies + org.ecosystems
    names = [clusters.get(code, "") for code in org.cluster_codes]
    return " ".join([org.name, org.acronym or "", org.city or "", org.description, *lists, *names])


def _grade(org: Organisation, text: str, rules: Sequence[Mapping[str, Any]]) -> int:
    """The highest grade of the rules ``org`` meets; a rule's conditions must all hold."""
    best = 0
    fields = {"name": [org.name, org.acronym or ""], "city": [org.city or ""], "text": [text]}
    for rule in rules:
        held = all(
            any(re.search(rule[field], value, re.IGNORECASE) for value in values)
            for field, values in fields.items()
            if field in rule
        )
        if "country" in rule:
            held = held and org.country in rule["country"]
        if held:
            best = max(best, int(rule["grade"]))
    return best


def label(settings: Settings) -> dict[str, dict[str, int]]:
    """Grades of every real profile for every query, by the queries' written rules."""
    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    clusters = Catalogues.from_reference(ReferenceData(settings)).clusters
    factory = make_session_factory(make_engine(settings))
    with factory() as session:
        orgs = session.scalars(select(Organisation).where(Organisation.is_synthetic.is_(False)))
        texts = [(org, _text(org, clusters)) for org in orgs]
    labels: dict[str, dict[str, int]] = {}
    for query in queries:
        graded = {org.key: _grade(org, text, query["rules"]) for org, text in texts}
        labels[query["q"]] = dict(sorted((k, g) for k, g in graded.items() if g))
    return labels


# --- measuring ---------------------------------------------------------------------------------


def measure(settings: Settings) -> dict[str, Any]:
    """nDCG@10 per query and mode, and each mode's mean."""
    labels: dict[str, dict[str, int]] = json.loads(LABELS.read_text(encoding="utf-8"))
    embedder = load_embedder()
    index = DirectoryIndex()
    factory = make_session_factory(make_engine(settings))
    per_query: dict[str, dict[str, float]] = {}
    with factory() as session:
        for q, graded in labels.items():
            per_query[q] = {
                mode.value: ndcg_at(_ranked(session, index, embedder, q, mode), graded)
                for mode in MODES
            }
    means = {
        mode.value: sum(scores[mode.value] for scores in per_query.values()) / len(per_query)
        for mode in MODES
    }
    return {"per_query": per_query, "mean": means}


def _ranked(
    session: Session, index: DirectoryIndex, embedder: Any, q: str, mode: SearchMode
) -> list[str]:
    request = SearchRequest(q=q, mode=mode, synthetic=False, page_size=K)
    return [hit.key for hit in index.search(session, request, embedder=embedder).items]


def _baseline(source: Path, db: Path) -> dict[str, Any]:
    """The same measurement with the code in ``source/src``, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": f"{source / 'src'}{os.pathsep}{Path(__file__).parents[1]}"}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_search_quality", "--db", str(db), "--json"],
        env=env, cwd=Path(__file__).parents[1], check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def report(after: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    """The BENCHMARKS.md section: means per mode, then every query."""
    count = len(after["per_query"])
    lines = [
        f"<!-- bench_mapping:{SECTION}:start -->",
        "## Search quality: nDCG@10 on hand-made queries",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items()],
        "",
        "Method: `uv run python -m "
        "benchmarks.bench_search_quality --baseline-src <main before the change>`: "
        f"{count} queries with graded labels (0-3) made by written rules over each profile's "
        "content (`benchmarks/search_quality/`), a database prepared as on first start with "
        "every profile embedded, real profiles only, the first 10 results of each mode scored "
        "by nDCG@10 (gain 2^g - 1). *Before*: the code of main without the CORDIS names (the "
        "35,871 Horizon 2020 participants named by their PIC); *after*: this branch.",
        "",
        "| mode | before | after |",
        "|---|---:|---:|",
    ]
    for mode in MODES:
        was = f"{before['mean'][mode.value]:.3f}" if before else "–"
        lines.append(f"| {mode.value} | {was} | {after['mean'][mode.value]:.3f} |")
    lines += ["", "<details><summary>Per query (before → after)</summary>", ""]
    lines += ["| query | keyword | semantic | hybrid |", "|---|---:|---:|---:|"]
    for q, scores in after["per_query"].items():
        cells = []
        for mode in MODES:
            now = scores[mode.value]
            was = before["per_query"].get(q, {}).get(mode.value) if before else None
            cells.append(f"{was:.2f} → {now:.2f}" if was is not None else f"{now:.2f}")
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    lines += ["", "</details>", f"<!-- bench_mapping:{SECTION}:end -->"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="database file (prepared if missing)")
    parser.add_argument("--baseline-src", type=Path, help="a checkout of the code to compare")
    parser.add_argument("--baseline-db", type=Path, help="the baseline's database file")
    parser.add_argument("--label", action="store_true", help=f"(re)write {LABELS.name}")
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir())
    settings = prepare(args.db or folder / "search-quality-after.db")
    if args.label:
        labels = label(settings)
        LABELS.write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n", "utf-8")
        print(f"wrote {LABELS}: {sum(len(v) for v in labels.values()):,} graded profiles")
        return
    after = measure(settings)
    if args.json:
        print(json.dumps(after))
        return
    before = (
        _baseline(args.baseline_src, args.baseline_db or folder / "search-quality-before.db")
        if args.baseline_src
        else None
    )
    text = report(after, before)
    print(text)
    if args.write:
        write_section(text, SECTION)


if __name__ == "__main__":
    main()
