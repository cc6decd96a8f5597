"""Scoreboard indicator imports: user files (``region,indicator,year,value``), official
Eurostat downloads (a file, or the data set fetched by code) and web uploads.

Every import is all-or-nothing (the readers in ``stats.indicator_sources`` refuse a file with
any problem), is recorded in the audit log ``by`` whoever ran it, carries codes of earlier NUTS
versions to NUTS 2021 (each value saying how, see ``docs/methodology/nuts-recoding.md``), and
says which of its region codes the scorecards will not compare (``scoreboard.comparison_pool``:
codes outside the loaded data).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.classify.indicators import (
    EurostatSource,
    Indicator,
    IndicatorCatalogue,
    default_catalogue,
)
from clusterhub.classify.nuts_versions import VERSIONS
from clusterhub.config import Settings
from clusterhub.datasets import ProgressCallback, eurostat_dataset, fetch
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.audit import Actor
from clusterhub.services.reference import ReferenceData
from clusterhub.services.scoreboard.data import store_values
from clusterhub.services.scoreboard.schemas import ImportResult
from clusterhub.services.scoreboard.scorecards import comparison_pool
from clusterhub.services.uploads import saved_upload
from clusterhub.stats.indicator_sources import read_eurostat_indicator, read_indicator_csv
from clusterhub.stats.nuts_recode import INDICATOR_RECODES, recode_indicator_values
from clusterhub.store.models import Region


def import_indicator_file(
    session: Session,
    path: Path,
    *,
    reference: ReferenceData,
    by: Actor,
    catalogue: IndicatorCatalogue | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import a user file ``region,indicator,year,value``: every row or none. ``name`` is
    the file's name for the record and messages (an upload's sent name), default its own.

    Indicators computed by clusterhub are not importable (they would be overwritten on the
    next reload); country-level indicators take country codes.
    """
    _require_file(path)
    catalogue = catalogue or default_catalogue()
    levels = {i.code: i.level for i in catalogue.indicators if i.origin != "computed"}
    values = read_indicator_csv(path, levels=levels, regions=_known_codes(session, reference))
    values = _recoded(values, reference)
    return _stored(session, values, f"user:{name or path.name}", name or path.name, by)


def import_eurostat_file(
    session: Session,
    path: Path,
    *,
    indicator: str,
    reference: ReferenceData,
    by: Actor,
    catalogue: IndicatorCatalogue | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import one catalogue indicator from an official Eurostat TSV or SDMX-CSV download.

    Geo codes are checked against the NUTS catalogue and the loaded data sets like a user
    file's; aggregates and Extra-Regio rows are skipped and counted in the result.
    """
    item, source = _eurostat_item(indicator, catalogue or default_catalogue())
    _require_file(path)
    read = read_eurostat_indicator(
        path,
        filters=source.filters,
        country_level=item.level == "country",
        regions=_known_codes(session, reference),
    )
    values = _recoded(read.values.with_columns(indicator=pl.lit(indicator)), reference)
    label = name or path.name
    result = _stored(session, values, f"eurostat:{source.dataset}:{label}", label, by)
    return result.model_copy(
        update={"skipped_aggregates": read.aggregates, "skipped_extra_regio": read.extra_regio}
    )


def fetch_eurostat_indicator(
    session: Session,
    *,
    indicator: str,
    settings: Settings,
    reference: ReferenceData,
    by: Actor,
    progress: ProgressCallback | None = None,
    catalogue: IndicatorCatalogue | None = None,
) -> ImportResult:
    """Import a catalogue indicator from its Eurostat data set, taken from the mirror
    (``eu/eurostat/<dataset>.tsv.gz``), the cache, or downloaded once from Eurostat."""
    catalogue = catalogue or default_catalogue()
    _item, source = _eurostat_item(indicator, catalogue)
    path = fetch(eurostat_dataset(source.dataset), settings, progress=progress)
    return import_eurostat_file(
        session, path, indicator=indicator, reference=reference, by=by, catalogue=catalogue
    )


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


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise NotFound(f"no file {path}")


def _known_codes(session: Session, reference: ReferenceData) -> set[str]:
    """Codes a file may use: the NUTS 2021 catalogue, the regions of loaded data sets and the
    codes of every earlier NUTS version (recoded to NUTS 2021 by ``_recoded``)."""
    history = reference.nuts_history
    return (
        set(reference.regions.frame["code"].to_list())
        | set(session.scalars(select(Region.code).distinct()))
        | {code for version in VERSIONS for code in history.codes(version)}
    )


def _recoded(values: pl.DataFrame, reference: ReferenceData) -> pl.DataFrame:
    """The values with those under codes of earlier NUTS versions carried to NUTS 2021
    (``stats.nuts_recode.recode_indicator_values``), each saying how in ``nuts_recode``."""
    regional = values.filter(~pl.col("country_level"))["region_code"].unique().to_list()
    known = set(reference.regions.frame["code"].to_list())
    old = [code for code in regional if code not in known]
    pieces = reference.nuts_history.pieces_into_current(old)
    return recode_indicator_values(values, pieces)


def _stored(
    session: Session, values: pl.DataFrame, source: str, name: str, by: Actor
) -> ImportResult:
    """Store ``values``, record the import, and say which region codes the scorecards will
    not compare."""
    rows = store_values(session, values, source[:200])
    methods = (
        values["nuts_recode"].drop_nulls().to_list() if "nuts_recode" in values.columns else []
    )
    recoded = {
        kind: n for kind in INDICATOR_RECODES if (n := sum(m.startswith(kind) for m in methods))
    }
    pool = comparison_pool(session)
    regional = values.filter(~pl.col("country_level"))["region_code"].unique().to_list()
    outside = sorted(code for code in regional if code not in pool.regions)
    indicators = sorted(values["indicator"].unique().to_list())
    audit.record(
        session, actor=by, action="scoreboard.import", entity_type="indicator_values",
        entity_id=source[:128], details={"file": name, "rows": rows, "indicators": indicators},
    )  # fmt: skip
    return ImportResult(
        file=name,
        source=source,
        rows=rows,
        indicators=indicators,
        regions=values["region_code"].n_unique(),
        nuts_version=pool.nuts_version,
        not_compared=outside,
        recoded=recoded,
        recoded_summary=_recoded_summary(recoded),
    )


_RECODE_WORDS = {
    "recode": "code changes (exact)",
    "split": "parts of a split region (its value kept: estimate)",
    "mean": "merged regions (population-weighted mean: estimate)",
}


def _recoded_summary(recoded: dict[str, int]) -> str | None:
    """ "12 values given under earlier NUTS codes were stored under NUTS 2021 codes: 9 code
    changes (exact), 3 parts of a split region (its value kept: estimate)." or None."""
    if not recoded:
        return None
    parts = ", ".join(f"{n} {_RECODE_WORDS[kind]}" for kind, n in recoded.items())
    total = sum(recoded.values())
    plural = "s" if total != 1 else ""
    return (
        f"{total} value{plural} stored under NUTS 2021 codes for codes of an earlier NUTS "
        f"version: {parts}."
    )


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
    by = Actor.of_user(require(session, actor=actor, minimum=IMPORT_ROLE).id)
    with saved_upload(name, content, limit=MAX_UPLOAD_BYTES) as (path, safe):
        if eurostat:
            return import_eurostat_file(
                session, path, indicator=eurostat, reference=reference, by=by, name=safe
            )
        return import_indicator_file(session, path, reference=reference, by=by, name=safe)
