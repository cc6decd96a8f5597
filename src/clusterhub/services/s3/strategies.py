"""Reading stored strategies and partnerships, as the records pages, API and CLI show."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.classify.s3_axes import S3Vocabularies, Vocabulary
from clusterhub.errors import NotFound
from clusterhub.services.s3.mapping import ClusterMapping, S3Codes
from clusterhub.services.s3.schemas import (
    CodedName,
    CodingStatus,
    PriorityPublic,
    S3PartnershipPublic,
    StrategyPublic,
    StrategySummary,
)
from clusterhub.store.s3 import S3Partnership, S3PartnershipRegion, S3Priority, S3Strategy


def _named(codes: list[str], name: Callable[[str], str]) -> list[CodedName]:
    return [CodedName(code=code, name=name(code)) for code in codes]


def _vocabulary_name(vocabulary: Vocabulary) -> Callable[[str], str]:
    """A code's name, or the code itself if the vocabulary no longer has it (an edited file)."""
    return lambda code: vocabulary.entries.get(code, code)


def priority_public(
    priority: S3Priority, mapping: ClusterMapping, vocabularies: S3Vocabularies
) -> PriorityPublic:
    """A stored priority with the names of its codes."""
    edits = priority.cluster_edits or {}
    return PriorityPublic(
        id=priority.id,
        position=priority.position,
        title=priority.title,
        description=priority.description,
        nace=_named(priority.nace_codes, mapping.nace.name),
        fields_of_science=_named(
            priority.fos_codes, _vocabulary_name(vocabularies.fields_of_science)
        ),
        objectives=_named(priority.objectives, _vocabulary_name(vocabularies.policy_objectives)),
        clusters=_named(priority.cluster_codes, mapping.name),
        clusters_added=list(edits.get("added", [])),
        clusters_removed=list(edits.get("removed", [])),
        coding_status=CodingStatus(priority.coding_status),
        coded_by=priority.coded_by_actor,
        coded_at=priority.coded_at,
    )


def strategy_public(
    strategy: S3Strategy, mapping: ClusterMapping, vocabularies: S3Vocabularies
) -> StrategyPublic:
    """A stored strategy with its priorities in order."""
    return StrategyPublic(
        id=strategy.id,
        region_code=strategy.region_code,
        country=strategy.country,
        title=strategy.title,
        period=strategy.period,
        source=strategy.source,
        synthetic=strategy.synthetic,
        priorities=[priority_public(p, mapping, vocabularies) for p in strategy.priorities],
    )


def latest_strategies(session: Session) -> dict[str, S3Strategy]:
    """Each region's strategy of the latest period (the one a comparison uses)."""
    found: dict[str, S3Strategy] = {}
    for strategy in session.scalars(select(S3Strategy).order_by(S3Strategy.period)):
        found[strategy.region_code] = strategy
    return found


def region_strategy(
    session: Session,
    *,
    region: str,
    period: str | None = None,
    mapping: ClusterMapping,
    vocabularies: S3Vocabularies,
) -> StrategyPublic:
    """A region's strategy: of ``period``, or of the latest period stored.

    Raises
    ------
    NotFound
        If the region has none (for that period), naming the periods it has.
    """
    query = select(S3Strategy).where(S3Strategy.region_code == region.strip().upper())
    strategies = list(session.scalars(query.order_by(S3Strategy.period)))
    chosen = [s for s in strategies if period is None or s.period == period]
    if not chosen:
        have = ", ".join(s.period for s in strategies)
        raise NotFound(
            f"no S3 strategy of {region} for {period}; it has {have}"
            if have
            else f"no S3 strategy of {region} is stored; import one (docs/reference/s3-import.md)"
        )
    return strategy_public(chosen[-1], mapping, vocabularies)


def list_partnerships(session: Session, *, region: str | None = None) -> list[S3PartnershipPublic]:
    """Thematic partnerships by platform and name; with ``region``, those it belongs to."""
    query = select(S3Partnership).order_by(S3Partnership.platform, S3Partnership.name)
    if region is not None:
        query = query.where(
            S3Partnership.id.in_(
                select(S3PartnershipRegion.partnership_id).where(
                    S3PartnershipRegion.region_code == region.strip().upper()
                )
            )
        )
    return [S3PartnershipPublic.model_validate(p) for p in session.scalars(query)]


def list_strategies(
    session: Session, *, country: str | None = None, region_names: dict[str, str] | None = None
) -> list[StrategySummary]:
    """Each region's latest strategy, by region code (``country``: only that country's)."""
    names = region_names or {}
    found = [
        StrategySummary(
            region_code=s.region_code, region_name=names.get(s.region_code), country=s.country,
            title=s.title, period=s.period, source=s.source, synthetic=s.synthetic,
            priorities=len(s.priorities),
            coded=sum(p.coding_status == CodingStatus.CONFIRMED for p in s.priorities),
        )
        for s in latest_strategies(session).values()
        if country is None or s.country == country.strip().upper()
    ]  # fmt: skip
    return sorted(found, key=lambda s: s.region_code)


def latest_public(session: Session, codes: S3Codes) -> list[StrategyPublic]:
    """Each region's latest strategy with its priorities, by region code."""
    found = latest_strategies(session)
    return [strategy_public(found[r], codes.mapping, codes.vocabularies) for r in sorted(found)]
