"""Scoreboard indicator values in the database: the ones clusterhub computes from its own data
(Horizon 2020 participations, SBS sector structure), and user or Eurostat files imported.

Values are stored once, keyed by region x indicator x year (``store.models.IndicatorValue``);
an import replaces the keys it carries and nothing else, in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.classify.countries import normalise_country
from clusterhub.errors import InvalidInput
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.directory import cordis_export
from clusterhub.services.directory.cordis import cordis_inputs, read_flattened
from clusterhub.services.observatory.analytics import read_industry_source
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.cells import fill_missing
from clusterhub.stats.ecosystem import (
    MIN_COVERAGE,
    business_totals,
    cordis_country_indicators,
    sector_shares,
)
from clusterhub.stats.indicator_sources import INDICATOR_VALUES
from clusterhub.store import generations
from clusterhub.store.models import IndicatorValue

COMPUTED = "computed:"
SBS_SOURCE = "computed:eurostat-sbs"
CORDIS_SOURCE = "computed:cordis-h2020"


@dataclass(frozen=True)
class ComputedIndicators:
    """Indicator values clusterhub derives itself, and what a reader must know about them."""

    sbs: pl.DataFrame
    cordis: pl.DataFrame
    notes: tuple[str, ...]


def compute_indicators(reference: ReferenceData) -> ComputedIndicators:
    """Sector shares per region from SBS and Horizon 2020 intensity per country from CORDIS.

    SBS cells are filled by the engine's parent-residual rule (as for the cluster map); cells
    still missing are unknown. Both the shares and the CORDIS intensities divide by the
    published SBS business-economy total (``stats.ecosystem.business_totals``): a share is
    left unknown when its region's known cells cover too little of it, and a country whose
    total is not fully published gets no CORDIS value (named in the notes) rather than a
    denominator that silently omits its unknown cells.
    """
    cells, _report = read_industry_source("eurostat-sbs", reference.fetch("eurostat-sbs"))
    nace = reference.nace
    filled, _fill = fill_missing(cells, "parent-residual", industry_parent=nace.parent)
    codes = set(filled["industry_code"].unique().to_list())
    divisions = [c for c in codes if nace.level(c) == 2]
    # The top cells partition the SBS business economy: sections, and divisions (95) whose
    # section the file does not hold.
    top = {c for c in codes if nace.level(c) == 1} | {
        d for d in divisions if nace.parent(d) not in codes
    }
    section = {d: d if d in top else str(nace.parent(d)) for d in divisions}
    division_cells = filled.filter(pl.col("industry_code").is_in(divisions)).with_columns(
        section=pl.col("industry_code").replace_strict(section, return_dtype=pl.String)
    )
    published = cells.filter(pl.col("industry_code").is_in(sorted(top))).select(
        "region_code", "year", pl.col("industry_code").alias("section"), "employment"
    )
    totals = business_totals(division_cells, published)
    sbs = sector_shares(division_cells, totals)
    latest = int(division_cells["year"].max())  # type: ignore[arg-type]
    national = totals.filter(
        (pl.col("region_code").str.len_chars() == 2) & (pl.col("year") == latest)
    )
    employment = national.filter(pl.col("coverage") == 1.0).select(
        pl.col("region_code").alias("country"), pl.col("total").alias("employment")
    )
    incomplete = sorted(set(national["region_code"]) - set(employment["country"]))
    participations = _participations(reference)
    year = int(participations["start_year"].max())  # type: ignore[arg-type]
    cordis = cordis_country_indicators(participations, employment, year=year)
    without = sorted(
        set(participations["country"].drop_nulls()) - set(employment["country"]) - set(incomplete)
    )
    notes = (
        f"SBS sector shares: {sbs['region_code'].n_unique()} regions, year {latest}; a share "
        f"is unknown where its divisions are, or known cells cover under "
        f"{MIN_COVERAGE:.0%} of the business economy",
        f"Horizon 2020: {participations.height} participations, {cordis['region_code'].n_unique()}"
        f" countries with SBS employment {latest}; {len(without)} countries without SBS data "
        "get no value",
        "Horizon 2020: no value for "
        + (", ".join(incomplete) or "no country")
        + f": their SBS {latest} business-economy total is not fully published",
        "CORDIS has no SME flag in the mirror's participation table: private companies (PRC) "
        "of every size are counted",
    )
    return ComputedIndicators(sbs=sbs, cordis=cordis, notes=notes)


def _participations(reference: ReferenceData) -> pl.DataFrame:
    """``country, type, contribution, start_year`` of every Horizon 2020 participation, from the
    mirror's flattened table or the official export; countries in Eurostat spelling."""
    files = cordis_inputs(reference)
    if files.participations_path is not None:
        raw = read_flattened(files.participations_path)
    else:
        assert files.export_path is not None  # cordis_inputs returns one route or raises
        nuts = frozenset(reference.regions.frame["code"].to_list())
        raw = cordis_export.read_export(files.export_path, nuts=nuts).participations
    countries = raw["country"].drop_nulls().unique().to_list()
    spelling = {code: _eurostat_country(code) for code in countries}
    return raw.select(
        pl.col("country").replace_strict(spelling, default=None, return_dtype=pl.String),
        pl.col("type"),
        # "NA" is a missing amount here (and Namibia in the country column: not cast there).
        pl.col("contribution").cast(pl.Float64, strict=False),
        pl.col("start_date").str.slice(0, 4).cast(pl.Int32, strict=False).alias("start_year"),
    )


def _eurostat_country(code: str) -> str | None:
    try:
        return normalise_country(code)
    except InvalidInput:
        return None


def has_computed(session: Session) -> bool:
    """Whether the computed indicators are in the database."""
    found = session.scalar(
        select(IndicatorValue.id).where(IndicatorValue.source.startswith(COMPUTED)).limit(1)
    )
    return found is not None


def load_computed(session: Session, computed: ComputedIndicators) -> int:
    """Replace every computed value with ``computed``; returns the number of rows stored."""
    session.execute(delete(IndicatorValue).where(IndicatorValue.source.startswith(COMPUTED)))
    return store_values(session, computed.sbs, SBS_SOURCE) + store_values(
        session, computed.cordis, CORDIS_SOURCE
    )


def store_values(session: Session, values: pl.DataFrame, source: str) -> int:
    """Store ``INDICATOR_VALUES`` rows under ``source``, replacing rows with the same keys;
    a ``nuts_recode`` column, when there is one, says how recoded values were carried."""
    extra = ["nuts_recode"] if "nuts_recode" in values.columns else []
    rows = values.select([*INDICATOR_VALUES, *extra]).to_dicts()
    keys = [(r["region_code"], r["indicator"], r["year"]) for r in rows]
    for chunk in _chunks(keys, 500):
        session.execute(
            delete(IndicatorValue).where(
                tuple_(
                    IndicatorValue.region_code, IndicatorValue.indicator, IndicatorValue.year
                ).in_(chunk)
            )
        )
    if rows:
        session.execute(insert(IndicatorValue), [{**r, "source": source} for r in rows])
    generations.bump(session, generations.INDICATORS)  # processes re-read (scorecards)
    return len(rows)


def _chunks(items: list[tuple[str, str, int]], size: int) -> Iterable[list[tuple[str, str, int]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored_values(session: Session) -> pl.DataFrame:
    """Every stored value as an ``INDICATOR_VALUES`` frame (with ``source``)."""
    rows = session.execute(
        select(
            IndicatorValue.region_code,
            IndicatorValue.indicator,
            IndicatorValue.year,
            IndicatorValue.value,
            IndicatorValue.country_level,
            IndicatorValue.source,
        )
    ).all()
    schema = {**INDICATOR_VALUES, "source": pl.String}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def ensure_computed(
    factory: sessionmaker[Session],
    reference: ReferenceData,
    *,
    by: Actor,
    reload: bool = False,
) -> bool:
    """Compute and store the computed indicators when they are missing (or with ``reload``),
    in one transaction with its audit entry; returns whether it did (bootstrap calls this on
    every start)."""
    with factory() as session:
        if not reload and has_computed(session):
            return False
    computed = compute_indicators(reference)
    with factory() as session, session.begin():
        rows = load_computed(session, computed)
        audit.record(
            session, actor=by, action="scoreboard.compute", entity_type="indicator_values",
            entity_id="computed", details={"rows": rows},
        )  # fmt: skip
    return True
