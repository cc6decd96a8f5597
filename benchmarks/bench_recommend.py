"""Measure partner recommendations on the real Horizon 2020 graph against issue 14's targets.

Run ``uv run python -m benchmarks.bench_recommend [--queries 2000] [--seed 7] [--no-ablation]
[--write]`` (``CLUSTERHUB_DATA_MIRROR`` may point at the shared data; else ``../shared/data``
beside the checkout).

Method:

* **Data**: CORDIS ``h2020_participations.csv.gz`` and ``h2020_programme_parts.csv.gz``.
* **Split** (``evaluation.temporal_split`` at 2018): everything learnable is in the projects that
  started in or before 2018; the answers are the NEW pairs (not partners by 2018, both known by
  2018) of the projects that started from 2019, consortia of more than 60 members left out.
  Newcomers are the organisations first seen from 2019; their answers are their partners known
  by 2018, their profile their type, country and the programme parts of their projects.
* **Queries**: ``--queries`` organisations drawn (seeded) among those known by 2018 that have
  at least one answer, and as many newcomers with at least one answer.
* **clusterhub** is the command a user runs, timed as a whole in a fresh process:
  ``clusterhub recommend partners --participations TRAIN --programme-parts PARTS --queries Q
  --top 10 --out OUT``, where TRAIN and PARTS hold only the projects that started by 2018
  (so the command cannot see the answers), once for the known queries and once for the
  newcomers (a CSV of their profiles). It learns its rankers inside TRAIN (cuts 2016 and 2017).
* **Baselines**, in this process on the same training graph: popularity (most projects), common
  neighbours, Adamic-Adar; for newcomers popularity within their country and programme parts.
* **Scores** (``evaluation.score``): hits@10, recall@10 (right ones over all answers, averaged
  over queries) and MRR@10; the targets are recall@10 at least 1.2x Adamic-Adar's and newcomer
  recall at least 2x the local popularity's.
* **Ablation**: the recommender refitted in this process without one feature group at a time
  (graph, activity, profile, compared), same seed, same queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from benchmarks.bench_mapping import machine_facts, write_marked
from clusterhub.services.directory.cordis import read_flattened
from clusterhub.services.recommend import baselines, evaluation
from clusterhub.services.recommend.collaborations import Collaborations, read_collaborations
from clusterhub.services.recommend.features import GROUPS, build_context
from clusterhub.services.recommend.recommender import fit

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
CUT, TOP = 2018, 10


@dataclass(frozen=True)
class Command:
    """One timed run of the command: its wall clock and what it recommended."""

    seconds: float
    recommended: dict[str, list[str]]


def cordis_folder() -> Path:
    """The CORDIS mirror folder (``CLUSTERHUB_DATA_MIRROR`` or ``../shared/data``)."""
    mirror = os.environ.get("CLUSTERHUB_DATA_MIRROR")
    base = Path(mirror) if mirror else ROOT.parent / "shared" / "data"
    folder = base / "cordis"
    if not (folder / "h2020_participations.csv.gz").exists():
        raise SystemExit(f"no CORDIS participations in {folder}: set CLUSTERHUB_DATA_MIRROR")
    return folder


def write_training_files(folder: Path, train: Collaborations, out: Path) -> tuple[Path, Path]:
    """The CORDIS files cut to the training projects, in their own layout (text as read)."""
    kept = train.rows["project"].unique().cast(pl.Utf8)
    rows = read_flattened(folder / "h2020_participations.csv.gz").drop("_line")
    parts = read_flattened(folder / "h2020_programme_parts.csv.gz").drop("_line")
    participations, programme_parts = out / "train_participations.csv", out / "train_parts.csv"
    rows.filter(pl.col("rcn").is_in(kept.implode())).write_csv(participations)
    parts.filter(pl.col("rcn").is_in(kept.implode())).write_csv(programme_parts)
    return participations, programme_parts


def run_command(files: tuple[Path, Path], queries: Path, out: Path) -> Command:
    """``clusterhub recommend partners`` in a fresh process, wall clock, its CSV read back."""
    script = shutil.which("clusterhub", path=str(Path(sys.executable).parent)) or "clusterhub"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        script, "recommend", "partners", "--participations", str(files[0]),
        "--programme-parts", str(files[1]), "--queries", str(queries),
        "--top", str(TOP), "--out", str(out),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True)
    seconds = time.perf_counter() - started
    table = pl.read_csv(out, schema_overrides={"query": pl.Utf8, "partner": pl.Utf8})
    recommended: dict[str, list[str]] = {}
    for row in table.sort("query", "rank").iter_rows(named=True):
        recommended.setdefault(row["query"], []).append(row["partner"])
    print(f"command: {seconds:.1f} s, {table.height:,} rows", flush=True)
    return Command(seconds, recommended)


def _with_empty(recommended: dict[str, list[str]], queries: list[str]) -> dict[str, list[str]]:
    """Every query scored, an unanswered one as an empty list."""
    return {q: recommended.get(q, []) for q in queries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    folder = cordis_folder()
    data = read_collaborations(
        folder / "h2020_participations.csv.gz", folder / "h2020_programme_parts.csv.gz"
    )
    split = evaluation.temporal_split(data, CUT)
    queries = evaluation.sample(split.truth, args.queries, args.seed)
    newcomers = evaluation.sample(split.newcomer_truth, args.queries, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-recommend-") as name:
        work = Path(name)
        files = write_training_files(folder, split.train, work)
        (work / "queries.txt").write_text("\n".join(queries) + "\n", encoding="utf-8")
        profiles = pl.DataFrame(
            [
                {"query": q, "type": p.type, "country": p.country,
                 "programme_parts": "|".join(p.parts)}
                for q in newcomers for p in [split.newcomer_profiles[q]]
            ]
        )  # fmt: skip
        profiles.write_csv(work / "newcomers.csv")
        known = run_command(files, work / "queries.txt", work / "known.csv")
        fresh = run_command(files, work / "newcomers.csv", work / "fresh.csv")
    context = build_context(split.train)
    rows = {
        "popularity": baselines.popularity(context, queries, TOP),
        "common neighbours": baselines.neighbourhood(context, queries, TOP, measure="common"),
        "Adamic-Adar": baselines.neighbourhood(context, queries, TOP, measure="adamic_adar"),
        "clusterhub": _with_empty(known.recommended, queries),
    }
    scores = {name: evaluation.score(found, split.truth) for name, found in rows.items()}
    local = baselines.local_popularity(
        context, {q: split.newcomer_profiles[q] for q in newcomers}, TOP
    )
    newcomer_scores = {
        "popularity within country and programme": evaluation.score(local, split.newcomer_truth),
        "clusterhub (profile only)": evaluation.score(
            _with_empty(fresh.recommended, newcomers), split.newcomer_truth
        ),
    }
    ablation = {} if args.no_ablation else _ablation(split, queries, newcomers, args.seed)
    text = render(
        split, scores=scores, newcomer_scores=newcomer_scores, ablation=ablation,
        known=known, fresh=fresh, args=args,
    )  # fmt: skip
    print(text)
    if args.write:
        write_marked(text, "recommend")
    return 0


def _ablation(
    split: evaluation.Split, queries: list[str], newcomers: list[str], seed: int
) -> dict[str, tuple[evaluation.Scores, evaluation.Scores]]:
    """Recall without each feature group (and with all, in this process, as the reference)."""
    found = {}
    profiles = {q: split.newcomer_profiles[q] for q in newcomers}
    for dropped in ("", *GROUPS):
        groups = tuple(g for g in GROUPS if g != dropped)
        model = fit(split.train, seed=0, groups=groups)
        known = model.recommend(queries, TOP)
        fresh = model.recommend(newcomers, TOP, profiles)
        found[dropped or "none (all groups)"] = (
            evaluation.score({q: [r.partner for r in known[q]] for q in queries}, split.truth),
            evaluation.score(
                {q: [r.partner for r in fresh[q]] for q in newcomers}, split.newcomer_truth
            ),
        )
        print(f"ablation without {dropped or '-'}: {found[dropped or 'none (all groups)']}")
    return found


def _table(scores: dict[str, evaluation.Scores], reference: str) -> list[str]:
    lines = [
        "| method | queries | hits@10 | recall@10 | MRR@10 | recall vs " + reference + " |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    base = scores[reference].recall
    for name, s in scores.items():
        lines.append(
            f"| {name} | {s.queries:,} | {s.hits:.3f} | {s.recall:.4f} | {s.mrr:.3f} | "
            f"{evaluation.ratio(s.recall, base):.2f}x |"
        )
    return lines


def render(
    split: evaluation.Split,
    *,
    scores: dict[str, evaluation.Scores],
    newcomer_scores: dict[str, evaluation.Scores],
    ablation: dict[str, tuple[evaluation.Scores, evaluation.Scores]],
    known: Command,
    fresh: Command,
    args: argparse.Namespace,
) -> str:
    """The BENCHMARKS.md section."""
    ours = scores["clusterhub"].recall / scores["Adamic-Adar"].recall
    names = list(newcomer_scores)
    theirs = newcomer_scores[names[1]].recall / max(newcomer_scores[names[0]].recall, 1e-12)
    lines = [
        "## Partner recommendations: Horizon 2020, learn by 2018, score on new pairs from 2019",
        "",
        f"Measured {dt.date.today().isoformat()} with `uv run python -m benchmarks."
        f"bench_recommend --queries {args.queries} --seed {args.seed} --write`; method in the "
        "script's docstring.",
        "",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items() if k != "engine measured"],
        f"- **load average** (1, 5, 15 min) when written: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        f"- **split**: {split.train.rows['project'].n_unique():,} projects by {split.cut}; "
        f"{len(split.truth):,} known organisations and {len(split.newcomer_truth):,} newcomers "
        "have at least one answer",
        "",
        "Organisations known by 2018 (the command, "
        f"{known.seconds:.1f} s for {scores['clusterhub'].queries:,} queries, learning included):",
        "",
        *_table(scores, "Adamic-Adar"),
        "",
        f"Target recall@10 ≥ 1.2x Adamic-Adar: **{ours:.2f}x, "
        f"{'met' if ours >= 1.2 else 'not met'}**.",
        "",
        f"Newcomers, profile only (the command, {fresh.seconds:.1f} s):",
        "",
        *_table(newcomer_scores, names[0]),
        "",
        f"Target newcomer recall ≥ 2x local popularity: **{theirs:.2f}x, "
        f"{'met' if theirs >= 2 else 'not met'}**.",
        "",
    ]
    if ablation:
        lines += [
            "Ablation (refitted in-process without one feature group; same seed and queries):",
            "",
            "| without | recall@10 (known) | MRR@10 (known) | recall@10 (newcomers) |",
            "|---|---:|---:|---:|",
            *[
                f"| {name} | {k.recall:.4f} | {k.mrr:.3f} | {n.recall:.4f} |"
                for name, (k, n) in ablation.items()
            ],
            "",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
