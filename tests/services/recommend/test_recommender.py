"""The recommender: scores on graphs small enough to check by hand, what is never suggested,
what it learns on a world of known structure, and that the temporal split sees no future."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.services.recommend import baselines, evaluation
from clusterhub.services.recommend.collaborations import Collaborations, from_frames
from clusterhub.services.recommend.features import Profile, build_context
from clusterhub.services.recommend.graph import build_graph, neighbourhood_scores
from clusterhub.services.recommend.recommender import Recommender, fit
from tests.services.recommend.world import community_of, world


def collaborations(projects: dict[int, tuple[int, list[str]]]) -> Collaborations:
    """Participations from ``{project: (year, members)}`` (every member a German company)."""
    rows = [
        {"project": p, "org": org, "year": year, "type": "PRC", "country": "DE"}
        for p, (year, members) in projects.items()
        for org in members
    ]
    parts = [{"project": p, "part": "LEIT"} for p in projects]
    return from_frames(pl.DataFrame(rows), pl.DataFrame(parts))


@pytest.fixture(scope="module")
def fitted() -> tuple[Collaborations, Recommender]:
    data = world().until(2019)
    return data, fit(data)


def test_neighbourhood_scores_match_a_hand_count() -> None:
    # a–b, a–c, b–d, c–d and d–e: a and d share b and c; b has 2 partners, c has 2.
    data = collaborations(
        {1: (2015, ["a", "b"]), 2: (2015, ["a", "c"]), 3: (2016, ["b", "d"]),
         4: (2016, ["c", "d"]), 5: (2016, ["d", "e"])}
    )  # fmt: skip
    graph = build_graph(data)
    a, d, e = graph.index["a"], graph.index["d"], graph.index["e"]
    common, adamic, resource = neighbourhood_scores(graph, np.array([a]))
    assert common[0, d] == 2 and common[0, e] == 0
    assert adamic[0, d] == pytest.approx(2 / math.log(2))
    assert resource[0, d] == pytest.approx(1.0)
    assert baselines.neighbourhood(build_context(data), ["a"], 3, measure="adamic_adar") == {
        "a": ["d"]
    }


def test_a_large_consortium_weighs_less_per_pair() -> None:
    data = collaborations({1: (2015, ["a", "b"]), 2: (2015, ["a", *"cdefghij"])})
    graph = build_graph(data)
    a = graph.index["a"]
    assert graph.weights[a, graph.index["b"]] == pytest.approx(1.0)
    assert graph.weights[a, graph.index["c"]] == pytest.approx(1 / 8)


def test_never_itself_nor_an_existing_partner(fitted: tuple[Collaborations, Recommender]) -> None:
    data, model = fitted
    graph = build_graph(data)
    queries = graph.orgs
    found = model.recommend(queries, 10)
    assert all(found[q] for q in queries)
    for query, recommendations in found.items():
        partners = {graph.orgs[n] for n in graph.partners[graph.index[query]].indices}
        chosen = [r.partner for r in recommendations]
        assert query not in chosen and not partners & set(chosen)
        assert len(set(chosen)) == len(chosen) <= 10
        assert [r.rank for r in recommendations] == list(range(1, len(chosen) + 1))
        scores = [r.score for r in recommendations]
        assert scores == sorted(scores, reverse=True)


def test_it_learns_the_known_structure(fitted: tuple[Collaborations, Recommender]) -> None:
    data, model = fitted
    found = model.recommend(sorted(data.organisations()), 5)
    chosen = [(q, r.partner) for q, rs in found.items() for r in rs]
    same = sum(community_of(q) == community_of(p) for q, p in chosen)
    assert same / len(chosen) >= 0.9


def test_it_beats_popularity_on_the_next_year() -> None:
    split = evaluation.temporal_split(world(), 2019, last=2020)
    queries = evaluation.sample(split.truth, 200, 0)
    model = fit(split.train)
    ours = evaluation.score(
        {q: [r.partner for r in rs] for q, rs in model.recommend(queries, 10).items()},
        split.truth,
    )
    popular = evaluation.score(
        baselines.popularity(build_context(split.train), queries, 10), split.truth
    )
    assert ours.recall > popular.recall


def test_a_newcomer_gets_partners_from_its_profile(
    fitted: tuple[Collaborations, Recommender],
) -> None:
    _, model = fitted
    found = model.recommend(["new"], 10, {"new": Profile("PRC", "FR", ("P0",))})["new"]
    assert len(found) == 10
    assert sum(community_of(r.partner) == 0 for r in found) >= 8
    assert all(r.reasons for r in found)
    assert model.recommend(["unknown"], 10) == {"unknown": []}


def test_reasons_state_the_shared_partners(fitted: tuple[Collaborations, Recommender]) -> None:
    data, model = fitted
    graph = build_graph(data)
    query = graph.orgs[0]
    mine = set(graph.partners[0].indices.tolist())
    for r in model.recommend([query], 10)[query]:
        shared = [reason for reason in r.reasons if reason.kind == "shared_partners"]
        theirs = set(graph.partners[graph.index[r.partner]].indices.tolist())
        if mine & theirs:
            assert shared and shared[0].value == len(mine & theirs)
            assert {graph.index[o] for o in shared[0].organisations} == mine & theirs
        else:
            assert not shared


def test_the_split_sees_no_future_project() -> None:
    data = world()
    split = evaluation.temporal_split(data, 2018)
    assert split.train.rows["year"].max() == 2018
    assert split.train.rows["year"].null_count() == 0
    assert set(split.train.parts["project"]) <= set(split.train.rows["project"])
    # Rewire every project after the cut: what is learned and recommended does not change.
    future = pl.col("year") > 2018
    scrambled = data.rows.with_columns(
        pl.when(future).then(pl.col("org").shuffle(seed=5)).otherwise(pl.col("org")).alias("org")
    )
    other = evaluation.temporal_split(Collaborations(scrambled, data.parts), 2018)
    queries = sorted(split.train.organisations())[:40]
    first = fit(split.train).recommend(queries, 10)
    second = fit(other.train).recommend(queries, 10)
    assert [(r.partner, r.score) for q in queries for r in first[q]] == [
        (r.partner, r.score) for q in queries for r in second[q]
    ]
    # ... while the answers it is scored on do change.
    assert split.truth != other.truth


def test_new_pairs_are_new_and_known() -> None:
    data = collaborations(
        {1: (2017, ["a", "b"]), 2: (2018, ["b", "c"]), 3: (2019, ["a", "b", "c", "z"])}
    )
    split = evaluation.temporal_split(data, 2018)
    assert split.truth == {"a": {"c"}, "c": {"a"}}
    assert split.newcomer_truth == {"z": {"a", "b", "c"}}
    assert split.newcomer_profiles["z"] == Profile("PRC", "DE", ("LEIT",))


def test_consortia_over_the_limit_are_not_scored() -> None:
    big = [f"o{i}" for i in range(61)]
    data = collaborations({1: (2018, big), 2: (2019, big[:61])})
    assert evaluation.temporal_split(data, 2018).truth == {}


def test_scores_by_hand() -> None:
    truth = {"q1": {"a", "b"}, "q2": {"c"}}
    found = evaluation.score({"q1": ["x", "a", "b"], "q2": ["y"]}, truth, k=10)
    assert found == evaluation.Scores(queries=2, hits=0.5, recall=0.5, mrr=0.25)


def test_too_little_history_is_refused_clearly() -> None:
    data = collaborations({1: (2018, ["a", "b"]), 2: (2018, ["c", "d"])})
    with pytest.raises(InvalidInput, match="nothing to learn from"):
        fit(data)
