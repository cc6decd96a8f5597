"""One search over everything the site holds: regions, clusters, organisations and posts.

The search box in every page's header answers with the best few of each kind and how many
there are in all, so a user sees at once whether "Bavaria" is a region, "Automotive" a
cluster, "Fraunhofer" an organisation and "battery recycling" someone's partner request, and
follows a link to the full list of the kind that is right. Each kind is asked of the service
that owns it, with the matching it already has (regions and clusters by a fragment of name or
code in every loaded data set, and by the codes and names a region had in earlier NUTS
versions; organisations by the directory's hybrid ranking, open posts by their title and
text), so the global box and each full list agree.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from clusterhub.classify import NutsHistory
from clusterhub.errors import InvalidInput
from clusterhub.services.embeddings import Embedder
from clusterhub.services.observatory import datasets as observatory
from clusterhub.services.observatory.schemas import ClusterSummary, RegionSummary
from clusterhub.services.posts import board
from clusterhub.services.search.queries import DirectoryIndex, SearchRequest
from clusterhub.services.search.schemas import SearchHit

#: Results of each kind shown; the totals count them all.
PER_KIND = 5
#: Longest query (the header box's limit; the directory takes longer ones on its own page).
MAX_QUERY = 100


class PlaceFound(BaseModel):
    """A town whose name was typed, and the region it lies in (shown above the regions)."""

    place: str = Field(description="The town's name (GeoNames).")
    region: RegionSummary
    sentence: str = Field(description='E.g. "Toulouse is in Midi-Pyrénées (FRJ2)".')


class Everything(BaseModel):
    """The best few of each kind for one query, and how many there are of each."""

    query: str
    places: list[PlaceFound] = Field(
        default=[], description="Towns named by the query and the NUTS 2 region of each."
    )
    regions: list[RegionSummary]
    regions_total: int = Field(description="Regions matching, over every loaded data set.")
    regions_by_dataset: dict[str, int] = Field(description="Data set key -> regions matching.")
    clusters: list[ClusterSummary]
    clusters_total: int
    clusters_by_dataset: dict[str, int]
    organisations: list[SearchHit]
    organisations_total: int
    posts: list[board.PostPublic]
    posts_total: int = Field(description="Open posts whose title or text contains the query.")


def search_everything(
    session: Session,
    *,
    q: str,
    index: DirectoryIndex,
    embedder: Embedder | None,
    per_kind: int = PER_KIND,
    history: NutsHistory | None = None,
) -> Everything:
    """The regions, clusters, organisations and open posts matching ``q`` (all empty when it
    is blank).

    Raises
    ------
    InvalidInput
        If ``q`` is longer than :data:`MAX_QUERY` or holds control characters.
    """
    text = " ".join(q.split())
    if not text:
        return Everything(
            query="", regions=[], regions_total=0, regions_by_dataset={}, clusters=[],
            clusters_total=0, clusters_by_dataset={}, organisations=[], organisations_total=0,
            posts=[], posts_total=0,
        )  # fmt: skip
    if len(text) > MAX_QUERY or not text.isprintable():
        raise InvalidInput.single(
            f"at most {MAX_QUERY} characters, no control characters", field="q", value=text[:80]
        )
    request = SearchRequest(q=text, page_size=per_kind)
    directory = index.search(session, request, embedder=embedder)
    posts = board.list_posts(session, filters=board.PostFilter(q=text), page_size=per_kind)
    regions: list[RegionSummary] = []
    clusters: list[ClusterSummary] = []
    region_counts: dict[str, int] = {}
    cluster_counts: dict[str, int] = {}
    for dataset in observatory.list_datasets(session):
        found = observatory.list_regions(
            session, dataset=dataset.key, q=text, page_size=per_kind, history=history
        )
        matching = observatory.list_clusters(session, dataset=dataset.key, q=text)
        regions += found.items
        clusters += matching
        if found.total:
            region_counts[dataset.key] = found.total
        if matching:
            cluster_counts[dataset.key] = len(matching)
    # Regions holding a named town come first, whatever data set they are in.
    regions.sort(key=lambda r: not r.towns)
    places = _places(regions)
    return Everything(
        query=text,
        places=places,
        regions=regions[:per_kind],
        regions_total=sum(region_counts.values()),
        regions_by_dataset=region_counts,
        clusters=clusters[:per_kind],
        clusters_total=len(clusters),
        clusters_by_dataset=cluster_counts,
        organisations=directory.items,
        organisations_total=directory.total,
        posts=posts.items,
        posts_total=posts.total,
    )


def _places(regions: list[RegionSummary]) -> list[PlaceFound]:
    """A sentence for each town the query named, from the first region that holds it (the
    region list puts the regions of named towns first)."""
    found: dict[str, PlaceFound] = {}
    for region in regions:
        where = f"{region.name} ({region.code})" if region.name else region.code
        for town in region.towns:
            if town not in found:
                found[town] = PlaceFound(
                    place=town, region=region, sentence=f"{town} is in {where}"
                )
    return list(found.values())
