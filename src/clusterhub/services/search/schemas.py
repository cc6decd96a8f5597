"""Pydantic records of directory search results (hits with highlights, facet counts)."""

from __future__ import annotations

from pydantic import BaseModel

from clusterhub.services.directory.schemas import OrganisationSummary


class FacetValue(BaseModel):
    """One value of a facet and how many results have it."""

    value: str
    label: str
    count: int


class SearchHit(OrganisationSummary):
    """A search result: the profile, its score and highlighted HTML (terms in ``<mark>``)."""

    score: float
    name_html: str | None = None
    snippet_html: str | None = None


class SearchResults(BaseModel):
    """A page of search results with facet counts over all results."""

    items: list[SearchHit]
    total: int
    page: int
    page_size: int
    mode: str
    query: str
    facets: dict[str, list[FacetValue]]
