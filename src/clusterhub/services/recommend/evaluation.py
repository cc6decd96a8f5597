"""The temporal evaluation: learn from the past, score on the partnerships that came next.

``temporal_split`` cuts the data at a year: everything learnable is in ``train`` (projects that
started in or before the cut); the answers are the NEW pairs of the projects that started
after it (pairs that had not worked together by the cut, both known by the cut), leaving out
consortia of more than ``max_members`` (a 150-partner coordination action is not a partner
choice). Newcomers are the organisations first seen after the cut; their answers are their
partners known by the cut, and their profile is their type, country and the programme parts of
the projects they joined. The ranker's own training repeats the same split inside ``train``
(``recommender.fit``), so nothing after the cut reaches a model that is scored on it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from clusterhub.services.recommend.collaborations import Collaborations
from clusterhub.services.recommend.features import Profile

#: Consortia larger than this are not partner choices and are not scored.
MAX_MEMBERS = 60


@dataclass(frozen=True)
class Split:
    """What a recommender may learn from, and the pairs it is scored on."""

    cut: int
    train: Collaborations
    truth: dict[str, set[str]]
    newcomer_truth: dict[str, set[str]]
    newcomer_profiles: dict[str, Profile]


@dataclass(frozen=True)
class Scores:
    """Mean over queries of hits@k (at least one right), recall@k and MRR@k."""

    queries: int
    hits: float
    recall: float
    mrr: float


def temporal_split(
    data: Collaborations, cut: int, *, max_members: int = MAX_MEMBERS, last: int | None = None
) -> Split:
    """The split at ``cut`` (answers from projects starting from ``cut + 1`` to ``last``)."""
    train = data.until(cut)
    later = data.during(cut + 1, last if last is not None else 9999)
    sizes = later.rows.group_by("project").len()
    later_rows = later.rows.join(sizes.filter(pl.col("len") <= max_members), on="project")
    known = train.organisations()
    before = _pairs(train.rows)
    truth: dict[str, set[str]] = defaultdict(set)
    fresh: dict[str, set[str]] = defaultdict(set)
    for members in later_rows.group_by("project").agg("org")["org"].to_list():
        for a in members:
            for b in members:
                if a == b:
                    continue
                if a in known and b in known and (a, b) not in before:
                    truth[a].add(b)
                elif a not in known and b in known:
                    fresh[a].add(b)
    return Split(cut, train, dict(truth), dict(fresh), _newcomer_profiles(later, set(fresh)))


def _pairs(rows: pl.DataFrame) -> set[tuple[str, str]]:
    """Every ordered pair of organisations that share a project."""
    pairs = rows.select("project", "org").join(rows.select("project", "org"), on="project")
    pairs = pairs.filter(pl.col("org") != pl.col("org_right"))
    return set(zip(pairs["org"].to_list(), pairs["org_right"].to_list(), strict=True))


def _newcomer_profiles(later: Collaborations, newcomers: set[str]) -> dict[str, Profile]:
    rows = later.rows.filter(pl.col("org").is_in(list(newcomers)))
    parts = rows.join(later.parts, on="project", how="left")
    found = parts.group_by("org").agg(
        pl.col("type").mode().sort().first(),
        pl.col("country").mode().sort().first(),
        pl.col("part").drop_nulls().unique().sort(),
    )
    return {
        row["org"]: Profile(row["type"], row["country"], tuple(row["part"]))
        for row in found.iter_rows(named=True)
    }


def sample(queries: dict[str, set[str]], n: int, seed: int) -> list[str]:
    """``n`` query organisations drawn without replacement (all if fewer), reproducibly."""
    ordered = sorted(q for q, answers in queries.items() if answers)
    return sorted(random.Random(seed).sample(ordered, min(n, len(ordered))))


def score(recommended: dict[str, list[str]], truth: dict[str, set[str]], k: int = 10) -> Scores:
    """hits@k, recall@k (right ones over all answers) and MRR@k over the queries of
    ``recommended``; a query with no list scores zero."""
    hits = recall = reciprocal = 0.0
    for query in recommended:
        answers = truth.get(query, set())
        ranked = recommended[query][:k]
        right = [i for i, partner in enumerate(ranked) if partner in answers]
        hits += bool(right)
        recall += len(right) / len(answers) if answers else 0.0
        reciprocal += 1.0 / (right[0] + 1) if right else 0.0
    n = max(len(recommended), 1)
    return Scores(len(recommended), hits / n, recall / n, reciprocal / n)


def ratio(ours: float, theirs: float) -> float:
    """``ours / theirs`` (infinite when the baseline scores zero and ours does not)."""
    if theirs == 0:
        return math.inf if ours > 0 else 1.0
    return ours / theirs
