"""The baselines clusterhub's recommender is measured against, in the same run.

* **popularity**: the organisations with the most projects;
* **common neighbours** and **Adamic-Adar**: the classic link predictors (``graph``), ties
  broken by popularity;
* for newcomers, **popularity within country and programme**: the organisations with the most
  projects in the newcomer's programme parts and country, then (when a small country has fewer
  than ``k``) in its programme parts anywhere.

None of them recommends the query itself or an existing partner.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from clusterhub.services.recommend.features import Context, Profile
from clusterhub.services.recommend.graph import neighbourhood_scores


def popularity(context: Context, queries: list[str], k: int) -> dict[str, list[str]]:
    """The ``k`` organisations with most projects that are not yet the query's partners."""
    graph = context.graph
    order = np.lexsort((np.arange(graph.size), -graph.projects))
    found = {}
    for query in queries:
        node = graph.index[query]
        known = set(graph.partners[node].indices.tolist()) | {node}
        found[query] = [graph.orgs[n] for n in order[: k + len(known)] if n not in known][:k]
    return found


def neighbourhood(
    context: Context, queries: list[str], k: int, *, measure: str
) -> dict[str, list[str]]:
    """The ``k`` best two-step neighbours by ``measure`` (``common`` or ``adamic_adar``)."""
    graph = context.graph
    nodes = np.array([graph.index[q] for q in queries], dtype=np.int64)
    common, adamic, _ = neighbourhood_scores(graph, nodes)
    scores = common if measure == "common" else adamic
    found = {}
    for row, query in enumerate(queries):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        candidates, values = scores.indices[start:end], scores.data[start:end]
        known = set(graph.partners[nodes[row]].indices.tolist()) | {int(nodes[row])}
        ranked = candidates[np.lexsort((candidates, -graph.projects[candidates], -values))]
        found[query] = [graph.orgs[n] for n in ranked if n not in known][:k]
    return found


def local_popularity(
    context: Context, profiles: dict[str, Profile], k: int
) -> dict[str, list[str]]:
    """For newcomers: the most active in their programme parts and country, then in their
    programme parts anywhere."""
    graph = context.graph
    in_parts = {p: i for i, p in enumerate(context.parts)}
    found = {}
    for query, profile in profiles.items():
        columns = [in_parts[p] for p in profile.parts if p in in_parts]
        share = context.part_shares[:, columns].sum(axis=1) if columns else np.ones(graph.size)
        activity = graph.projects * share
        home = context.country_of == _country(context, profile.country)
        ranked: NDArray[np.int64] = np.lexsort((np.arange(graph.size), -activity, ~home))
        ranked = ranked[activity[ranked] > 0]
        found[query] = [graph.orgs[n] for n in ranked[:k]]
    return found


def _country(context: Context, country: str) -> int:
    return context.countries.index(country) if country in context.countries else -1
