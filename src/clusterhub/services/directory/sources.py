"""Real records for the directory: U.S. cluster organisations and the ESCP-4i partnerships,
and the upsert that every source loader (also ``services.directory.cordis``) shares.

Each loader turns a public data set into profiles (or partnership records) keyed by the
source's own identifier, so loading the same data again changes nothing and a corrected file
updates in place. Nothing is invented: where a source lacks a field (the CMP registry has no
addresses), the profile leaves it empty or says so. The caller's transaction makes each load
all-or-nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, Row, load_yaml, read_rows
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.directory import indexing
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.backfill import embed_missing
from clusterhub.services.directory.schemas import OrganisationInput, ProfileType
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.services.schemas import ImportReport
from clusterhub.store.models import Organisation, Partnership

PARTNERSHIPS_FILE = (
    Path(__file__).resolve().parents[2] / "data" / "partnerships" / "escp4i_2018.yaml"
)
#: Keys or ids per ``IN (...)`` list: SQLite binds at most 999 parameters per statement.
CHUNK = 900
_CMP_COLUMNS = ("org_id", "org_title", "cluster_name")
_ORGANISATIONS = cast(Table, Organisation.__table__)


def upsert_records(
    session: Session,
    *,
    records: Sequence[OrganisationInput],
    facts: dict[str, dict[str, Any]],
    source: str,
    catalogues: Catalogues,
    embedder: Embedder | None,
    progress: indexing.Progress | None,
) -> ImportReport:
    """Upsert a source's validated profiles, store their source figures (``facts``, by key)
    and embed the source's profiles that still lack an embedding; the report of it all."""
    created, updated, unchanged = directory.upsert_profiles(
        session,
        records=records,
        source=source,
        catalogues=catalogues,
        embedder=embedder,
        progress=progress,
    )
    _set_facts(session, facts)
    embedded = (
        embed_missing(
            session, source=source, catalogues=catalogues, embedder=embedder, progress=progress
        )
        if embedder is not None
        else 0
    )
    return ImportReport(
        source=source,
        rows=len(records),
        created=created,
        updated=updated,
        unchanged=unchanged,
        extra={"embeddings added for unchanged profiles": embedded} if embedded else {},
    )


def _set_facts(session: Session, facts: dict[str, dict[str, Any]]) -> None:
    """Store each profile's source figures (not an editable field, so not in the upsert)."""
    table = _ORGANISATIONS
    keys = list(facts)
    stale: list[dict[str, Any]] = []
    for start in range(0, len(keys), CHUNK):
        rows = session.execute(
            select(table.c.id, table.c.key, table.c.facts).where(
                table.c.key.in_(keys[start : start + CHUNK])
            )
        )
        stale.extend(
            {"b_id": row.id, "b_facts": facts[row.key]}
            for row in rows
            if row.facts != facts[row.key]
        )
    if stale:
        statement = update(table).where(table.c.id == bindparam("b_id"))
        session.execute(statement.values(facts=bindparam("b_facts")), stale)
        session.expire_all()


# --- U.S. Cluster Mapping Project registry ------------------------------------------------------


def load_cmp_organisations(
    session: Session,
    *,
    path: Path,
    catalogues: Catalogues,
    embedder: Embedder | None,
    by: Actor,
    progress: indexing.Progress | None = None,
) -> ImportReport:
    """The CMP registry's cluster organisations (``org_id,org_title,cluster_name``), one profile
    per ``org_id`` with every category it is listed under.

    The registry repeats rows, and lists some organisations under *local* clusters, which the
    51-category traded taxonomy does not have: those names are kept as keywords and counted in
    the report's ``extra`` (as ``local category: <name>``).
    """
    titles, categories, rows = _read_cmp(path, catalogues)
    records: list[OrganisationInput] = []
    facts: dict[str, dict[str, Any]] = {}
    unmapped: Counter[str] = Counter()
    for org_id, title in titles.items():
        names = categories[org_id]
        codes = [c for n in names if (c := catalogues.cluster_code(n))]
        local = [n for n in names if catalogues.cluster_code(n) is None]
        unmapped.update(local)
        key = f"cmp:{org_id}"
        records.append(
            directory.validate(
                {
                    "key": key,
                    "profile_type": ProfileType.CLUSTER_ORGANISATION,
                    "name": title,
                    "country": "US",
                    "cluster_codes": codes,
                    "keywords": local,
                    "description": (
                        "Cluster organisation listed in the U.S. Cluster Mapping Project's "
                        f"registry (organisation {org_id}) under: {'; '.join(names)}."
                    ),
                },
                catalogues,
                file=path.name,
            )
        )
        facts[key] = {"cmp_org_id": int(org_id), "cmp_categories": names}
    report = upsert_records(
        session,
        records=records,
        facts=facts,
        source="cmp-orgs",
        catalogues=catalogues,
        embedder=embedder,
        progress=progress,
    )
    report.extra |= {
        "file rows": rows,
        "repeated rows skipped": rows - sum(len(v) for v in categories.values()),
        **{f"local category: {name}": count for name, count in sorted(unmapped.items())},
    }
    audit.record_import(
        session, by=by, action="directory.import", entity_type="organisation", report=report,
        file=path.name,
    )  # fmt: skip
    return report


def _read_cmp(
    path: Path, catalogues: Catalogues
) -> tuple[dict[str, str], dict[str, list[str]], int]:
    """Titles and category names (first-seen order, no repeats) per ``org_id``; the row count.

    The published registry does not end with a line break, so the shared reader is told not
    to require one; a cut inside the last row's last field is caught instead by requiring that
    row's category to be one the taxonomy or another row names.
    """
    titles: dict[str, str] = {}
    categories: dict[str, list[str]] = {}
    problems = ProblemList()
    file = read_rows(
        path,
        name=path.name,
        problems=problems,
        expected=",".join(_CMP_COLUMNS),
        final_newline=False,
    )
    if tuple(file.header) != _CMP_COLUMNS:
        raise InvalidInput.single(
            f"expected the columns {','.join(_CMP_COLUMNS)}", file=path.name, line=1
        )
    for row in file.rows:
        org_id, title, name = (cell.strip() for cell in row.cells)
        if not org_id.isdigit() or not title or not name:
            problems.append(
                Problem("expected org_id (digits), org_title and cluster_name", path.name, row.line)
            )
            continue
        if titles.setdefault(org_id, title) != title:
            problems.append(
                Problem(f"org_id {org_id} has two titles", path.name, row.line, "org_title", title)
            )
        listed = categories.setdefault(org_id, [])
        if name not in listed:
            listed.append(name)
    if file.rows and not file.terminated and file.rows[-1].line == file.lines:
        _check_last_category(file.rows, catalogues, problems, path.name)
    problems.raise_if_any(f"{path.name}: unusable rows")
    return titles, categories, len(file.rows)


def _check_last_category(
    rows: Sequence[Row], catalogues: Catalogues, problems: ProblemList, file: str
) -> None:
    """A last line without a line break may be cut inside its category name."""
    last = rows[-1].cells[2].strip()
    named = catalogues.cluster_code(last) is not None or any(
        row.cells[2].strip() == last for row in rows[:-1]
    )
    if not named:
        problems.append(
            Problem(
                "the last line has no line break and its category is neither a cluster of the "
                "taxonomy nor named on another row: the file may have been cut short",
                file,
                rows[-1].line,
                "cluster_name",
                last,
            )
        )


# --- ESCP-4i partnerships -----------------------------------------------------------------------


def load_partnerships(
    session: Session, *, by: Actor, path: Path = PARTNERSHIPS_FILE
) -> ImportReport:
    """The partnership records of a YAML file (by default the 23 ESCP-4i partnerships of
    2018-2019), created or updated by key ``escp4i:{acronym in lower case}``.

    The seed slide names no member organisations, so no memberships are recorded.
    """
    document = _partnerships_file(path)
    wanted = [
        _partnership_values(document, sector, acronym)
        for sector in document.sectors
        for acronym in sector.partnerships
    ]
    existing = {
        p.key: p
        for p in session.scalars(
            select(Partnership).where(Partnership.key.in_([w["key"] for w in wanted]))
        )
    }
    created = updated = 0
    for values in wanted:
        current = existing.get(values["key"])
        if current is None:
            session.add(Partnership(**values))
            created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            updated += 1
    session.flush()
    report = ImportReport(
        source="partnerships",
        rows=len(wanted),
        created=created,
        updated=updated,
        unchanged=len(wanted) - created - updated,
    )
    audit.record_import(
        session, by=by, action="partnerships.import", entity_type="partnership", report=report,
        file=path.name,
    )  # fmt: skip
    return report


def partnership_key(acronym: str) -> str:
    """A URL-safe stable key: ``escp4i:`` and the acronym in lower case, spaces as hyphens."""
    slug = acronym.replace("²", "2").lower().replace(" ", "-")
    return f"escp4i:{slug}"


class _Sector(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    cluster_codes: list[str | int]
    partnerships: list[str] = Field(min_length=1)


class _PartnershipsFile(BaseModel):
    """The partnerships YAML: checked whole, so a missing or misspelt key is named."""

    model_config = ConfigDict(extra="forbid")

    programme: str = Field(max_length=200)
    source: str = Field(max_length=200)
    start_year: int = Field(ge=1950, le=2100)
    end_year: int = Field(ge=1950, le=2100)
    sectors: list[_Sector] = Field(min_length=1)


def _partnerships_file(path: Path) -> _PartnershipsFile:
    document = load_yaml(
        path, name=path.name, expected="programme, source, start_year, end_year and sectors"
    )
    try:
        return _PartnershipsFile.model_validate(document)
    except ValidationError as error:
        problems = [
            Problem(e["msg"], path.name, field=".".join(str(p) for p in e["loc"]) or None)
            for e in error.errors()
        ]
        raise InvalidInput(problems, summary=f"{path.name}: not a partnerships file") from None


def _partnership_values(
    document: _PartnershipsFile, sector: _Sector, acronym: str
) -> dict[str, Any]:
    return {
        "key": partnership_key(acronym),
        "name": acronym,
        "acronym": acronym,
        "programme": document.programme,
        "sectors": [sector.name],
        "cluster_codes": [str(c) for c in sector.cluster_codes],
        "start_year": document.start_year,
        "end_year": document.end_year,
        "description": (
            f"{acronym}: one of the 23 EU 'Clusters Go International' partnerships of "
            f"{document.start_year}-{document.end_year}, in the sector group "
            f"'{sector.name}'. The source names the partnership by its acronym only and "
            "lists no member organisations."
        ),
        "website": None,
        "source": document.source,
    }
