"""Real records for the directory: U.S. cluster organisations, Horizon 2020 partners, ESCP-4i.

Each loader turns a public data set into profiles (or partnership records) keyed by the
source's own identifier, so loading the same data again changes nothing and a corrected file
updates in place. Nothing is invented: where a source lacks a field (CORDIS has no
organisation names, the CMP registry no addresses), the profile leaves it empty or says so.
The caller's transaction makes each load all-or-nothing.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import polars as pl
import yaml
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from clusterhub.classify.countries import country_names
from clusterhub.errors import InvalidInput, Problem
from clusterhub.services import directory, indexing
from clusterhub.services.directory import Catalogues
from clusterhub.services.embeddings import Embedder
from clusterhub.services.schemas import ImportReport, OrganisationInput, ProfileType
from clusterhub.store.models import (
    Organisation,
    OrganisationEmbedding,
    Participation,
    Partnership,
    Project,
)

PARTNERSHIPS_FILE = (
    Path(__file__).resolve().parents[1] / "data" / "partnerships" / "escp4i_2018.yaml"
)
_CMP_COLUMNS = ("org_id", "org_title", "cluster_name")
_CHUNK = 900
_ORGANISATIONS = cast(Table, Organisation.__table__)
_PROJECTS = cast(Table, Project.__table__)
_PARTICIPATIONS = cast(Table, Participation.__table__)


def _upsert(
    session: Session,
    *,
    records: Sequence[OrganisationInput],
    facts: dict[str, dict[str, Any]],
    source: str,
    catalogues: Catalogues,
    embedder: Embedder | None,
    progress: indexing.Progress | None,
) -> ImportReport:
    created, updated, unchanged = directory.upsert_profiles(
        session,
        records=records,
        source=source,
        catalogues=catalogues,
        embedder=embedder,
        progress=progress,
    )
    _set_facts(session, facts)
    embedded = embed_missing(
        session, source=source, catalogues=catalogues, embedder=embedder, progress=progress
    )
    return ImportReport(
        source=source,
        rows=len(records),
        created=created,
        updated=updated,
        unchanged=unchanged,
        extra={"embeddings added for unchanged profiles": embedded} if embedded else {},
    )


def embed_missing(
    session: Session,
    *,
    source: str,
    catalogues: Catalogues,
    embedder: Embedder | None,
    progress: indexing.Progress | None = None,
) -> int:
    """Embed a source's profiles that have no embedding yet (e.g. loaded on first start for
    keyword search only); how many. Upserts embed only what they change, so a re-import
    would otherwise leave them without one."""
    if embedder is None:
        return 0
    embedded = select(OrganisationEmbedding.organisation_id).where(
        OrganisationEmbedding.model == embedder.name
    )
    orgs = session.scalars(
        select(Organisation)
        .where(Organisation.source == source)
        .where(Organisation.id.not_in(embedded))
    ).all()
    indexing.index_profiles(
        session, orgs, catalogues=catalogues, embedder=embedder, progress=progress
    )
    return len(orgs)


def _set_facts(session: Session, facts: dict[str, dict[str, Any]]) -> None:
    """Store each profile's source figures (not an editable field, so not in the upsert)."""
    table = _ORGANISATIONS
    keys = list(facts)
    stale: list[dict[str, Any]] = []
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(table.c.id, table.c.key, table.c.facts).where(
                table.c.key.in_(keys[start : start + _CHUNK])
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
    progress: indexing.Progress | None = None,
) -> ImportReport:
    """The CMP registry's cluster organisations (``org_id,org_title,cluster_name``), one profile
    per ``org_id`` with every category it is listed under.

    The registry repeats rows, and lists some organisations under *local* clusters, which the
    51-category traded taxonomy does not have: those names are kept as keywords and counted in
    the report's ``extra`` (as ``local category: <name>``).
    """
    titles, categories, rows = _read_cmp(path)
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
    report = _upsert(
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
    return report


def _read_cmp(path: Path) -> tuple[dict[str, str], dict[str, list[str]], int]:
    """Titles and category names (first-seen order, no repeats) per ``org_id``; the row count."""
    titles: dict[str, str] = {}
    categories: dict[str, list[str]] = {}
    problems: list[Problem] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != _CMP_COLUMNS:
            raise InvalidInput.single(
                f"expected the columns {','.join(_CMP_COLUMNS)}", file=path.name, line=1
            )
        rows = 0
        for rows, row in enumerate(reader, start=1):
            org_id, title, name = (row[c].strip() for c in _CMP_COLUMNS)
            if not org_id.isdigit() or not title or not name:
                problems.append(
                    Problem(
                        "expected org_id (digits), org_title and cluster_name", path.name, rows + 1
                    )
                )
                continue
            if titles.setdefault(org_id, title) != title:
                problems.append(
                    Problem(
                        f"org_id {org_id} has two titles", path.name, rows + 1, "org_title", title
                    )
                )
            listed = categories.setdefault(org_id, [])
            if name not in listed:
                listed.append(name)
    if problems:
        raise InvalidInput(problems, summary=f"{path.name}: {len(problems)} unusable rows")
    return titles, categories, rows


# --- Horizon 2020 (CORDIS) ----------------------------------------------------------------------


def load_cordis(
    session: Session,
    *,
    participations_path: Path,
    programme_parts_path: Path,
    catalogues: Catalogues,
    embedder: Embedder | None,
    progress: indexing.Progress | None = None,
) -> ImportReport:
    """Every Horizon 2020 participant as a ``project_partner`` profile keyed ``cordis:{pic}``,
    and every project with its participations as the collaboration graph.

    CORDIS publishes no organisation names in this extract, so a profile is named by its
    participant identification code (PIC) and described by what the data says about it.
    """
    data = read_cordis(participations_path, programme_parts_path)
    records = [
        directory.validate(p, catalogues, file=participations_path.name) for p in data.profiles
    ]
    report = _upsert(
        session,
        records=records,
        facts=data.facts,
        source="cordis",
        catalogues=catalogues,
        embedder=embedder,
        progress=progress,
    )
    report.extra |= {**data.counts, **load_cordis_graph(session, data)}
    return report


#: CORDIS organisation types (the ``type`` column), in words.
PARTICIPANT_TYPES = {
    "PRC": "private company",
    "HES": "higher or secondary education establishment",
    "REC": "research organisation",
    "PUB": "public body",
    "OTH": "other organisation",
}
#: Horizon 2020 programme parts (the ``programme_part`` column) and their names in the
#: regulation establishing Horizon 2020 (EU) No 1291/2013: the three pillars' parts, the
#: specific objectives outside them, and the Euratom programme.
PROGRAMME_PARTS = {
    "ERC": "European Research Council",
    "FET": "Future and emerging technologies",
    "MSCA": "Marie Skłodowska-Curie actions",
    "RI": "Research infrastructures",
    "LEIT": "Leadership in enabling and industrial technologies",
    "ARF": "Access to risk finance",
    "Innovation in SMEs": "Innovation in SMEs",
    "SC1": "Health, demographic change and wellbeing",
    "SC2": "Food security, sustainable agriculture, marine research and the bioeconomy",
    "SC3": "Secure, clean and efficient energy",
    "SC4": "Smart, green and integrated transport",
    "SC5": "Climate action, environment, resource efficiency and raw materials",
    "SC6": "Europe in a changing world: inclusive, innovative and reflective societies",
    "SC7": "Secure societies",
    "SEWP": "Spreading excellence and widening participation",
    "SWAFS": "Science with and for society",
    "Euratom": "Euratom research and training programme",
}
_PARTICIPATION_COLUMNS = (
    "rcn",
    "role",
    "pic",
    "type",
    "contribution",
    "country",
    "start_date",
    "end_date",
    "max_contribution",
    "total_cost",
)


@dataclass
class CordisData:
    """The CORDIS files as profiles, projects and participations, checked and aggregated."""

    profiles: list[dict[str, Any]]
    facts: dict[str, dict[str, Any]]
    projects: list[dict[str, Any]]
    participations: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def read_cordis(participations_path: Path, programme_parts_path: Path) -> CordisData:
    """Read and aggregate the two CORDIS files (``NA`` is a missing number, but also
    Namibia's country code: only numeric columns treat it as missing)."""
    rows = _read_participations(participations_path)
    parts = pl.read_csv(programme_parts_path, schema_overrides={"rcn": pl.Int64})
    unknown = sorted(set(parts["programme_part"].unique()) - set(PROGRAMME_PARTS))
    if unknown:
        raise InvalidInput.single(
            f"unknown programme part(s) {', '.join(unknown)}; known: {', '.join(PROGRAMME_PARTS)}",
            file=programme_parts_path.name,
            field="programme_part",
        )
    parts = parts.unique()
    per_project = parts.group_by("rcn").agg(pl.col("programme_part").sort().alias("parts"))
    projects = (
        rows.group_by("rcn")
        .agg(pl.col("start_date", "end_date", "total_cost", "max_contribution").first())
        .join(per_project, on="rcn", how="left")
        .sort("rcn")
    )
    profiles, facts, conflicts = _participants(rows, parts)
    rcns = set(rows["rcn"])
    counts = {
        "projects": projects.height,
        "participations": rows.height,
        "projects without a programme part": projects.filter(pl.col("parts").is_null()).height,
        "programme-part rows of projects without participants": parts.filter(
            ~pl.col("rcn").is_in(rcns)
        ).height,
        "participations without a stated contribution": rows["contribution"].null_count(),
        **conflicts,
    }
    return CordisData(
        profiles=profiles,
        facts=facts,
        projects=[_project_row(r) for r in projects.iter_rows(named=True)],
        participations=rows.select("rcn", "pic", "role", "contribution"),
        counts=counts,
    )


def _read_participations(path: Path) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema_length=0)
    missing = [c for c in _PARTICIPATION_COLUMNS if c not in raw.columns]
    if missing:
        raise InvalidInput.single(f"missing column(s) {', '.join(missing)}", file=path.name, line=1)
    rows = raw.select(
        pl.col("rcn").cast(pl.Int64, strict=False),
        pl.col("pic").cast(pl.Int64, strict=False),
        pl.col("role", "type", "country"),
        *(
            pl.col(c).cast(pl.Float64, strict=False)
            for c in ("contribution", "max_contribution", "total_cost")
        ),
        *(pl.col(c).str.to_date("%Y-%m-%d", strict=False) for c in ("start_date", "end_date")),
    ).with_row_index("line", offset=2)
    bad = rows.filter(
        pl.col("rcn").is_null()
        | pl.col("pic").is_null()
        | ~pl.col("type").is_in(list(PARTICIPANT_TYPES))
    )
    if bad.height:
        problems = [
            Problem(
                "expected a numeric rcn and pic and a type of " + "/".join(PARTICIPANT_TYPES),
                path.name,
                int(line),
            )
            for line in bad["line"].head(20)
        ]
        raise InvalidInput(problems, summary=f"{path.name}: {bad.height} unusable rows")
    duplicated = rows.filter(rows.select("rcn", "pic", "role").is_duplicated())
    if duplicated.height:
        line = int(duplicated["line"][0])
        raise InvalidInput.single("the same participation appears twice", file=path.name, line=line)
    return rows


def _most_frequent(rows: pl.DataFrame, column: str) -> tuple[pl.DataFrame, int]:
    """Per PIC the most frequent value (ties: alphabetically first); PICs with several."""
    counted = rows.group_by("pic", column).len()
    chosen = counted.sort(["pic", "len", column], descending=[False, True, False]).unique(
        "pic", keep="first"
    )
    conflicts = counted.group_by("pic").len().filter(pl.col("len") > 1).height
    return chosen.select("pic", column), conflicts


def _participants(
    rows: pl.DataFrame, parts: pl.DataFrame
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, int]]:
    types, type_conflicts = _most_frequent(rows, "type")
    countries, country_conflicts = _most_frequent(rows, "country")
    programme = (
        rows.select("pic", "rcn")
        .join(parts, on="rcn")
        .group_by("pic", "programme_part")
        .len()
        .sort(["pic", "len", "programme_part"], descending=[False, True, False])
        .group_by("pic", maintain_order=True)
        .agg(pl.struct("programme_part", "len").alias("parts"))
    )
    stats = (
        rows.group_by("pic")
        .agg(
            pl.col("rcn").n_unique().alias("projects"),
            (pl.col("role") == "coordinator").sum().alias("coordinated"),
            pl.col("contribution").sum().alias("contribution"),
            pl.col("contribution").null_count().alias("contribution_missing"),
            pl.col("start_date").min().dt.year().alias("first_year"),
            pl.col("end_date").max().dt.year().alias("last_year"),
        )
        .join(types, on="pic")
        .join(countries, on="pic")
        .join(programme, on="pic", how="left")
        .sort("pic")
    )
    profiles = []
    facts = {}
    for row in stats.iter_rows(named=True):
        key = f"cordis:{row['pic']}"
        profiles.append(_participant_profile(key, row))
        facts[key] = _participant_facts(row)
    conflicts = {
        "participants with several types (most frequent kept)": type_conflicts,
        "participants with several countries (most frequent kept)": country_conflicts,
    }
    return profiles, facts, conflicts


def _participant_facts(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "pic": row["pic"],
        "type": row["type"],
        "projects": row["projects"],
        "coordinated": row["coordinated"],
        "eu_contribution": round(row["contribution"], 2),
        "projects_without_contribution": row["contribution_missing"],
        "first_year": row["first_year"],
        "last_year": row["last_year"],
        "programme_parts": {p["programme_part"]: p["len"] for p in row["parts"] or []},
    }


def _participant_profile(key: str, row: dict[str, Any]) -> dict[str, Any]:
    country = country_names().get(row["country"], row["country"])
    projects = row["projects"]
    years = (
        f" from {row['first_year']} to {row['last_year']}"
        if row["first_year"] and row["last_year"]
        else ""
    )
    coordinated = f", coordinating {row['coordinated']}" if row["coordinated"] else ""
    parts = "; ".join(PROGRAMME_PARTS[p["programme_part"]] for p in row["parts"] or [])
    description = (
        f"A {PARTICIPANT_TYPES[row['type']]} in {country} that took part in {projects:,} Horizon "
        f"2020 project{'s' if projects != 1 else ''}{years}{coordinated}, "
        f"{_contribution_words(row['contribution'], row['contribution_missing'], projects)}."
        + (f" Programme parts: {parts}." if parts else "")
    )
    return {
        "key": key,
        "profile_type": ProfileType.PROJECT_PARTNER,
        "name": f"H2020 participant {row['pic']}",
        "country": row["country"],
        "description": description,
    }


def _contribution_words(total: float, missing: int, projects: int) -> str:
    if missing >= projects:
        return "with no EU contribution stated"
    unstated = f" (not stated for {missing})" if missing else ""
    return f"with EU contributions of €{total:,.0f} in all{unstated}"


def _project_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": f"h2020:{row['rcn']}",
        "programme_parts": row["parts"] or [],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "total_cost": row["total_cost"],
        "max_contribution": row["max_contribution"],
    }


def load_cordis_graph(session: Session, data: CordisData) -> dict[str, int]:
    """Projects and participations in bulk (Core statements, not one object per row),
    changing only what differs from what is stored, so a re-import writes nothing."""
    projects = _sync_projects(session, data.projects)
    table = _ORGANISATIONS
    orgs = dict(
        session.execute(select(table.c.key, table.c.id).where(table.c.key.like("cordis:%"))).all()
    )
    wanted = {
        (projects[f"h2020:{rcn}"], orgs[f"cordis:{pic}"], role): contribution
        for rcn, pic, role, contribution in data.participations.iter_rows()
    }
    return _sync_participations(session, wanted)


def _sync_projects(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new and update changed ``h2020:`` projects; their ids by key."""
    table = _PROJECTS
    columns = [table.c[name] for name in rows[0]] if rows else []
    stored = {
        row.key: row
        for row in session.execute(select(table.c.id, *columns).where(table.c.key.like("h2020:%")))
    }
    new = [r for r in rows if r["key"] not in stored]
    changed = [
        {**r, "b_id": stored[r["key"]].id}
        for r in rows
        if r["key"] in stored and any(getattr(stored[r["key"]], k) != v for k, v in r.items())
    ]
    for start in range(0, len(new), 5000):
        session.execute(insert(table), new[start : start + 5000])
    if changed:
        values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in rows[0] if name != "key"}
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(values),
            [
                {f"b_{k}": v for k, v in r.items() if k != "key"} | {"b_id": r["b_id"]}
                for r in changed
            ],
        )
    return dict(
        session.execute(select(table.c.key, table.c.id).where(table.c.key.like("h2020:%"))).all()
    )


def _sync_participations(
    session: Session, wanted: dict[tuple[int, int, str], float | None]
) -> dict[str, int]:
    table = _PARTICIPATIONS
    projects = _PROJECTS
    stored = {
        (row.project_id, row.organisation_id, row.role): (row.id, row.contribution)
        for row in session.execute(
            select(
                table.c.id,
                table.c.project_id,
                table.c.organisation_id,
                table.c.role,
                table.c.contribution,
            )
            .join(projects, projects.c.id == table.c.project_id)
            .where(projects.c.key.like("h2020:%"))
        )
    }
    new = [
        {"project_id": p, "organisation_id": o, "role": r, "contribution": c}
        for (p, o, r), c in wanted.items()
        if (p, o, r) not in stored
    ]
    changed = [
        {"b_id": stored[k][0], "b_contribution": c}
        for k, c in wanted.items()
        if k in stored and stored[k][1] != c
    ]
    gone = [row_id for k, (row_id, _) in stored.items() if k not in wanted]
    for start in range(0, len(new), 5000):
        session.execute(insert(table), new[start : start + 5000])
    if changed:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(contribution=bindparam("b_contribution")),
            changed,
        )
    for start in range(0, len(gone), _CHUNK):
        session.execute(delete(table).where(table.c.id.in_(gone[start : start + _CHUNK])))
    return {
        "participations created": len(new),
        "participations updated": len(changed),
        "participations removed": len(gone),
    }


# --- ESCP-4i partnerships -----------------------------------------------------------------------


def load_partnerships(session: Session, *, path: Path = PARTNERSHIPS_FILE) -> ImportReport:
    """The partnership records of a YAML file (by default the 23 ESCP-4i partnerships of
    2018-2019), created or updated by key ``escp4i:{acronym in lower case}``.

    The seed slide names no member organisations, so no memberships are recorded.
    """
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if len(document["source"]) > 200 or len(document["programme"]) > 200:
        raise InvalidInput.single(
            "source and programme take at most 200 characters", file=path.name
        )
    wanted = [
        _partnership_values(document, sector, acronym)
        for sector in document["sectors"]
        for acronym in sector["partnerships"]
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
    return ImportReport(
        source="partnerships",
        rows=len(wanted),
        created=created,
        updated=updated,
        unchanged=len(wanted) - created - updated,
    )


def partnership_key(acronym: str) -> str:
    """A URL-safe stable key: ``escp4i:`` and the acronym in lower case, spaces as hyphens."""
    slug = acronym.replace("²", "2").lower().replace(" ", "-")
    return f"escp4i:{slug}"


def _partnership_values(
    document: dict[str, Any], sector: dict[str, Any], acronym: str
) -> dict[str, Any]:
    return {
        "key": partnership_key(acronym),
        "name": acronym,
        "acronym": acronym,
        "programme": document["programme"],
        "sectors": [sector["name"]],
        "cluster_codes": [str(c) for c in sector["cluster_codes"]],
        "start_year": document["start_year"],
        "end_year": document["end_year"],
        "description": (
            f"{acronym}: one of the 23 EU 'Clusters Go International' partnerships of "
            f"{document['start_year']}-{document['end_year']}, in the sector group "
            f"'{sector['name']}'. The source names the partnership by its acronym only and "
            "lists no member organisations."
        ),
        "website": None,
        "source": document["source"],
    }
