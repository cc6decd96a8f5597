"""The learned ranker: gradient-boosted trees that turn a pair's features into a score.

scikit-learn's ``HistGradientBoostingClassifier`` (decision 0009): pointwise, trained on
(query, candidate) pairs labelled by whether they became partners in the following years,
with the organisation types as categorical features. It is small (a few hundred shallow
trees), needs no GPU or compiled extra, and is reproducible from its seed. Only the columns of
the chosen feature groups are used, which is how the ablation measures what each group adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clusterhub.errors import InvalidInput
from clusterhub.services.recommend.features import CATEGORICAL, FEATURES, GROUPS

#: Boosting settings (chosen on the 2016 → 2017-2018 split inside the training data).
SETTINGS: dict[str, Any] = {
    "max_iter": 200,
    "learning_rate": 0.08,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}
#: Negatives kept per query in training (all positives are kept).
NEGATIVES_PER_QUERY = 120


@dataclass(frozen=True)
class Ranker:
    """A fitted model and the feature columns it reads."""

    model: Any
    columns: tuple[int, ...]

    def score(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """The model's probability that each pair becomes a partnership."""
        if len(features) == 0:
            return np.zeros(0)
        proba: NDArray[np.float64] = self.model.predict_proba(features[:, self.columns])[:, 1]
        return proba


def columns_of(groups: tuple[str, ...]) -> tuple[int, ...]:
    """Indices in ``FEATURES`` of the features of ``groups``."""
    return tuple(FEATURES.index(f) for g in groups for f in GROUPS[g])


@dataclass(frozen=True)
class Examples:
    """Labelled pairs: features, whether the pair became a partnership, and which query each
    belongs to (training draws negatives and weighs pairs per query)."""

    features: NDArray[np.float64]
    labels: NDArray[np.bool_]
    query: NDArray[np.int64]

    @staticmethod
    def joined(parts: list[Examples]) -> Examples:
        """Several sets as one (query numbers kept apart; none: an empty set)."""
        if not parts:
            return Examples(
                np.zeros((0, len(FEATURES))), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
            )
        offsets = np.cumsum([0] + [int(p.query.max()) + 1 if len(p.query) else 0 for p in parts])
        return Examples(
            np.concatenate([p.features for p in parts]),
            np.concatenate([p.labels for p in parts]),
            np.concatenate([p.query + offsets[i] for i, p in enumerate(parts)]),
        )


def train(examples: Examples, *, groups: tuple[str, ...], seed: int) -> Ranker:
    """Fit on labelled pairs. Every positive is kept with ``NEGATIVES_PER_QUERY`` random
    negatives of the same query, and each pair is weighted by one over its query's positives,
    so that every query counts alike, as in the recall the recommender is judged by. A model
    with no positive to learn from is refused."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: PLC0415 (heavy)

    labels, query = examples.labels, examples.query
    if not labels.any():
        raise InvalidInput.single(
            "nothing to learn from: no candidate pair became a partnership in the last years of "
            "the participations (the data needs new partnerships in the two years before its "
            "last start year, between organisations known before them)"
        )
    keep = _thinned(labels, query, np.random.default_rng(seed))
    positives = np.bincount(query, weights=labels.astype(np.float64))
    weight = 1.0 / np.maximum(positives[query], 1.0)
    columns = columns_of(groups)
    categorical = [i for i, c in enumerate(columns) if FEATURES[c] in CATEGORICAL]
    model = HistGradientBoostingClassifier(
        **SETTINGS,
        categorical_features=categorical or None,
        early_stopping=False,
        random_state=seed,
    )
    model.fit(examples.features[keep][:, columns], labels[keep], sample_weight=weight[keep])
    return Ranker(model, columns)


def _thinned(
    labels: NDArray[np.bool_], query: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.bool_]:
    """Every positive and at most ``NEGATIVES_PER_QUERY`` random negatives of each query."""
    shuffled = rng.permutation(len(labels))
    negative = shuffled[~labels[shuffled]]
    order = np.argsort(query[negative], kind="stable")
    grouped = negative[order]
    starts = np.searchsorted(query[grouped], query[grouped], side="left")
    rank_in_query = np.arange(len(grouped)) - starts
    keep = labels.copy()
    keep[grouped[rank_in_query < NEGATIVES_PER_QUERY]] = True
    return keep
