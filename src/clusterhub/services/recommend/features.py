"""Candidates for each query organisation and the features the ranker scores them by.

For a query with a collaboration history the candidates are the union of its two-step
neighbours with the highest Adamic-Adar score, its nearest organisations in the spectral
embedding and the most active organisations of its programme parts; a newcomer (no history,
only a ``Profile``) gets the most active organisations of its programme parts, from its own
country and from any. Itself and its existing partners are never candidates.

Every (query, candidate) pair is described by the columns of ``FEATURES``, in four groups the
ablation switches off one at a time: ``graph`` (needs a history), ``activity`` (what the
candidate has done), ``profile`` (type, country and programme parts of both sides) and
``compared`` (a feature's rank and share of the best among the query's candidates).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import sparse

from clusterhub.services.recommend.collaborations import Collaborations
from clusterhub.services.recommend.graph import (
    Graph,
    build_graph,
    neighbourhood_scores,
    spectral_embedding,
)

#: Feature columns by group (the ranker sees them in this order).
_BASE: dict[str, tuple[str, ...]] = {
    "graph": (
        "common", "adamic_adar", "resource", "weighted_resource", "decayed_paths",
        "recent_common", "spectral",
        "query_partners", "query_projects", "query_new_partners", "country_share", "type_share",
    ),
    "activity": ("partner_partners", "partner_projects", "partner_recent", "partner_new_partners"),
    "profile": ("query_type", "partner_type", "same_country", "country_affinity", "part_overlap"),
}  # fmt: skip
#: Features also given relative to the query's other candidates (rank, and share of the best):
#: a pointwise model cannot otherwise tell "the best of this query's candidates" from "high".
COMPARED = (
    "common", "adamic_adar", "weighted_resource", "decayed_paths", "recent_common", "spectral",
    "partner_projects", "partner_new_partners",
)  # fmt: skip
#: Feature columns by group; the ablation drops one group at a time.
GROUPS: dict[str, tuple[str, ...]] = _BASE | {
    "compared": tuple(f"{f}_{how}" for f in COMPARED for how in ("rank", "of_best"))
}
FEATURES: tuple[str, ...] = tuple(f for group in GROUPS.values() for f in group)
#: Columns holding an organisation type code (categorical for the ranker).
CATEGORICAL = ("query_type", "partner_type")
TYPES = ("HES", "OTH", "PRC", "PUB", "REC")
#: Candidates per source: two-step neighbours, embedding neighbours, active in the parts.
NEIGHBOURS, NEAREST, ACTIVE = 150, 100, 150
#: Years counted as "recent" activity, up to the last year of the data.
RECENT_YEARS = 2
#: Years after which a project's weight in the decayed graph has halved.
HALF_LIFE = 1.0


@dataclass(frozen=True)
class Profile:
    """What is known of an organisation without a collaboration history (``inferred``: its
    programme parts are guessed from its profile, not taken from projects)."""

    type: str
    country: str
    parts: tuple[str, ...] = ()
    inferred: bool = False


@dataclass(frozen=True)
class Context:
    """Everything computed once per graph that the features of every pair read."""

    graph: Graph
    embedding: NDArray[np.float32]
    parts: tuple[str, ...]
    part_shares: NDArray[np.float64]  # orgs x parts, rows sum to 1 (0 without parts)
    types: NDArray[np.int64]
    countries: tuple[str, ...]
    country_of: NDArray[np.int64]
    affinity: NDArray[np.float64]  # countries x countries, log observed/expected pairs
    recent: NDArray[np.float64]
    recent_partners: sparse.csr_matrix  # partners in the projects of the recent years
    decayed: Graph  # the graph with older projects weighing less (HALF_LIFE)
    new_partners: NDArray[np.float64]  # partners first met in the recent years
    country_shares: sparse.csr_matrix  # orgs x countries: share of each one's partners
    type_shares: NDArray[np.float64]  # orgs x types: share of each one's partners
    active_in_part: dict[str, NDArray[np.int64]] = field(default_factory=dict)

    def profile(self, node: int) -> Profile:
        """The profile the data implies for a node (its parts: those it mostly works in)."""
        shares = self.part_shares[node]
        parts = tuple(
            self.parts[i] for i in np.flatnonzero(shares >= shares.max() / 2) if shares[i]
        )
        return Profile(TYPES[self.types[node]], self.countries[self.country_of[node]], parts)


def build_context(data: Collaborations, seed: int = 0) -> Context:
    """The graph of ``data`` with every per-organisation table the features need."""
    graph = build_graph(data)
    attributes = (
        data.rows.group_by("org")
        .agg(pl.col("type").mode().sort().first(), pl.col("country").mode().sort().first())
        .with_columns(pl.col("org").replace_strict(graph.index, return_dtype=pl.Int64))
        .sort("org")
    )
    types = np.array([TYPES.index(t) if t in TYPES else 1 for t in attributes["type"]])
    countries = tuple(sorted(set(attributes["country"].to_list())))
    country_of = np.array([countries.index(c) for c in attributes["country"]])
    parts, part_shares = _part_shares(data, graph)
    recent = _recent_projects(data, graph)
    first_recent = data.last_year - RECENT_YEARS + 1
    recent_graph = build_graph(data.during(first_recent, data.last_year), graph.orgs)
    older = build_graph(data.until(first_recent - 1), graph.orgs)
    new_links = recent_graph.partners - recent_graph.partners.multiply(older.partners)
    context = Context(
        graph=graph,
        embedding=spectral_embedding(graph, seed=seed),
        parts=parts,
        part_shares=part_shares,
        types=types,
        countries=countries,
        country_of=country_of,
        affinity=_country_affinity(graph, country_of, len(countries)),
        recent=recent,
        recent_partners=recent_graph.partners,
        decayed=build_graph(data, graph.orgs, half_life=HALF_LIFE),
        new_partners=np.asarray(new_links.sum(axis=1)).ravel(),
        country_shares=_shares_of(graph, country_of, len(countries)).tocsr(),
        type_shares=np.asarray(_shares_of(graph, types, len(TYPES)).todense()),
    )
    activity = graph.projects + 2.0 * recent
    for i, part in enumerate(parts):
        in_part = np.flatnonzero(part_shares[:, i] > 0)
        order = np.argsort(-activity[in_part] * part_shares[in_part, i], kind="stable")
        context.active_in_part[part] = in_part[order]
    return context


def _part_shares(data: Collaborations, graph: Graph) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    parts = tuple(sorted(set(data.parts["part"].to_list())))
    counts = np.zeros((graph.size, len(parts)))
    if parts:
        joined = data.rows.select("project", "org").join(data.parts, on="project")
        nodes = joined["org"].replace_strict(graph.index, return_dtype=pl.Int64).to_numpy()
        columns = joined["part"].replace_strict({p: i for i, p in enumerate(parts)}).to_numpy()
        np.add.at(counts, (nodes, columns.astype(np.int64)), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    return parts, np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def _recent_projects(data: Collaborations, graph: Graph) -> NDArray[np.float64]:
    recent = data.rows.filter(pl.col("year") > data.last_year - RECENT_YEARS)
    nodes = recent["org"].replace_strict(graph.index, return_dtype=pl.Int64).to_numpy()
    return np.bincount(nodes, minlength=graph.size).astype(np.float64)


def _membership(codes: NDArray[np.int64], n: int) -> sparse.csr_matrix:
    """The 0/1 matrix of which code (column) each organisation (row) has."""
    size = len(codes)
    return sparse.csr_matrix((np.ones(size), (np.arange(size), codes)), shape=(size, n))


def _shares_of(graph: Graph, codes: NDArray[np.int64], n: int) -> sparse.csr_matrix:
    """Per organisation, the share of its partners with each code (country or type)."""
    counts = (graph.partners @ _membership(codes, n)).tocsr()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    return (sparse.diags(np.where(totals > 0, 1.0 / np.maximum(totals, 1), 0.0)) @ counts).tocsr()


def _country_affinity(graph: Graph, country_of: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    """``log((observed + 1) / (expected + 1))`` of the weighted links between two countries,
    expected from each country's share of all link ends (positive: they work together more
    than their sizes predict)."""
    member = _membership(country_of, n)
    observed = np.asarray((member.T @ graph.weights @ member).todense())
    ends = observed.sum(axis=1)
    expected = np.outer(ends, ends) / max(ends.sum(), 1e-12)
    affinity: NDArray[np.float64] = np.log((observed + 1.0) / (expected + 1.0))
    return affinity


@dataclass
class Batch:
    """Candidate pairs of a batch of queries: ``query[i]`` (position in the batch) and
    ``partner[i]`` (node), with their feature matrix (columns of ``FEATURES``); per query its
    node (-1 for a newcomer) and profile."""

    query: NDArray[np.int64]
    partner: NDArray[np.int64]
    features: NDArray[np.float64]
    nodes: NDArray[np.int64]
    profiles: list[Profile]


def history_batch(
    context: Context, nodes: NDArray[np.int64], among: NDArray[np.int64] | None = None
) -> Batch:
    """Candidates and features for queries that are nodes of the graph (the candidates:
    ``among`` when given, e.g. the participants of an event, less each query's partners)."""
    common, adamic, resource = neighbourhood_scores(context.graph, nodes)
    similarity = context.embedding[nodes] @ context.embedding.T
    known = context.graph.rows(nodes)
    pairs_q, pairs_c = [], []
    for row, node in enumerate(nodes):
        excluded = set(known.indices[known.indptr[row] : known.indptr[row + 1]].tolist())
        excluded.add(int(node))
        if among is not None:
            chosen = np.array([c for c in among.tolist() if c not in excluded], dtype=np.int64)
            pairs_q.append(np.full(len(chosen), row))
            pairs_c.append(chosen)
            continue
        found = [
            _top(adamic.indices[adamic.indptr[row] : adamic.indptr[row + 1]],
                 adamic.data[adamic.indptr[row] : adamic.indptr[row + 1]], NEIGHBOURS, excluded),
            _top(np.arange(context.graph.size), similarity[row], NEAREST, excluded),
            _active(context, context.profile(int(node)), excluded),
        ]  # fmt: skip
        chosen = np.unique(np.concatenate(found))
        pairs_q.append(np.full(len(chosen), row))
        pairs_c.append(chosen)
    query, partner = np.concatenate(pairs_q), np.concatenate(pairs_c)
    graph = context.graph
    strength = degree_of(graph.weights)
    weighted = (
        graph.weights[nodes] @ sparse.diags(1.0 / np.maximum(strength, 1e-12)) @ graph.weights
    )
    recent_common = context.recent_partners[nodes] @ context.recent_partners
    decayed = context.decayed.weights
    decayed_paths = (
        decayed[nodes] @ sparse.diags(1.0 / np.maximum(degree_of(decayed), 1e-12)) @ decayed
    )
    at = nodes[query]
    graph_columns = dict(zip(_BASE["graph"], [
        _lookup(common, query, partner), _lookup(adamic, query, partner),
        _lookup(resource, query, partner), _lookup(weighted.tocsr(), query, partner),
        _lookup(decayed_paths.tocsr(), query, partner),
        _lookup(recent_common.tocsr(), query, partner),
        similarity[query, partner],
        graph.degree[at], graph.projects[at], context.new_partners[at],
        _lookup(context.country_shares, at, context.country_of[partner]),
        context.type_shares[at, context.types[partner]],
    ], strict=True))  # fmt: skip
    profiles = [context.profile(int(n)) for n in nodes]
    features = _assemble(context, graph_columns, profiles, query, partner)
    return Batch(query, partner, features, nodes, profiles)


def profile_batch(
    context: Context, profiles: list[Profile], among: NDArray[np.int64] | None = None
) -> Batch:
    """Candidates and features for newcomers known only by their profile (``among``: the
    candidates, when given)."""
    pairs_q, pairs_c = [], []
    for row, profile in enumerate(profiles):
        chosen = among if among is not None else _active(context, profile, set(), local=True)
        pairs_q.append(np.full(len(chosen), row))
        pairs_c.append(chosen)
    query, partner = np.concatenate(pairs_q), np.concatenate(pairs_c)
    graph_columns = {name: np.zeros(len(query)) for name in _BASE["graph"]}
    features = _assemble(context, graph_columns, profiles, query, partner)
    return Batch(query, partner, features, np.full(len(profiles), -1), profiles)


def _assemble(
    context: Context,
    graph_columns: dict[str, NDArray[np.float64]],
    profiles: list[Profile],
    query: NDArray[np.int64],
    partner: NDArray[np.int64],
) -> NDArray[np.float64]:
    graph = context.graph
    query_type = np.array([TYPES.index(p.type) if p.type in TYPES else 1 for p in profiles])
    query_country = np.array([_country(context, p.country) for p in profiles])
    query_shares = np.array([_shares(context, p.parts) for p in profiles])
    partner_country = context.country_of[partner]
    own = query_country[query]
    affinity = np.where(own >= 0, context.affinity[np.maximum(own, 0), partner_country], 0.0)
    overlap = np.einsum("ij,ij->i", query_shares[query], context.part_shares[partner])
    columns = graph_columns | dict(zip(_BASE["activity"] + _BASE["profile"], [
        graph.degree[partner], graph.projects[partner], context.recent[partner],
        context.new_partners[partner], query_type[query], context.types[partner],
        (own == partner_country).astype(float), affinity, overlap,
    ], strict=True))  # fmt: skip
    for name in COMPARED:
        columns[f"{name}_rank"], columns[f"{name}_of_best"] = _compared(columns[name], query)
    return np.column_stack([columns[name] for name in FEATURES]).astype(np.float64)


def _compared(
    value: NDArray[np.float64], query: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A feature's rank among the query's candidates (0 = highest; ties share the lowest)
    and its ratio to the query's highest value."""
    best = np.zeros(int(query.max()) + 1 if len(query) else 0)
    np.maximum.at(best, query, value)
    order = np.lexsort((-value, query))
    ranked_query, ranked_value = query[order], value[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (ranked_query[1:] != ranked_query[:-1]) | (ranked_value[1:] != ranked_value[:-1])
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank = np.empty(len(value))
    rank[order] = run_start - np.searchsorted(ranked_query, ranked_query)
    ratio = np.divide(value, best[query], out=np.zeros_like(value), where=best[query] > 0)
    return rank, ratio


def _shares(context: Context, parts: tuple[str, ...]) -> NDArray[np.float64]:
    shares = np.array([1.0 if p in parts else 0.0 for p in context.parts])
    return shares / shares.sum() if shares.sum() else shares


def _country(context: Context, country: str) -> int:
    return context.countries.index(country) if country in context.countries else -1


def _active(
    context: Context, profile: Profile, excluded: set[int], *, local: bool = False
) -> NDArray[np.int64]:
    """The most active organisations of the profile's programme parts (with ``local``, also
    the most active of its own country among them), minus ``excluded``."""
    found: list[NDArray[np.int64]] = []
    for part in profile.parts:
        ranked = context.active_in_part.get(part, np.zeros(0, dtype=np.int64))
        found.append(_first(ranked, ACTIVE, excluded))
        if local:
            home = ranked[context.country_of[ranked] == _country(context, profile.country)]
            found.append(_first(home, ACTIVE // 3, excluded))
    return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _first(ranked: NDArray[np.int64], n: int, excluded: set[int]) -> NDArray[np.int64]:
    kept = [int(x) for x in ranked[: n + len(excluded)] if int(x) not in excluded]
    return np.array(kept[:n], dtype=np.int64)


def _top(
    nodes: NDArray[np.int64], scores: NDArray[np.float64], n: int, excluded: set[int]
) -> NDArray[np.int64]:
    """The ``n`` best-scored ``nodes`` not in ``excluded`` (ties by node, for repeatability)."""
    if len(nodes) == 0:
        return np.zeros(0, dtype=np.int64)
    take = min(len(nodes), n + len(excluded))
    best = np.argpartition(-scores, take - 1)[:take] if take < len(nodes) else np.arange(len(nodes))
    best = best[np.lexsort((nodes[best], -scores[best]))]
    return _first(nodes[best], n, excluded)


def degree_of(weights: sparse.csr_matrix) -> NDArray[np.float64]:
    """Row sums of a weight matrix (a node's strength)."""
    return np.asarray(weights.sum(axis=1)).ravel()


def _lookup(
    matrix: sparse.csr_matrix, rows: NDArray[np.int64], columns: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``matrix[rows[i], columns[i]]`` for every i, read from the dense rows asked for: scipy's
    own fancy indexing searches the sparse rows value by value, ten times slower on a batch's
    products (250 rows of tens of thousands of values each)."""
    wanted, at = np.unique(rows, return_inverse=True)
    dense: NDArray[np.float64] = matrix[wanted].toarray().astype(np.float64)
    return dense[at, columns]
