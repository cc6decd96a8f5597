"""A directory search as table rows, for the CSV and XLSX downloads of the directory page.

The rows are the search's own results, in its order and with its filters, so a download holds
what the page lists. It stops at :data:`MAX_ROWS`: a hybrid query matches by meaning as well as
by words and may match most of the 36,000 profiles, and a list that long is a data dump rather
than a search (the whole directory is exported by ``clusterhub directory export``). The faces
say when a download was cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from clusterhub.services.directory.io import LIST_SEPARATOR
from clusterhub.services.directory.schemas import is_unpublished_name
from clusterhub.services.embeddings import Embedder
from clusterhub.services.search.queries import DirectoryIndex, SearchRequest
from clusterhub.services.search.schemas import SearchHit

#: Most rows a download holds.
MAX_ROWS = 2_000
#: Results fetched per step (the largest page a search gives).
_STEP = 100
COLUMNS = (
    "rank", "id", "key", "name", "name_published", "acronym", "profile_type", "country",
    "nuts_code", "city", "cluster_codes", "label", "label_status", "label_review",
    "members_total", "size_band", "is_synthetic", "source", "score",
)  # fmt: skip


@dataclass(frozen=True)
class SearchTable:
    """The rows of a search (at most :data:`MAX_ROWS`) and how many results it had."""

    rows: list[dict[str, Any]]
    total: int

    @property
    def cut(self) -> bool:
        """Whether the search had more results than the rows hold."""
        return self.total > len(self.rows)


def search_table(
    session: Session,
    *,
    request: SearchRequest,
    index: DirectoryIndex,
    embedder: Embedder | None,
    limit: int = MAX_ROWS,
) -> SearchTable:
    """The results of ``request`` (its page and page size ignored) as rows of :data:`COLUMNS`,
    the first ``limit`` of them."""
    rows: list[dict[str, Any]] = []
    total = 0
    page = 1
    while len(rows) < limit:
        step = request.model_copy(update={"page": page, "page_size": _STEP})
        results = index.search(session, step, embedder=embedder)
        total = results.total
        rows += [_row(len(rows) + i + 1, hit) for i, hit in enumerate(results.items)]
        if len(results.items) < _STEP:
            break
        page += 1
    return SearchTable(rows=rows[:limit], total=total)


def _row(rank: int, hit: SearchHit) -> dict[str, Any]:
    return {
        **hit.model_dump(mode="json", include=set(COLUMNS)),
        "rank": rank,
        "name_published": not is_unpublished_name(hit.name),
        "cluster_codes": LIST_SEPARATOR.join(hit.cluster_codes),
        "score": round(hit.score, 6),
    }
