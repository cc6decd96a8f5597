"""The nDCG@10 of the search-quality benchmark, checked by hand on tiny rankings."""

from __future__ import annotations

import json
import math

from benchmarks.bench_search_quality import LABELS, QUERIES, dcg, ndcg_at


def test_ndcg_by_hand() -> None:
    labels = {"a": 3, "b": 1}
    # best order: a then b
    ideal = 7 / math.log2(2) + 1 / math.log2(3)
    assert dcg([3, 1]) == ideal
    assert ndcg_at(["a", "b", "x"], labels) == 1.0
    assert math.isclose(ndcg_at(["x", "b", "a"], labels), (1 / math.log2(3) + 7 / 2) / ideal)
    assert ndcg_at(["x", "y"], labels) == 0.0
    assert ndcg_at(["a"], {}) == 0.0  # nothing relevant: no credit, no division by zero
    # only the first k count
    assert ndcg_at(["x", "a"], labels, k=1) == 0.0


def test_every_query_has_labels_and_relevant_profiles() -> None:
    queries = [q["q"] for q in json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]]
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    assert list(labels) == queries and len(queries) >= 30
    assert all(3 in graded.values() for graded in labels.values())
