"""The collaboration graph and the link-prediction scores computed on it.

Organisations are nodes; two are linked when they took part in the same project. A project of
``n`` members adds ``1 / (n - 1)`` to each of its pairs, so a 150-member coordination action
does not outweigh a three-partner research project (Newman's collaboration weighting). The
classic neighbourhood scores follow Liben-Nowell & Kleinberg (2007):

* common neighbours ``CN(u, v) = |Γ(u) ∩ Γ(v)|``;
* Adamic-Adar ``AA(u, v) = Σ_{w ∈ Γ(u) ∩ Γ(v)} 1 / ln |Γ(w)|``;
* resource allocation ``RA(u, v) = Σ_{w ∈ Γ(u) ∩ Γ(v)} 1 / |Γ(w)|`` (Zhou, Lü & Zhang 2009);

and, to reach beyond two steps, a spectral embedding of the degree-normalised adjacency whose
inner products approximate discounted walk counts of every length (``spectral_embedding``).
All scores are computed for a batch of query rows at once with sparse matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import eigsh

from clusterhub.services.recommend.collaborations import Collaborations

#: Dimensions of the spectral embedding (a trade-off measured in BENCHMARKS.md).
EMBEDDING_DIMENSIONS = 48
#: Discount of each further step of a walk in the embedding (PageRank's usual 0.85).
DAMPING = 0.85


@dataclass(frozen=True)
class Graph:
    """The organisations of a ``Collaborations`` (``orgs[i]`` is node ``i``), their weighted
    co-participation matrix ``weights`` and the 0/1 ``partners`` matrix, both without the
    diagonal, and per node its number of projects."""

    orgs: list[str]
    index: dict[str, int]
    weights: sparse.csr_matrix
    partners: sparse.csr_matrix
    projects: NDArray[np.float64]

    @property
    def size(self) -> int:
        """Number of organisations."""
        return len(self.orgs)

    @cached_property
    def degree(self) -> NDArray[np.float64]:
        """Number of distinct partners of each organisation."""
        return np.asarray(self.partners.sum(axis=1)).ravel()

    def rows(self, nodes: NDArray[np.int64]) -> sparse.csr_matrix:
        """The partner rows of ``nodes`` (a query batch)."""
        return self.partners[nodes]


def build_graph(
    data: Collaborations, orgs: list[str] | None = None, *, half_life: float | None = None
) -> Graph:
    """The graph of ``data``; ``orgs`` fixes the node order (and may hold organisations with
    no project, which become isolated nodes). With ``half_life`` (years) a project's weight
    halves for every ``half_life`` years it started before the data's last year, so that the
    consortia still forming count most."""
    names = orgs if orgs is not None else sorted(data.organisations())
    index = {org: i for i, org in enumerate(names)}
    rows = data.rows.select("project", "org", "year").with_columns(
        pl.col("org").replace_strict(index, return_dtype=pl.Int64).alias("node")
    )
    project_ids, project_index = np.unique(rows["project"].to_numpy(), return_inverse=True)
    nodes = rows["node"].to_numpy()
    incidence = sparse.csr_matrix(
        (np.ones(len(nodes)), (nodes, project_index)), shape=(len(names), len(project_ids))
    )
    members = np.asarray(incidence.sum(axis=0)).ravel()
    share = np.where(members > 1, 1.0 / np.maximum(members - 1, 1), 0.0)
    if half_life is not None:
        years = np.zeros(len(project_ids))
        years[project_index] = rows["year"].fill_null(data.last_year).to_numpy()
        share *= 0.5 ** ((data.last_year - years) / half_life)
    weights = (incidence @ sparse.diags(share) @ incidence.T).tocsr()
    weights.setdiag(0)
    weights.eliminate_zeros()
    partners = weights.copy()
    partners.data = np.ones_like(partners.data)
    projects = np.asarray(incidence.sum(axis=1)).ravel()
    return Graph(names, index, weights, partners, projects)


def neighbourhood_scores(
    graph: Graph, nodes: NDArray[np.int64]
) -> tuple[sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix]:
    """Common neighbours, Adamic-Adar and resource allocation of each node in ``nodes`` with
    every organisation (rows follow ``nodes``; a node with one partner adds nothing to AA,
    as ``1 / ln 1`` is taken as 0)."""
    degree = graph.degree
    rows = graph.rows(nodes)
    common = (rows @ graph.partners).tocsr()
    with np.errstate(divide="ignore"):
        adamic = np.where(degree > 1, 1.0 / np.log(np.maximum(degree, 2)), 0.0)
        resource = np.where(degree > 0, 1.0 / np.maximum(degree, 1), 0.0)
    aa = (rows @ sparse.diags(adamic) @ graph.partners).tocsr()
    ra = (rows @ sparse.diags(resource) @ graph.partners).tocsr()
    return common, aa, ra


def spectral_embedding(
    graph: Graph, dimensions: int = EMBEDDING_DIMENSIONS, seed: int = 0
) -> NDArray[np.float32]:
    """Each node's coordinates in the top eigenspace of ``N = D^-1/2 W D^-1/2``, scaled so
    that ``⟨x_u, x_v⟩ ≈ Σ_{k≥1} α^(k-1) (N^k)_uv``: the walks of every length between u and v,
    longer ones discounted by ``α`` (a low-rank personalised PageRank, ``α = DAMPING``). Only
    the largest connected component is embedded (every small component would otherwise take
    an eigenvalue of 1 and crowd out its structure); the others get zero rows."""
    embedded = np.zeros((graph.size, dimensions), dtype=np.float32)
    _, component = connected_components(graph.weights, directed=False)
    largest = np.flatnonzero(component == np.argmax(np.bincount(component)))
    weights = graph.weights[largest][:, largest]
    k = min(dimensions, len(largest) - 2)
    if weights.nnz == 0 or k < 1:
        return embedded
    strength = np.asarray(weights.sum(axis=1)).ravel()
    scale = sparse.diags(1.0 / np.sqrt(strength))
    normalised = (scale @ weights @ scale).astype(np.float64)
    start = np.random.default_rng(seed).standard_normal(len(largest))
    values, vectors = eigsh(normalised, k=k, which="LA", v0=start)
    positive = np.clip(values, 0.0, 1.0 - 1e-9)
    scaled = vectors * np.sqrt(positive / (1.0 - DAMPING * positive))
    embedded[largest, :k] = scaled
    return embedded
