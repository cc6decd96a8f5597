"""Directory search: keyword, semantic and hybrid queries with facets, sorting and paging.

Keyword matches and their relevance come from the database's full-text index (``store.fts``);
everything else — filters, facet counts, sorting, paging, cosine similarity — runs over the
in-memory catalogue of :mod:`clusterhub.services.search.catalogue`, and only the rows of the
page asked for are read from the database. ``docs/methodology/search.md`` explains the ranking.

* **keyword**: every term must match (AND), the last also as a prefix; ranked by BM25 (SQLite)
  or ``ts_rank`` (PostgreSQL), name and acronym weighted above the rest.
* **semantic**: cosine similarity of the query's all-MiniLM-L6-v2 embedding with each profile's;
  profiles under :data:`MIN_SIMILARITY` are not results.
* **hybrid**: reciprocal rank fusion (:data:`RRF_K`) of the keyword and the semantic ranking.

Facets are *disjunctive*: a facet's counts apply every filter except its own, so ticking a
country still shows how many results the other countries would give.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from clusterhub.classify.countries import country_names
from clusterhub.errors import InvalidInput
from clusterhub.services.directory import facts
from clusterhub.services.directory.schemas import ProfileType
from clusterhub.services.embeddings import MODEL_NAME, Embedder
from clusterhub.services.search.catalogue import (
    DECLARED,
    EXPIRED,
    LABEL_VALUES,
    NO_LABEL,
    REJECTED,
    SIZE_VALUES,
    Catalogue,
    Column,
    Mask,
    empty_rows,
    refresh,
)
from clusterhub.services.search.schemas import FacetValue, SearchHit, SearchResults
from clusterhub.store import fts, generations

#: Reciprocal rank fusion constant (Cormack, Clarke & Büttcher 2009).
RRF_K = 60
#: How deep each ranking reaches into the fusion (as in the TREC runs Cormack et al. fused).
RRF_DEPTH = 1000
#: Cosine similarity under which a profile is not a semantic result (see the methodology).
MIN_SIMILARITY = 0.25
#: Most values a country, region or cluster facet lists (the most frequent first).
FACET_LIMIT = 50
#: Query embeddings kept per process (repeated and paged queries skip the model): 1.5 KB each,
#: and people repeat queries (the same few hundred words make most of a directory's searches).
QUERY_CACHE = 4096
#: Keyword matches and semantic similarities kept per process and generation, each (paging and
#: facet clicks skip the database and the cosine over every profile).
MATCH_CACHE = 32

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]
NutsCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2}[A-Za-z0-9]{0,3}$", to_upper=True)
]
ClusterCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,16}$")]


class SearchMode(StrEnum):
    """How the query text is matched."""

    KEYWORD = "keyword"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


class SortOrder(StrEnum):
    """Result order; ``relevance`` without a query is name order."""

    RELEVANCE = "relevance"
    NAME = "name"
    MEMBERS = "members"
    UPDATED = "updated"


class LabelFilter(StrEnum):
    """Label facet values: a level counts only while its label is valid and verified; a valid
    label nobody verified yet is ``declared``, one an officer turned down ``rejected``."""

    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    DECLARED = DECLARED
    REJECTED = REJECTED
    EXPIRED = EXPIRED
    NONE = NO_LABEL


def _size_band(value: str) -> str:
    if value not in SIZE_VALUES:
        raise ValueError(f"unknown size band; expected one of {', '.join(SIZE_VALUES)}")
    return value


SizeBand = Annotated[str, AfterValidator(_size_band)]


class SearchRequest(BaseModel):
    """A directory query as the faces receive it; every value is checked here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field("", max_length=500, description="Words to look for; empty lists everything.")
    mode: SearchMode = SearchMode.HYBRID
    country: list[CountryCode] = Field(default_factory=list, max_length=60)
    region: list[NutsCode] = Field(
        default_factory=list,
        max_length=60,
        description="NUTS codes; FR, FRJ and FRJ2 each match every profile located inside.",
    )
    cluster: list[ClusterCode] = Field(default_factory=list, max_length=60)
    profile_type: list[ProfileType] = Field(default_factory=list)
    label: list[LabelFilter] = Field(default_factory=list)
    size_band: list[SizeBand] = Field(default_factory=list)
    synthetic: bool | None = Field(
        None, description="None: all; False: real only; True: synthetic."
    )
    sort: SortOrder = SortOrder.RELEVANCE
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=100)


Scored = tuple[Mask, npt.NDArray[np.float64]]
Key = TypeVar("Key")
Value = TypeVar("Value")


@dataclass(frozen=True)
class _Ranked:
    """What the query matched: a mask over catalogue rows and a score per row.

    A hybrid query keeps its two rankings in ``parts``: they are fused once the filters are
    known, so that ranks count among the results the user sees.
    """

    hits: Mask
    score: npt.NDArray[np.float64]
    mode: SearchMode
    query: fts.Query | None
    parts: tuple[Scored, Scored] | None = None


#: Embeds hybrid queries beside the keyword match (threads outlive requests; two suffice).
_QUERY_EMBEDDING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="query-embedding")


class DirectoryIndex:
    """One per process: the catalogue of the latest generation, rebuilt when it moves.

    Thread-safe: a refresh builds a new catalogue under a lock and swaps it in; a search works
    on the catalogue it started with.
    """

    def __init__(
        self,
        *,
        cluster_names: Mapping[str, str] | None = None,
        region_names: Mapping[str, str] | None = None,
        model: str = MODEL_NAME,
    ) -> None:
        self.cluster_names = dict(cluster_names or {})
        self.region_names = dict(region_names or {})
        self.model = model
        self._catalogue = Catalogue(empty_rows(), generation=-1)
        self._database = ""
        self._lock = threading.Lock()
        self._vectors: _Lru[str, npt.NDArray[np.float32]] = _Lru(QUERY_CACHE)
        self._matches: _Lru[tuple[int, str], Scored] = _Lru(MATCH_CACHE)
        self._similarities: _Lru[tuple[int, str], Scored] = _Lru(MATCH_CACHE)

    def catalogue(self, session: Session) -> Catalogue:
        """The catalogue, refreshed first when the directory changed since it was built.

        An index serves one database; should it be handed a session of another one, it starts
        over rather than trust a generation number that only means something in the first.
        """
        generation = generations.current(session)
        database = session.get_bind().engine.url.render_as_string(hide_password=True)
        current = self._catalogue
        if current.generation == generation and self._database == database:
            return current
        with self._lock:
            if self._database != database:
                self._catalogue, self._database = Catalogue(empty_rows(), -1), database
            built = self._catalogue.generation
            if built != generation:
                changed = generations.changed_since(session, built, generation)
                rows = refresh(session, self._catalogue.rows, model=self.model, changed=changed)
                self._catalogue = Catalogue(rows, generation)
            return self._catalogue

    def search(
        self, session: Session, request: SearchRequest, *, embedder: Embedder | None
    ) -> SearchResults:
        """One page of results for ``request``, with facet counts over all its results."""
        catalogue = self.catalogue(session)
        ranked = self._rank(session, catalogue, request, embedder)
        today = datetime.now(UTC).date()
        filters = _filters(catalogue, request, today)
        selected = ranked.hits.copy()
        for mask in filters.values():
            selected &= mask
        if ranked.parts is not None:
            ranked = replace(ranked, score=_fused(catalogue, ranked.parts, selected))
        rows = _ordered(catalogue, selected, ranked, request)
        start = (request.page - 1) * request.page_size
        page = rows[start : start + request.page_size]
        return SearchResults(
            items=_hits(session, catalogue, page, ranked),
            total=int(selected.sum()),
            page=request.page,
            page_size=request.page_size,
            mode=ranked.mode.value,
            query=request.q,
            facets=self._facets(catalogue, ranked.hits, filters, request, today),
        )

    def _rank(
        self,
        session: Session,
        catalogue: Catalogue,
        request: SearchRequest,
        embedder: Embedder | None,
    ) -> _Ranked:
        query = fts.parse(request.q)
        mode = request.mode
        if query is None:
            everything = np.ones(catalogue.size, dtype=np.bool_)
            return _Ranked(everything, np.zeros(catalogue.size), mode, None)
        if mode is not SearchMode.KEYWORD and embedder is None:
            if mode is SearchMode.SEMANTIC:
                raise InvalidInput.single(
                    "semantic search is not available: the embedding model is not loaded",
                    field="mode",
                    value=mode.value,
                )
            mode = SearchMode.KEYWORD
        if mode is SearchMode.KEYWORD:
            hits, score = self._keyword(session, catalogue, query)
        elif mode is SearchMode.SEMANTIC:
            assert embedder is not None
            hits, score = self._similar(catalogue, embedder, request.q)
        else:
            assert embedder is not None
            # The model embeds the query while the database matches it: both release the GIL.
            similar = _QUERY_EMBEDDING.submit(self._similar, catalogue, embedder, request.q)
            keyword = self._keyword(session, catalogue, query)
            semantic = similar.result()
            return _Ranked(keyword[0] | semantic[0], keyword[1], mode, query, (keyword, semantic))
        return _Ranked(hits, score, mode, query)

    def _embed(self, embedder: Embedder, text: str) -> npt.NDArray[np.float32]:
        key = " ".join(text.split())
        vector = self._vectors.get(key)
        if vector is None:
            vector = embedder.encode([key])[0]
            self._vectors.put(key, vector)
        return vector

    def _similar(self, catalogue: Catalogue, embedder: Embedder, text: str) -> Scored:
        key = (catalogue.serial, " ".join(text.split()))
        found = self._similarities.get(key)
        if found is None:
            found = _semantic(catalogue, self._embed(embedder, text))
            self._similarities.put(key, found)
        return found

    def _keyword(self, session: Session, catalogue: Catalogue, query: fts.Query) -> Scored:
        key = (catalogue.serial, query.fts5)
        found = self._matches.get(key)
        if found is None:
            found = _keyword(session, catalogue, query)
            self._matches.put(key, found)
        return found

    def _facets(
        self,
        catalogue: Catalogue,
        hits: Mask,
        filters: dict[str, Mask],
        request: SearchRequest,
        today: date,
    ) -> dict[str, list[FacetValue]]:
        def base(facet: str) -> Mask:
            rows = hits.copy()
            for name, mask in filters.items():
                if name != facet:
                    rows &= mask
            return rows

        names = country_names()
        labels = catalogue.labels(today)
        return {
            "country": _by_count(catalogue.country.counts(base("country")), names, request.country),
            "region": _by_count(
                catalogue.region.counts(base("region")), self.region_names, request.region
            ),
            "cluster": _by_count(
                catalogue.cluster_counts(base("cluster")), self.cluster_names, request.cluster
            ),
            "profile_type": _in_order(
                catalogue.profile_type,
                base("profile_type"),
                {t.value: t.label for t in ProfileType},
                request.profile_type,
            ),
            "label": _in_order(labels, base("label"), _LABEL_NAMES, request.label),
            "size_band": _in_order(
                catalogue.size_band, base("size_band"), _SIZE_NAMES, request.size_band
            ),
        }


_LABEL_NAMES = {
    "gold": "Gold label, verified",
    "silver": "Silver label, verified",
    "bronze": "Bronze label, verified",
    DECLARED: "Label declared, not verified",
    REJECTED: "Label rejected on review",
    EXPIRED: "Expired label",
    NO_LABEL: "No label",
}
_SIZE_NAMES = {v: ("Unknown size" if v == "unknown" else f"{v} members") for v in SIZE_VALUES}


class _Lru(Generic[Key, Value]):
    """A small thread-safe least-recently-used cache (values are never mutated by readers)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Key, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> Value | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Key, value: Value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def search(
    session: Session,
    *,
    request: SearchRequest,
    index: DirectoryIndex,
    embedder: Embedder | None,
) -> SearchResults:
    """:meth:`DirectoryIndex.search` as a keyword-only service function."""
    return index.search(session, request, embedder=embedder)


# --- matching ---------------------------------------------------------------------------------


def _keyword(
    session: Session, catalogue: Catalogue, query: fts.Query
) -> tuple[Mask, npt.NDArray[np.float64]]:
    """Rows matching ``query`` and their database relevance (-inf elsewhere)."""
    matched = fts.match(session, query)
    ids = np.fromiter((m[0] for m in matched), dtype=np.int64, count=len(matched))
    scores = np.fromiter((m[1] for m in matched), dtype=np.float64, count=len(matched))
    at, known = catalogue.positions(ids)
    hits = np.zeros(catalogue.size, dtype=np.bool_)
    hits[at[known]] = True
    score = np.full(catalogue.size, -np.inf)
    score[at[known]] = scores[known]
    return hits, score


def _semantic(
    catalogue: Catalogue, vector: npt.NDArray[np.float32]
) -> tuple[Mask, npt.NDArray[np.float64]]:
    """Rows at least :data:`MIN_SIMILARITY` from the query, and every row's cosine."""
    cosine = (catalogue.rows.vectors @ vector).astype(np.float64)
    return (cosine >= MIN_SIMILARITY) & catalogue.has_vector, cosine


def _fused(
    catalogue: Catalogue, parts: tuple[Scored, Scored], selected: Mask
) -> npt.NDArray[np.float64]:
    """Reciprocal rank fusion: the sum over both rankings of 1 / (RRF_K + rank).

    Ranks count among the ``selected`` rows (the results after filtering), and each ranking
    contributes only its first :data:`RRF_DEPTH`; a profile ranked deeper in both gets 0 and
    follows the fused ones (in name order).
    """
    fused = np.zeros(catalogue.size)
    for hits, score in parts:
        best = _top(catalogue, np.flatnonzero(hits & selected), score, RRF_DEPTH)
        fused[best] += 1.0 / (RRF_K + np.arange(1, len(best) + 1))
    return fused


# --- filtering, ordering ----------------------------------------------------------------------


def _filters(catalogue: Catalogue, request: SearchRequest, today: date) -> dict[str, Mask]:
    """The masks of the filters the request sets, by facet name."""
    masks: dict[str, Mask] = {}
    if request.country:
        masks["country"] = catalogue.country.matching(set(request.country).__contains__)
    if request.region:
        prefixes = tuple(request.region)
        masks["region"] = catalogue.nuts.matching(lambda code: code.startswith(prefixes))
    if request.cluster:
        masks["cluster"] = catalogue.cluster_mask(request.cluster)
    if request.profile_type:
        masks["profile_type"] = catalogue.profile_type.matching(
            set(request.profile_type).__contains__
        )
    if request.label:
        masks["label"] = catalogue.labels(today).matching(set(request.label).__contains__)
    if request.size_band:
        masks["size_band"] = catalogue.size_band.matching(set(request.size_band).__contains__)
    if request.synthetic is not None:
        masks["synthetic"] = catalogue.rows.synthetic == request.synthetic
    return masks


def _ordered(
    catalogue: Catalogue, selected: Mask, ranked: _Ranked, request: SearchRequest
) -> npt.NDArray[np.intp]:
    """The selected rows in the requested order, as far as the requested page reaches."""
    sort = request.sort
    if sort is SortOrder.RELEVANCE and ranked.query is not None:
        count = request.page * request.page_size
        return _top(catalogue, np.flatnonzero(selected), ranked.score, count)
    order = {
        SortOrder.RELEVANCE: catalogue.name_order,
        SortOrder.NAME: catalogue.name_order,
        SortOrder.MEMBERS: catalogue.members_order,
        SortOrder.UPDATED: catalogue.updated_order,
    }[sort]
    chosen: npt.NDArray[np.intp] = order[selected[order]]
    return chosen


def _top(
    catalogue: Catalogue, rows: npt.NDArray[np.intp], scores: npt.NDArray[np.float64], count: int
) -> npt.NDArray[np.intp]:
    """The best ``count`` of ``rows`` by score, ties by name: every row tying with the last one
    is sorted too, so consecutive pages never overlap or skip."""
    score = scores[rows]
    if count < len(rows):
        cut = np.partition(-score, count - 1)[count - 1]
        keep = -score <= cut
        rows, score = rows[keep], score[keep]
    order = np.lexsort((catalogue.name_rank[rows], -score))
    best: npt.NDArray[np.intp] = rows[order][:count]
    return best


# --- output -----------------------------------------------------------------------------------


def _hits(
    session: Session, catalogue: Catalogue, page: npt.NDArray[np.intp], ranked: _Ranked
) -> list[SearchHit]:
    """The page's profiles, from the catalogue (current as of this query's generation) and
    highlighted by the database for keyword and hybrid queries."""
    ids = [int(i) for i in catalogue.rows.ids[page]]
    marked = (
        fts.highlight(session, ranked.query, ids)
        if ids and ranked.query is not None and ranked.mode is not SearchMode.SEMANTIC
        else {}
    )
    hits = []
    for row, org_id in zip(page.tolist(), ids, strict=True):
        mark = marked.get(org_id)
        hits.append(
            SearchHit(
                **_summary(catalogue, row),
                score=float(ranked.score[row]) if ranked.query is not None else 0.0,
                name_html=str(mark.name) if mark else None,
                snippet_html=str(mark.snippet) if mark else None,
            )
        )
    return hits


def _summary(catalogue: Catalogue, row: int) -> dict[str, Any]:
    """The fields of ``directory.summary`` from the catalogue (no database round trip)."""
    rows = catalogue.rows
    label = rows.label[row] or None
    members = int(rows.members[row])
    return {
        "id": int(rows.ids[row]),
        "key": rows.keys[row],
        "name": rows.names[row],
        "acronym": rows.acronyms[row] or None,
        "profile_type": rows.profile_type[row],
        "country": rows.country[row] or None,
        "nuts_code": rows.nuts[row] or None,
        "city": rows.cities[row] or None,
        "cluster_codes": catalogue.cluster_codes(row),
        "label": label,
        "label_status": facts.label_status(label, catalogue.label_until(row)),
        "label_review": rows.label_review[row] if label else None,
        "members_total": None if members < 0 else members,
        "size_band": facts.size_band(None if members < 0 else members),
        "is_synthetic": bool(rows.synthetic[row]),
        "source": rows.sources[row],
    }


def _by_count(
    counts: dict[str, int], names: Mapping[str, str], selected: list[str]
) -> list[FacetValue]:
    """Most frequent first (ties by label), at most :data:`FACET_LIMIT`, selected values kept."""
    values = sorted(counts, key=lambda v: (-counts[v], names.get(v, v)))[:FACET_LIMIT]
    values += [v for v in dict.fromkeys(selected) if v not in values]
    return [FacetValue(value=v, label=names.get(v, v), count=counts.get(v, 0)) for v in values]


def _in_order(
    column: Column, rows: Mask, names: Mapping[str, str], selected: Sequence[str]
) -> list[FacetValue]:
    """Every value with results (or selected) in the column's natural order."""
    counts = column.counts(rows)
    chosen = {str(v) for v in selected}
    return [
        FacetValue(value=v, label=names.get(v, v), count=counts.get(v, 0))
        for v in column.values
        if v and (counts.get(v) or v in chosen)
    ]


__all__ = [
    "FACET_LIMIT",
    "LABEL_VALUES",
    "MIN_SIMILARITY",
    "RRF_DEPTH",
    "RRF_K",
    "DirectoryIndex",
    "LabelFilter",
    "SearchMode",
    "SearchRequest",
    "SortOrder",
    "search",
]
