"""Fit the recommender on collaborations and rank new partners for organisations.

``fit`` learns only from the ``Collaborations`` it is given. It cuts them one and two years
before their last year (``CUTS``), builds the features of each earlier graph, labels each
candidate pair by whether it became a partnership after the cut, and trains two rankers: one
for organisations with a history (every feature group) and one for newcomers (activity,
profile and compared features; trained on the organisations first seen after the cut). The final
features are then computed on the whole graph. ``recommend`` ranks each query's candidates
and explains the chosen ones (``reasons``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from clusterhub.services.recommend import reasons
from clusterhub.services.recommend.collaborations import Collaborations
from clusterhub.services.recommend.evaluation import sample, temporal_split
from clusterhub.services.recommend.features import (
    GROUPS,
    Batch,
    Context,
    Profile,
    build_context,
    history_batch,
    profile_batch,
)
from clusterhub.services.recommend.ranker import Examples, Ranker, train

#: The training splits: cut this many years before the data's last year, each labelled by the
#: partnerships of the years after its cut (two cuts: twice the examples, two graph ages).
CUTS = (2, 1)
#: Queries each training split draws (each brings a few hundred candidate pairs).
TRAINING_QUERIES = 2500
#: Queries whose candidates are scored at once (bounds memory: batch x organisations floats).
BATCH = 250
NEWCOMER_GROUPS = ("activity", "profile", "compared")


@dataclass(frozen=True)
class Recommendation:
    """A suggested new partner of ``query``, its rank (1 = best), score and reasons."""

    query: str
    rank: int
    partner: str
    score: float
    reasons: tuple[reasons.Reason, ...]


@dataclass(frozen=True)
class Recommender:
    """A fitted recommender: the context of the whole graph and the two rankers."""

    context: Context
    history: Ranker
    newcomer: Ranker | None

    def recommend(
        self,
        queries: list[str],
        top: int = 10,
        profiles: dict[str, Profile] | None = None,
        among: set[str] | None = None,
    ) -> dict[str, list[Recommendation]]:
        """The ``top`` new partners of each query: by the history ranker when the query is in
        the graph, by the newcomer ranker from ``profiles`` otherwise (a query that is neither
        gets an empty list, as does a newcomer when the data had none to learn from). With
        ``among``, only those organisations are ranked (those outside the graph cannot be)."""
        index = self.context.graph.index
        nodes = None if among is None else np.array(
            sorted(index[o] for o in among if o in index), dtype=np.int64)  # fmt: skip
        known = [q for q in queries if q in index]
        fresh = [q for q in queries if q not in index and profiles and q in profiles]
        if self.newcomer is None:
            fresh = []
        found: dict[str, list[Recommendation]] = {q: [] for q in queries}
        for start in range(0, len(known), BATCH):
            chunk = known[start : start + BATCH]
            chunk_nodes = np.array([index[q] for q in chunk], dtype=np.int64)
            batch = history_batch(self.context, chunk_nodes, nodes)
            found |= self._ranked(chunk, batch, self.history, top)
        for start in range(0, len(fresh), BATCH):
            chunk = fresh[start : start + BATCH]
            batch = profile_batch(
                self.context, [profiles[q] for q in chunk] if profiles else [], nodes
            )
            found |= self._ranked(chunk, batch, cast(Ranker, self.newcomer), top)
        return found

    def _ranked(
        self, queries: list[str], batch: Batch, ranker: Ranker, top: int
    ) -> dict[str, list[Recommendation]]:
        found: dict[str, list[Recommendation]] = {q: [] for q in queries}
        if len(batch.partner) == 0:  # no candidate at all (e.g. ``among`` outside the graph)
            return found
        scores = ranker.score(batch.features)
        order = np.lexsort((batch.partner, -scores, batch.query))
        for i in order:
            query = queries[batch.query[i]]
            if len(found[query]) < top:
                why = reasons.explain(self.context, batch, int(i))
                partner = self.context.graph.orgs[batch.partner[i]]
                rank = len(found[query]) + 1
                found[query].append(Recommendation(query, rank, partner, float(scores[i]), why))
        return found


def fit(
    data: Collaborations, *, seed: int = 0, groups: tuple[str, ...] = tuple(GROUPS)
) -> Recommender:
    """Train on ``data`` alone (see the module's docstring); ``groups`` limits the rankers'
    features (the ablation)."""
    history, newcomer = [], []
    for back in CUTS:
        split = temporal_split(data, data.last_year - back, last=data.last_year)
        if split.train.rows.is_empty():
            continue
        past = build_context(split.train, seed=seed)
        queries = [q for q in sample(split.truth, TRAINING_QUERIES, seed) if q in past.graph.index]
        nodes = np.array([past.graph.index[q] for q in queries], dtype=np.int64)
        if queries:
            answers = [split.truth[q] for q in queries]
            history.append(_examples(past, _batches(past, nodes), answers))
        fresh = sample(split.newcomer_truth, TRAINING_QUERIES, seed)
        if fresh:
            batch = profile_batch(past, [split.newcomer_profiles[q] for q in fresh])
            newcomer.append(_examples(past, batch, [split.newcomer_truth[q] for q in fresh]))
    newcomer_groups = tuple(g for g in NEWCOMER_GROUPS if g in groups) or NEWCOMER_GROUPS
    return Recommender(
        build_context(data, seed=seed),
        train(Examples.joined(history), groups=groups, seed=seed),
        _newcomer_ranker(newcomer, newcomer_groups, seed),
    )


def _newcomer_ranker(examples: list[Examples], groups: tuple[str, ...], seed: int) -> Ranker | None:
    """The newcomer ranker, or none when no newcomer of the training years found a partner."""
    joined = Examples.joined(examples)
    return train(joined, groups=groups, seed=seed) if joined.labels.any() else None


def _batches(context: Context, nodes: NDArray[np.int64]) -> Batch:
    """``history_batch`` in chunks of ``BATCH`` queries, joined (query positions continue)."""
    parts = [history_batch(context, nodes[s : s + BATCH]) for s in range(0, len(nodes), BATCH)]
    return Batch(
        np.concatenate(
            [p.query + s for p, s in zip(parts, range(0, len(nodes), BATCH), strict=True)]
        ),
        np.concatenate([p.partner for p in parts]),
        np.concatenate([p.features for p in parts]),
        nodes,
        [profile for p in parts for profile in p.profiles],
    )


def _examples(context: Context, batch: Batch, answers: list[set[str]]) -> Examples:
    """The batch's pairs labelled by ``answers`` (per query, the partners it went on to have)."""
    orgs = context.graph.orgs
    labels = np.array(
        [orgs[p] in answers[q] for q, p in zip(batch.query, batch.partner, strict=True)],
        dtype=bool,
    )
    return Examples(batch.features, labels, batch.query)
