"""A region's S3 priorities beside its strong clusters, and regions to partner with.

"Strong" is the observatory's own word for a cluster cell (``observatory.glossary.is_strong``:
two stars or more, or strong by the U.S. rule; a mostly estimated cell is not), read from the
first loaded data set that has the region, in its latest year. A priority is *backed* when one
of its cluster categories is strong in the region, *without a cluster base* when none is; a
strong cluster that no priority names is *outside the priorities*.

Partner regions are scored (weights in :data:`WEIGHTS`) by what they share with the region —
cluster categories and NACE divisions among their priorities, thematic partnerships — and by
what they complement: categories in which they are strong while the region has a priority there
without a strong cluster of its own. Each candidate carries its reasons as data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from clusterhub.classify.nace import DIVISION
from clusterhub.errors import NotFound
from clusterhub.services.observatory import datasets as observatory
from clusterhub.services.observatory.glossary import is_strong
from clusterhub.services.observatory.strength import strong_cells
from clusterhub.services.observatory.terms import STRONG_STARS
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.services.s3.schemas import (
    VERDICT_LABELS,
    CodedName,
    ComparisonRow,
    PartnerRegion,
    Reason,
    RegionComparison,
    StrategyPublic,
)
from clusterhub.services.s3.strategies import latest_strategies, list_partnerships, strategy_public
from clusterhub.store.s3 import S3Strategy

#: Score of each kind of reason a partner region has.
WEIGHTS = {
    "shared_cluster": 1.0,
    "complementary_strength": 1.0,
    "shared_nace": 0.5,
    "shared_partnership": 0.5,
}


@dataclass(frozen=True)
class Strength:
    """The strong clusters of one data set and year: stars by cluster, by region."""

    dataset: str | None
    year: int | None
    region_name: str | None
    region_type: str | None
    own: dict[str, int]


def own_strength(session: Session, region: str) -> Strength:
    """The region's strong clusters (stars by cluster, strongest first), or none when no loaded
    data set has the region."""
    try:
        detail = observatory.region_detail(session, code=region)
    except NotFound:
        return Strength(None, None, None, None, {})
    own = {m.cluster_code: m.stars for m in detail.clusters if is_strong(m)}
    return Strength(detail.dataset, detail.year, detail.name, detail.region_type, own)


def compare_region(session: Session, *, region: str, codes: S3Codes) -> RegionComparison:
    """The region's latest strategy's priorities next to its strong clusters.

    Raises
    ------
    NotFound
        If the region has neither a stored strategy nor cluster data.
    """
    code = region.strip().upper()
    stored = latest_strategies(session).get(code)
    strength = own_strength(session, code)
    if stored is None and strength.dataset is None:
        raise NotFound(f"no S3 strategy and no cluster data for region {code!r}")
    strategy = strategy_public(stored, codes.mapping, codes.vocabularies) if stored else None
    rows = _rows(strategy, strength.own, codes)
    notes = []
    if strategy is None:
        notes.append(f"No S3 strategy of {code} is stored: every strong cluster is listed as "
                     "outside the priorities.")  # fmt: skip
    elif strategy.synthetic:
        notes.append("SYNTHETIC strategy: generated for demonstration, not a real S3 strategy.")
    if strength.dataset is None:
        notes.append(f"No loaded cluster data set has region {code}: no priority can be backed.")
    uncoded = [p.title for p in strategy.priorities if not p.clusters] if strategy else []
    if uncoded:
        notes.append(f"{len(uncoded)} priority(ies) have no cluster category yet (code them to "
                     f"compare): {', '.join(uncoded)}")  # fmt: skip
    return RegionComparison(
        region_code=code, region_name=strength.region_name, strategy=strategy,
        dataset=strength.dataset, year=strength.year,
        strong_clusters=[CodedName(code=c, name=codes.mapping.name(c)) for c in strength.own],
        rows=rows, synthetic=bool(strategy and strategy.synthetic), notes=notes,
    )  # fmt: skip


def _rows(
    strategy: StrategyPublic | None, strong: dict[str, int], codes: S3Codes
) -> list[ComparisonRow]:
    rows: list[ComparisonRow] = []
    named: set[str] = set()
    for priority in strategy.priorities if strategy else []:
        mine = [c.code for c in priority.clusters]
        named.update(mine)
        backing = [c for c in strong if c in mine]
        verdict = "backed" if backing else "no_cluster_base"
        rows.append(ComparisonRow(
            verdict=verdict, label=VERDICT_LABELS[verdict], priority=priority.title,
            priority_id=priority.id,
            clusters=[CodedName(code=c, name=codes.mapping.name(c)) for c in backing],
            stars=max((strong[c] for c in backing), default=None),
        ))  # fmt: skip
    for cluster, stars in strong.items():
        if cluster not in named:
            rows.append(ComparisonRow(
                verdict="outside_priorities", label=VERDICT_LABELS["outside_priorities"],
                clusters=[CodedName(code=cluster, name=codes.mapping.name(cluster))],
                stars=stars,
            ))  # fmt: skip
    return rows


def _strong_everywhere(session: Session, strength: Strength) -> dict[str, dict[str, int]]:
    """Strong clusters of every region of the same data set, year and region type."""
    found: defaultdict[str, dict[str, int]] = defaultdict(dict)
    if strength.dataset is None:
        return found
    cells = strong_cells(session, dataset=strength.dataset, year=strength.year,
                         region_type=strength.region_type)  # fmt: skip
    for metric in cells:
        found[metric.region_code][metric.cluster_code] = metric.stars
    return found


def _divisions(strategy: S3Strategy, codes: S3Codes) -> set[str]:
    nace = codes.catalogues.nace
    return {
        nace.ancestor_at(code, DIVISION)
        for priority in strategy.priorities
        for code in priority.nace_codes
        if nace.level(code) >= DIVISION
    }


def _clusters(strategy: S3Strategy | None) -> set[str]:
    return {c for p in strategy.priorities for c in p.cluster_codes} if strategy else set()


def partner_regions(
    session: Session, *, region: str, codes: S3Codes, top: int = 20
) -> list[PartnerRegion]:
    """Regions ranked as S3 partners of ``region``, each with its reasons.

    Raises
    ------
    NotFound
        If the region has no stored strategy (there is nothing to share or complement).
    """
    code = region.strip().upper()
    strategies = latest_strategies(session)
    ours = strategies.get(code)
    if ours is None:
        raise NotFound(f"no S3 strategy of {code} is stored; partner regions are found from "
                       "its priorities")  # fmt: skip
    strength = own_strength(session, code)
    strong = _strong_everywhere(session, strength)
    gaps = _clusters(ours) - set(strength.own)
    together = _partnership_peers(session, code)
    name = codes.mapping.name
    nace = codes.catalogues.nace
    candidates = (set(strategies) | set(strong) | set(together)) - {code}
    our_clusters, our_divisions = _clusters(ours), _divisions(ours, codes)
    found = []
    for other in sorted(candidates):
        theirs = strategies.get(other)
        reasons = [
            Reason(kind="shared_cluster", code=c, name=name(c),
                   text=f"both prioritise {name(c)}")
            for c in sorted(our_clusters & _clusters(theirs), key=lambda c: (len(c), c))
        ] + [
            Reason(kind="shared_nace", code=d, name=nace.name(d),
                   text=f"both have NACE division {d} ({nace.name(d)}) among their priorities")
            for d in sorted(our_divisions & (_divisions(theirs, codes) if theirs else set()))
        ] + [
            Reason(kind="complementary_strength", code=c, name=name(c),
                   text=f"{other} has a strong {name(c)} cluster ({_why(strong[other][c])}), "
                        f"where {code} has a priority without a cluster base")
            for c in sorted(gaps & set(strong.get(other, {})), key=lambda c: (len(c), c))
        ] + [
            Reason(kind="shared_partnership", code=p, name=p,
                   text=f"both are in the thematic S3 partnership {p}")
            for p in together.get(other, [])
        ]  # fmt: skip
        if not reasons:
            continue
        count = {kind: sum(r.kind == kind for r in reasons) for kind in WEIGHTS}
        found.append(PartnerRegion(
            region_code=other, country=theirs.country if theirs else other[:2],
            score=round(sum(WEIGHTS[k] * n for k, n in count.items()), 3),
            shared_clusters=count["shared_cluster"], shared_nace=count["shared_nace"],
            complementary=count["complementary_strength"],
            synthetic=bool(theirs and theirs.synthetic), reasons=reasons,
        ))  # fmt: skip
    found.sort(key=lambda p: (-p.score, p.region_code))
    return found[:top]


def _why(stars: int) -> str:
    """Why a cell is strong, in words: its stars, or the U.S. rule when it has too few."""
    return f"{stars} stars" if stars >= STRONG_STARS else "strong by the U.S. rule"


def _partnership_peers(session: Session, region: str) -> dict[str, list[str]]:
    """The other regions of each thematic partnership the region is in, with their names."""
    peers: defaultdict[str, list[str]] = defaultdict(list)
    for partnership in list_partnerships(session, region=region):
        for member in partnership.regions:
            if member.region_code != region:
                peers[member.region_code].append(partnership.name)
    return peers


def s3_section(
    session: Session, codes: Callable[[], S3Codes], region: str
) -> RegionComparison | None:
    """The comparison a region page summarises, or None when the region has no strategy (the
    code lists, ``codes()``, are built only when it has one)."""
    if region.strip().upper() not in latest_strategies(session):
        return None
    return compare_region(session, region=region, codes=codes())
