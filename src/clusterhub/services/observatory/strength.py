"""Every strong cluster of a data set at once: the map other domains compare regions on.

"Strong" is the glossary's word (``glossary.is_strong``: two stars or more, or strong by the
U.S. rule; a mostly estimated cell is not). The S3 comparison reads it to find partner regions,
the partner recommender to say which cluster a partner's region is strong in.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from clusterhub.services.observatory import datasets as observatory
from clusterhub.services.observatory.glossary import is_strong
from clusterhub.services.observatory.schemas import MetricPublic
from clusterhub.services.observatory.terms import STRONG_STARS

_PAGE = 500


def strong_cells(
    session: Session, *, dataset: str | None, year: int | None, region_type: str | None
) -> list[MetricPublic]:
    """The strong cells of one data set, year and region type (``None``: any), by region."""
    found: dict[tuple[str, str], MetricPublic] = {}
    for kind in ({"min_stars": STRONG_STARS}, {"strong": True}):
        page = 1
        while True:
            listed = observatory.list_metrics(
                session,
                filters=observatory.MetricFilter(
                    dataset=dataset, year=year, region_type=region_type, **kind
                ),
                sort="region", page=page, page_size=_PAGE,
            )  # fmt: skip
            for metric in listed.items:
                if is_strong(metric):
                    found[(metric.region_code, metric.cluster_code)] = metric
            if page * _PAGE >= listed.total:
                break
            page += 1
    return [found[key] for key in sorted(found)]


def latest_strong_cells(session: Session, dataset: str | None = None) -> list[MetricPublic]:
    """The strong cells of a data set (the default one when None) at its finest region type,
    in its latest year; none when no data is loaded."""
    scope = observatory.latest_scope(session, dataset)
    if scope is None:
        return []
    key, year, region_type = scope
    return strong_cells(session, dataset=key, year=year, region_type=region_type)
