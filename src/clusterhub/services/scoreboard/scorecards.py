"""Regional Ecosystem Scoreboard use case: a region's scorecard with peers and bottlenecks,
within one comparison pool (the NUTS regions of the loaded 51-cluster data set).

The rules (normalisation, composites, peers, bottlenecks) are ``stats.scoreboard``'s; this
module gathers their inputs from the database and shapes the answer
(``scoreboard_schemas``). Imports live in ``scoreboard_imports``, the flat table in
``scoreboard_export``. See docs/methodology/scoreboard.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clusterhub.classify import is_extra_regio
from clusterhub.classify.indicators import IndicatorCatalogue, default_catalogue
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.dataset_cache import per_dataset, per_generation
from clusterhub.services.scoreboard.data import stored_values
from clusterhub.services.scoreboard.schemas import (
    DimensionScore,
    IndicatorScore,
    PeerPublic,
    ScorecardPublic,
    SubdimensionScore,
)
from clusterhub.stats.indicator_sources import NUTS_CODE
from clusterhub.stats.scoreboard import (
    INDICATOR_MEASURES,
    LevelScores,
    PeerOptions,
    ScoreOptions,
    default_peers,
    level_scorecard,
    score_level,
)
from clusterhub.store import generations
from clusterhub.store.models import Cluster, ClusterMetric, Dataset, Region

MAX_PEERS = 5
PEER_RULE = (
    "default peers: the 5 regions of the same NUTS level closest in cluster portfolio and size, "
    "distance (1 - cosine of cluster employment shares) + 0.1 x |log2 of the size ratio|"
)
#: Key of the data set whose cluster map sets the comparison pool and the default peers.
PREFERRED_DATASET = "eu-sbs"
NOT_COMPARED = "not compared (code of another NUTS version or not in the loaded statistics)"


@dataclass(frozen=True)
class ComparisonPool:
    """The regions a scorecard compares: the NUTS regions of one loaded cluster data set.

    Scoring one data set's codes keeps one NUTS version: a territory recoded between versions
    (FR71 in NUTS 2013, FRK2 in NUTS 2021) is compared once, under the code its cluster map
    and hence its peers use. Values stored under other codes are kept but not compared.
    """

    dataset_id: int | None
    dataset_key: str | None
    #: The NUTS version of the pool's codes, as the page and the API state it.
    nuts_version: str
    regions: frozenset[str]

    def level(self, level: int) -> list[str]:
        """The pool's regions of one NUTS level."""
        return sorted(r for r in self.regions if len(r) == level + 2)


def comparison_pool(session: Session) -> ComparisonPool:
    """The NUTS regions (no Extra-Regio codes) of the 51-cluster data set: the loaded data set
    with NUTS regions whose clusters are not emerging industries, ``eu-sbs`` if loaded, else
    the first such data set. Without one, the pool is empty (nothing is compared)."""
    emerging = select(Cluster.dataset_id).where(Cluster.kind == "emerging")
    with_nuts = select(Region.dataset_id).where(Region.region_type.startswith("nuts"))
    rows = session.execute(
        select(Dataset.id, Dataset.key)
        .where(Dataset.id.in_(with_nuts), Dataset.id.not_in(emerging))
        .order_by(Dataset.id)
    ).all()
    if not rows:
        return ComparisonPool(
            None, None, "no cluster data set with NUTS regions loaded", frozenset()
        )
    dataset_id, key = next((r for r in rows if r[1] == PREFERRED_DATASET), rows[0])
    regions = session.execute(
        select(Region.code, Region.has_geometry).where(
            Region.dataset_id == dataset_id, Region.region_type.startswith("nuts")
        )
    ).all()
    codes = frozenset(code for code, _ in regions if not is_extra_regio(code))
    outside = sum(1 for code, geometry in regions if code in codes and not geometry)
    if outside == 0:
        version = "NUTS 2021 codes"
    elif key == PREFERRED_DATASET:
        version = f"NUTS 2013 codes, as in Eurostat SBS 2015; {outside} are not in NUTS 2021"
    else:
        version = f"the codes of data set {key}; {outside} are not in NUTS 2021"
    return ComparisonPool(dataset_id, key, version, codes)


def split_peers(peers: str | Sequence[str] | None) -> list[str] | None:
    """Peer codes from ``"A, b"`` or a list: trimmed, upper-cased, in order, without repeats;
    None when there are none (the default rule applies). Both faces use this."""
    parts = peers.split(",") if isinstance(peers, str) else list(peers or [])
    chosen = [p.strip().upper() for p in parts if p.strip()]
    return list(dict.fromkeys(chosen)) or None


def region_scorecard(
    session: Session,
    *,
    code: str,
    peers: str | Sequence[str] | None = None,
    options: ScoreOptions | None = None,
    catalogue: IndicatorCatalogue | None = None,
) -> ScorecardPublic:
    """The scorecard of region ``code``: dimension scores, peers (``peers`` or the default
    rule) and bottlenecks, within the ``comparison_pool``.

    Raises
    ------
    NotFound
        A code no loaded data set and no indicator value knows (close matches suggested).
    InvalidInput
        A code outside the comparison pool (another NUTS version, Extra-Regio), more than 5
        peers, only the region itself as peer, or a peer outside the pool's NUTS level.
    """
    options = options or ScoreOptions()
    code = code.strip().upper()
    values = _values(session)
    pool = comparison_pool(session)
    _require_known(session, code, values, pool)
    level = len(code) - 2
    regions = pool.level(level)
    wanted = split_peers(peers)
    chosen = _user_peers(wanted, code, regions) if wanted is not None else None
    notes: list[str] = []
    peer_frame: pl.DataFrame | None = None
    peer_codes = chosen or []
    if chosen is None:
        peer_frame = _default_peers(session, code, values, regions, pool)
        peer_codes = peer_frame["region_code"].to_list()
        if peer_frame.is_empty():
            notes.append(
                "no default peers: the region has no cluster employment to compare; "
                "choose up to 5 peers"
            )
    scores = _level_scores(session, pool, regions, options, catalogue)
    catalogue = catalogue or default_catalogue()
    card = level_scorecard(scores, catalogue.frame(), region=code, peers=peer_codes)
    names = _names(session, [code, *card.peers])
    if card.indicators.is_empty():
        notes.append("no indicator value for this region yet: load indicator files")
    return ScorecardPublic(
        region=code,
        name=names.get(code),
        level=f"nuts{level}",
        nuts_version=pool.nuts_version,
        method=options.method,
        margin=options.bottleneck_margin,
        compared=card.compared,
        peers=_peer_records(card.peers, chosen, peer_frame, names),
        dimensions=_dimension_records(
            card.assessment, card.dimensions, card.subdimensions, code, catalogue
        ),
        indicators=_indicator_records(card.indicators, catalogue),
        notes=[*notes, PEER_RULE if chosen is None else "peers chosen by the user"],
    )


def _values(session: Session) -> pl.DataFrame:
    """Every stored indicator value, read once per change of the table (not per page)."""
    return per_generation(session, generations.INDICATORS, "values", lambda: stored_values(session))


def _level_scores(
    session: Session,
    pool: ComparisonPool,
    regions: list[str],
    options: ScoreOptions,
    catalogue: IndicatorCatalogue | None,
) -> LevelScores:
    """The scores of every region of a level: the same for each of its scorecards, so kept
    per loaded pool and indicator values (for the default catalogue; another is scored anew)."""

    def build() -> LevelScores:
        frame = (catalogue or default_catalogue()).frame()
        return score_level(_values(session).drop("source"), frame, regions, options)

    if catalogue is not None or generations.INDICATORS in generations.pending(session):
        return build()
    generation = generations.current(session, generations.INDICATORS)
    key = ("level-scores", tuple(regions), options, generation)
    return per_dataset(session, pool.dataset_key or "", key, build)


def _require_known(session: Session, code: str, values: pl.DataFrame, pool: ComparisonPool) -> None:
    if not re.match(NUTS_CODE, code) or is_extra_regio(code):
        raise InvalidInput.single(
            "the scoreboard covers NUTS regions; expected a NUTS code such as DE11",
            field="code",
            value=code,
        )
    if code in pool.regions:
        return
    types = set(session.scalars(select(Region.region_type).where(Region.code == code)))
    if types and not any(t.startswith("nuts") for t in types):
        raise InvalidInput.single(
            f"the scoreboard covers NUTS regions; {code} is a {', '.join(sorted(types))}",
            field="code",
            value=code,
        )
    if types or code in set(values["region_code"]):
        raise InvalidInput.single(
            f"{NOT_COMPARED}: the scoreboard compares the regions of data set "
            f"{pool.dataset_key} ({pool.nuts_version})",
            field="code",
            value=code,
        )
    candidates = set(values["region_code"]) | set(session.scalars(select(Region.code).distinct()))
    close = difflib.get_close_matches(code, sorted(candidates), n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFound(f"no region {code!r} in the scoreboard or a loaded data set{hint}")


def _user_peers(chosen: list[str], code: str, regions: list[str]) -> list[str]:
    """Chosen peers without the region itself; refused when none remain or too many."""
    others = [p for p in chosen if p != code]
    if not others:
        raise InvalidInput.single(
            "a region is not its own peer; give up to 5 other regions (or none for the "
            "default peers)",
            field="peers",
            value=",".join(chosen),
        )
    if len(others) > MAX_PEERS:
        raise InvalidInput.single(
            f"at most {MAX_PEERS} peers", field="peers", value=",".join(others)
        )
    known = set(regions)
    problems = [p for p in others if p not in known]
    if problems:
        raise InvalidInput.single(
            f"not a NUTS {len(code) - 2} region of the compared data set; peers must be of the "
            "region's NUTS level and of the NUTS version the scoreboard compares",
            field="peers",
            value=",".join(problems),
        )
    return others


def _default_peers(
    session: Session, code: str, values: pl.DataFrame, regions: list[str], pool: ComparisonPool
) -> pl.DataFrame:
    """The default rule on the cluster map of the pool's data set (never emerging industries)."""
    level = f"nuts{len(code) - 2}"
    year = session.scalar(
        select(func.max(ClusterMetric.year)).where(
            ClusterMetric.dataset_id == pool.dataset_id, ClusterMetric.region_code == code
        )
    )
    portfolio = per_dataset(
        session,
        pool.dataset_key or "",
        ("portfolio", level, year),
        lambda: _portfolio(session, pool, level, year),
    )
    with_values = set(values["region_code"])
    candidates = [r for r in regions if r in with_values or r[:2] in with_values]
    return default_peers(portfolio, code, candidates=candidates, options=PeerOptions(k=MAX_PEERS))


def _portfolio(
    session: Session, pool: ComparisonPool, level: str, year: int | None
) -> pl.DataFrame:
    """The pool's cluster map of one level and year (the same for every region of the level)."""
    rows = session.execute(
        select(
            ClusterMetric.region_code,
            ClusterMetric.cluster_code,
            ClusterMetric.employment,
            ClusterMetric.region_total,
        ).where(
            ClusterMetric.dataset_id == pool.dataset_id,
            ClusterMetric.year == year,
            ClusterMetric.region_type == level,
        )
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "region_code": pl.String,
            "cluster_code": pl.String,
            "employment": pl.Float64,
            "total": pl.Float64,
        },
        orient="row",
    )


def _names(session: Session, codes: Sequence[str]) -> dict[str, str]:
    rows = session.execute(
        select(Region.code, Region.name).where(
            Region.code.in_(list(codes)), Region.name.is_not(None)
        )
    ).all()
    return {code: name for code, name in rows if name}


def _peer_records(
    peers: Sequence[str],
    chosen: list[str] | None,
    frame: pl.DataFrame | None,
    names: dict[str, str],
) -> list[PeerPublic]:
    facts = {r["region_code"]: r for r in frame.iter_rows(named=True)} if frame is not None else {}
    return [
        PeerPublic(
            code=peer,
            name=names.get(peer),
            chosen_by="user" if chosen is not None else "default",
            similarity=facts.get(peer, {}).get("similarity"),
            size_ratio=facts.get(peer, {}).get("size_ratio"),
        )
        for peer in peers
    ]


def _dimension_records(
    assessment: pl.DataFrame,
    dimensions: pl.DataFrame,
    subdimensions: pl.DataFrame,
    code: str,
    catalogue: IndicatorCatalogue,
) -> list[DimensionScore]:
    mine = {
        r["dimension"]: r
        for r in dimensions.filter(pl.col("region_code") == code).iter_rows(named=True)
    }
    verdict = {r["dimension"]: r for r in assessment.iter_rows(named=True)}
    subs = subdimensions.filter(pl.col("region_code") == code)
    records = []
    for dim in catalogue.dimensions:
        row, judged = mine[dim.code], verdict[dim.code]
        sub_scores = {
            r["subdimension"]: r
            for r in subs.filter(pl.col("dimension") == dim.code).iter_rows(named=True)
        }
        records.append(
            DimensionScore(
                code=dim.code,
                name=dim.name,
                score=row["score"],
                available=row["available"],
                in_use=row["in_use"],
                country_level_share=row["country_level_share"],
                peer_median=judged["peer_median"],
                peers_scored=judged["peers_scored"],
                gap=judged["gap"],
                bottleneck=judged["bottleneck"],
                note=judged["note"],
                drivers=judged["drivers"],
                country_level_only=judged["country_level_only"],
                subdimensions=[
                    SubdimensionScore(
                        code=sub,
                        name=name,
                        score=sub_scores.get(sub, {}).get("score"),
                        available=sub_scores.get(sub, {}).get("available", 0),
                    )
                    for sub, name in dim.subdimensions.items()
                ],
            )
        )
    return records


def _indicator_records(frame: pl.DataFrame, catalogue: IndicatorCatalogue) -> list[IndicatorScore]:
    order = {i.code: n for n, i in enumerate(catalogue.indicators)}
    records = []
    for row in sorted(frame.iter_rows(named=True), key=lambda r: order.get(r["indicator"], 0)):
        item = catalogue.get(row["indicator"])
        if item is None:
            continue
        records.append(
            IndicatorScore(
                code=item.code,
                name=item.name,
                dimension=item.dimension,
                subdimension=item.subdimension,
                unit=item.unit,
                direction=item.direction,
                source=item.source,
                **{k: row[k] for k in INDICATOR_MEASURES},
            )
        )
    return records
