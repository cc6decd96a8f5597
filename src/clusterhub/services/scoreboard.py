"""Regional Ecosystem Scoreboard use cases: a region's scorecard with peers and bottlenecks,
and importing indicator values from user files or Eurostat downloads.

The rules (normalisation, composites, peers, bottlenecks) are ``stats.scoreboard``'s; this
module gathers their inputs from the database and shapes the answer
(``scoreboard_schemas``). See docs/methodology/scoreboard.md.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clusterhub.classify.indicators import (
    EurostatSource,
    Indicator,
    IndicatorCatalogue,
    default_catalogue,
)
from clusterhub.config import Settings
from clusterhub.datasets import ProgressCallback, eurostat_dataset, fetch
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services import audit
from clusterhub.services.accounts import Role, UserPublic, require
from clusterhub.services.reference import ReferenceData
from clusterhub.services.scoreboard_data import store_values, stored_values
from clusterhub.services.scoreboard_schemas import (
    DimensionScore,
    ImportResult,
    IndicatorScore,
    PeerPublic,
    ScorecardPublic,
    SubdimensionScore,
)
from clusterhub.stats.indicator_sources import read_eurostat_indicator, read_indicator_csv
from clusterhub.stats.scoreboard import PeerOptions, ScoreOptions, default_peers, scorecard
from clusterhub.store.models import ClusterMetric, Dataset, Region

MAX_PEERS = 5
_NUTS = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")
PEER_RULE = (
    "default peers: the 5 regions of the same NUTS level closest in cluster portfolio and size, "
    "distance (1 - cosine of cluster employment shares) + 0.1 x |log2 of the size ratio|"
)


def region_scorecard(
    session: Session,
    *,
    code: str,
    peers: Sequence[str] | None = None,
    options: ScoreOptions | None = None,
    catalogue: IndicatorCatalogue | None = None,
) -> ScorecardPublic:
    """The scorecard of region ``code``: dimension scores, peers (``peers`` or the default
    rule) and bottlenecks.

    Raises
    ------
    NotFound
        A code no loaded data set and no indicator value knows (close matches suggested).
    InvalidInput
        More than 5 peers, or a peer that is not a region of the same NUTS level with data.
    """
    options = options or ScoreOptions()
    catalogue = catalogue or default_catalogue()
    code = code.strip().upper()
    values = stored_values(session)
    _require_known(session, code, values)
    level = len(code) - 2
    regions = _level_regions(session, values, level)
    chosen = _user_peers(peers, code, regions) if peers else None
    notes: list[str] = []
    peer_frame = None if chosen is not None else _default_peers(session, code, values, regions)
    if peer_frame is not None and peer_frame.is_empty():
        notes.append(
            "no default peers: the region has no cluster employment to compare; "
            "choose up to 5 peers"
        )
    card = scorecard(
        values.drop("source"),
        catalogue.frame(),
        region=code,
        regions=regions,
        peers=chosen or [] if peer_frame is None else peer_frame["region_code"].to_list(),
        options=options,
    )
    names = _names(session, [code, *card.peers])
    if card.indicators.is_empty():
        notes.append("no indicator value for this region yet: load indicator files")
    return ScorecardPublic(
        region=code,
        name=names.get(code),
        level=f"nuts{level}",
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


def _require_known(session: Session, code: str, values: pl.DataFrame) -> None:
    if not _NUTS.match(code):
        raise InvalidInput.single(
            "the scoreboard covers NUTS regions; expected a NUTS code such as DE11",
            field="code",
            value=code,
        )
    types = set(session.scalars(select(Region.region_type).where(Region.code == code)))
    if (
        types
        and not any(t.startswith("nuts") for t in types)
        and code not in set(values["region_code"])
    ):
        raise InvalidInput.single(
            f"the scoreboard covers NUTS regions; {code} is a {', '.join(sorted(types))}",
            field="code",
            value=code,
        )
    if not types and code not in set(values["region_code"]):
        pool = set(values["region_code"]) | set(session.scalars(select(Region.code).distinct()))
        close = difflib.get_close_matches(code, sorted(pool), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFound(f"no region {code!r} in the scoreboard or a loaded data set{hint}")


def _level_regions(session: Session, values: pl.DataFrame, level: int) -> list[str]:
    """Regions of one NUTS level: those of loaded data sets and those with own values."""
    in_data = session.scalars(
        select(Region.code).where(Region.region_type == f"nuts{level}").distinct()
    ).all()
    own = values.filter(
        ~pl.col("country_level") & (pl.col("region_code").str.len_chars() == level + 2)
    )["region_code"]
    return sorted(set(in_data) | set(own))


def _user_peers(peers: Sequence[str], code: str, regions: list[str]) -> list[str]:
    chosen = [p.strip().upper() for p in peers if p.strip()]
    chosen = [p for p in dict.fromkeys(chosen) if p != code]
    if len(chosen) > MAX_PEERS:
        raise InvalidInput.single(
            f"at most {MAX_PEERS} peers", field="peers", value=",".join(chosen)
        )
    known = set(regions)
    problems = [p for p in chosen if p not in known]
    if problems:
        raise InvalidInput.single(
            f"not a NUTS {len(code) - 2} region of a loaded data set or with indicator values; "
            "peers must be of the region's NUTS level",
            field="peers",
            value=",".join(problems),
        )
    return chosen


def _default_peers(
    session: Session, code: str, values: pl.DataFrame, regions: list[str]
) -> pl.DataFrame:
    """The default rule on the cluster map of the first data set holding ``code``."""
    dataset = session.scalar(
        select(Dataset.id).join(Region).where(Region.code == code).order_by(Dataset.id).limit(1)
    )
    level = f"nuts{len(code) - 2}"
    year = session.scalar(
        select(func.max(ClusterMetric.year)).where(
            ClusterMetric.dataset_id == dataset, ClusterMetric.region_code == code
        )
    )
    rows = session.execute(
        select(
            ClusterMetric.region_code,
            ClusterMetric.cluster_code,
            ClusterMetric.employment,
            ClusterMetric.region_total,
        ).where(
            ClusterMetric.dataset_id == dataset,
            ClusterMetric.year == year,
            ClusterMetric.region_type == level,
        )
    ).all()
    portfolio = pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "region_code": pl.String,
            "cluster_code": pl.String,
            "employment": pl.Float64,
            "total": pl.Float64,
        },
        orient="row",
    )
    with_values = set(values["region_code"])
    candidates = [r for r in regions if r in with_values or r[:2] in with_values]
    return default_peers(portfolio, code, candidates=candidates, options=PeerOptions(k=MAX_PEERS))


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
                **{
                    k: row[k]
                    for k in (
                        "year",
                        "value",
                        "score",
                        "country_level",
                        "peer_median_score",
                        "peer_median_value",
                    )
                },
            )
        )
    return records


# --- imports ----------------------------------------------------------------------------------


def import_indicator_file(
    session: Session,
    path: Path,
    *,
    reference: ReferenceData,
    catalogue: IndicatorCatalogue | None = None,
) -> ImportResult:
    """Import a user file ``region,indicator,year,value``: every row or none.

    Indicators computed by clusterhub are not importable (they would be overwritten on the
    next reload); country-level indicators take country codes.
    """
    catalogue = catalogue or default_catalogue()
    levels = {i.code: i.level for i in catalogue.indicators if i.origin != "computed"}
    known = set(reference.regions.frame["code"].to_list()) | set(
        session.scalars(select(Region.code).distinct())
    )
    values = read_indicator_csv(path, levels=levels, regions=known)
    return _stored(session, values, f"user:{path.name}", path)


def import_eurostat_file(
    session: Session, path: Path, *, indicator: str, catalogue: IndicatorCatalogue | None = None
) -> ImportResult:
    """Import one catalogue indicator from an official Eurostat TSV or SDMX-CSV download."""
    item, source = _eurostat_item(indicator, catalogue or default_catalogue())
    values = read_eurostat_indicator(
        path, filters=source.filters, country_level=item.level == "country"
    ).with_columns(indicator=pl.lit(indicator))
    return _stored(session, values, f"eurostat:{source.dataset}:{path.name}", path)


def fetch_eurostat_indicator(
    session: Session,
    *,
    indicator: str,
    settings: Settings,
    progress: ProgressCallback | None = None,
    catalogue: IndicatorCatalogue | None = None,
) -> ImportResult:
    """Import a catalogue indicator from its Eurostat data set, taken from the mirror
    (``eu/eurostat/<dataset>.tsv.gz``), the cache, or downloaded once from Eurostat."""
    catalogue = catalogue or default_catalogue()
    _item, source = _eurostat_item(indicator, catalogue)
    path = fetch(eurostat_dataset(source.dataset), settings, progress=progress)
    return import_eurostat_file(session, path, indicator=indicator, catalogue=catalogue)


def _eurostat_item(
    indicator: str, catalogue: IndicatorCatalogue
) -> tuple[Indicator, EurostatSource]:
    item = catalogue.get(indicator)
    if item is None or item.eurostat is None:
        eurostat = sorted(i.code for i in catalogue.indicators if i.eurostat is not None)
        raise InvalidInput.single(
            f"not a Eurostat indicator of the catalogue; expected one of {', '.join(eurostat)}",
            field="indicator",
            value=indicator,
        )
    return item, item.eurostat


def _stored(session: Session, values: pl.DataFrame, source: str, path: Path) -> ImportResult:
    rows = store_values(session, values, source[:200])
    return ImportResult(
        file=path.name,
        source=source,
        rows=rows,
        indicators=sorted(values["indicator"].unique().to_list()),
        regions=values["region_code"].n_unique(),
    )


#: Columns of the scorecard as a table (CSV / XLSX downloads, ``clusterhub scoreboard --csv``).
SCORECARD_COLUMNS = [
    "region", "kind", "code", "name", "dimension", "year", "value", "unit", "score",
    "peer_median", "country_level", "bottleneck", "drivers", "note",
]  # fmt: skip


def scorecard_rows(card: ScorecardPublic) -> list[dict[str, object]]:
    """The scorecard flattened: one row per dimension, then one per indicator, with the
    country-level flag on each indicator row (and the share on dimension rows' note)."""
    rows: list[dict[str, object]] = [
        {
            "region": card.region, "kind": "dimension", "code": d.code, "name": d.name,
            "dimension": d.code, "year": None, "value": None, "unit": card.method,
            "score": d.score, "peer_median": d.peer_median,
            "country_level": d.country_level_only, "bottleneck": d.bottleneck,
            "drivers": " ".join(d.drivers), "note": d.note,
        }
        for d in card.dimensions
    ]  # fmt: skip
    rows += [
        {
            "region": card.region, "kind": "indicator", "code": i.code, "name": i.name,
            "dimension": i.dimension, "year": i.year, "value": i.value, "unit": i.unit,
            "score": i.score, "peer_median": i.peer_median_score,
            "country_level": i.country_level, "bottleneck": None, "drivers": "", "note": None,
        }
        for i in card.indicators
    ]  # fmt: skip
    return rows


#: Largest indicator file accepted from the web (a full Eurostat TSV of one data set fits).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
IMPORT_ROLE = Role.PROGRAMME_OFFICER


def import_upload(
    session: Session,
    *,
    actor: UserPublic | None,
    name: str,
    content: bytes,
    reference: ReferenceData,
    eurostat: str | None = None,
) -> ImportResult:
    """Import a file sent over the web: programme officers and site admins only, all or
    nothing, recorded in the audit log. Problems name the uploaded file, not a server path.

    Raises
    ------
    PermissionDenied
        Not logged in, or below the programme officer role.
    InvalidInput
        An empty or too large file, or what the import refuses.
    """
    user = require(session, actor=actor, minimum=IMPORT_ROLE)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name or "upload.csv").name)[:100] or "upload.csv"
    if not content or len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput.single(
            f"expected a non-empty file of at most {MAX_UPLOAD_BYTES // 2**20} MB",
            file=safe,
            field="file",
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / safe
        path.write_bytes(content)
        try:
            result = (
                import_eurostat_file(session, path, indicator=eurostat)
                if eurostat
                else import_indicator_file(session, path, reference=reference)
            )
        except InvalidInput as exc:
            raise InvalidInput(
                [replace(p, file=safe) if p.file else p for p in exc.problems],
                summary=exc.summary.replace(str(path), safe),
            ) from None
    audit.record(
        session,
        actor_id=user.id,
        action="scoreboard.import",
        entity_type="indicator_values",
        entity_id=result.source,
        details={"rows": result.rows, "indicators": result.indicators},
    )
    return result
