"""Horizon 2020 participants (CORDIS) as directory profiles, with their collaboration graph.

Every participant becomes a ``project_partner`` profile keyed ``cordis:{pic}``; every project and
participation is kept in the ``projects`` and ``participations`` tables, written in bulk and
only where they differ from what is stored, so loading the same files again changes nothing.
The input is the mirror's flattening of the CORDIS export, with the names and cities of the
2017 organisations list where the mirror has it (``cordis_names``), or the official export
itself (``cordis_export``), which adds names and addresses. A participant no source names is
called ``UNPUBLISHED_NAME``: a profile says only what the data says about it. The caller's
transaction makes the load all-or-nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from clusterhub.classify.countries import country_names
from clusterhub.errors import DataSourceError, InvalidInput, Problem
from clusterhub.input_files import ProblemList, read_frame
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.directory import cordis_export, cordis_names, indexing
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import UNPUBLISHED_NAME, OrganisationInput, ProfileType
from clusterhub.services.directory.sources import CHUNK, upsert_records
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.schemas import ImportReport
from clusterhub.store.models import Organisation, Participation, Project

_ORGANISATIONS = cast(Table, Organisation.__table__)
#: Profile fields only the official export has (the flattened tables name no one); a profile
#: gets those its source states, and keeps its own where the source says nothing.
_DETAILS = ("name", "acronym", "city", "nuts_code", "website")
_PROJECTS = cast(Table, Project.__table__)
_PARTICIPATIONS = cast(Table, Participation.__table__)


def load_cordis(
    session: Session,
    *,
    participations_path: Path | None = None,
    programme_parts_path: Path | None = None,
    names_path: Path | None = None,
    export_path: Path | None = None,
    catalogues: Catalogues,
    embedder: Embedder | None,
    by: Actor,
    progress: indexing.Progress | None = None,
) -> ImportReport:
    """Every Horizon 2020 participant as a ``project_partner`` profile keyed ``cordis:{pic}``,
    and every project with its participations as the collaboration graph.

    The input is either the mirror's two flattened tables (``participations_path`` and
    ``programme_parts_path``, with the 2017 names list ``names_path`` if given) or the
    official export zip (``export_path``; see ``cordis_inputs``). The flattened tables carry no
    organisation names: the names list gives name, short name and city for about half of the
    participants, the official export adds those, the region, website and SME flag for all.
    A participant still unnamed is labelled by its participant identification code (PIC). The
    audit log gets one entry ``by`` whoever ran it.
    """
    if export_path is not None:
        data = read_cordis_export(export_path, nuts=catalogues.nuts)
        file = export_path.name
    elif participations_path is not None and programme_parts_path is not None:
        data = read_cordis(participations_path, programme_parts_path, names_path)
        file = participations_path.name
    else:
        raise InvalidInput.single(
            "give the official export zip, or both the participations and programme-parts files"
        )
    placeholders = _old_placeholders(session)
    records = [_record(p, catalogues, file, placeholders) for p in data.profiles]
    report = upsert_records(
        session,
        records=records,
        facts=data.facts,
        source="cordis",
        catalogues=catalogues,
        embedder=embedder,
        progress=progress,
    )
    report.extra |= {**data.counts, **load_cordis_graph(session, data)}
    audit.record_import(
        session, by=by, action="directory.import", entity_type="organisation", report=report,
        file=file,
    )  # fmt: skip
    return report


def _record(
    profile: dict[str, Any], catalogues: Catalogues, file: str, placeholders: frozenset[str]
) -> OrganisationInput:
    """A participant's validated profile. Fields the source does not know are left out, so a
    reload keeps what the profile's admins entered (or a name an earlier source gave); a
    participant the source does not name is called ``UNPUBLISHED_NAME``, a name given to new
    profiles and to those still bearing the stand-in of earlier versions (``placeholders``)."""
    if "name" in profile:
        return directory.validate(profile, catalogues, file=file)
    pic = profile["key"].removeprefix("cordis:")
    named = directory.validate(
        {**profile, "name": UNPUBLISHED_NAME.format(pic=pic)}, catalogues, file=file
    )
    if profile["key"] in placeholders:
        return named
    return directory.only_fields(named, named.model_fields_set - {"name"})


def _old_placeholders(session: Session) -> frozenset[str]:
    """Keys of participants still called "H2020 participant <PIC>", the stand-in name before
    ``UNPUBLISHED_NAME`` (it read like a name; the new one says that there is none)."""
    table = _ORGANISATIONS
    rows = session.execute(
        select(table.c.key).where(
            table.c.key.like("cordis:%"), table.c.name.like("H2020 participant %")
        )
    )
    return frozenset(rows.scalars())


@dataclass(frozen=True)
class CordisFiles:
    """Where the CORDIS data comes from: the mirror's two flattened tables, or the export."""

    participations_path: Path | None = None
    programme_parts_path: Path | None = None
    names_path: Path | None = None
    export_path: Path | None = None


def cordis_inputs(
    reference: ReferenceData, *, path: Path | None = None, programme_parts: Path | None = None
) -> CordisFiles:
    """The files to load: those given (a ``.zip`` is the official export), else the mirror's
    flattened tables (with the 2017 names list when the mirror has it), else the official
    export (from the mirror or downloaded and cached).

    Raises
    ------
    DataSourceError
        If neither route is available; the message says why for both.
    """
    if path is not None and path.suffix.lower() == ".zip":
        return CordisFiles(export_path=path)
    try:
        return CordisFiles(
            participations_path=path or reference.fetch("cordis-participations"),
            programme_parts_path=programme_parts or reference.fetch("cordis-programme-parts"),
            names_path=_optional(reference, "cordis-organisations-2017"),
        )
    except DataSourceError as flattened:
        if path is not None:
            raise
        try:
            return CordisFiles(export_path=reference.fetch("cordis-h2020-projects"))
        except DataSourceError as official:
            raise DataSourceError(
                f"{official} (and the flattened tables are not available either: {flattened})"
            ) from official


def _optional(reference: ReferenceData, key: str) -> Path | None:
    """The data set's local copy, or None where the mirror lacks it (it only adds detail)."""
    try:
        return reference.fetch(key)
    except DataSourceError:
        return None


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


@dataclass
class CordisData:
    """The CORDIS files as profiles, projects and participations, checked and aggregated."""

    profiles: list[dict[str, Any]]
    facts: dict[str, dict[str, Any]]
    projects: list[dict[str, Any]]
    participations: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def read_cordis(
    participations_path: Path, programme_parts_path: Path, names_path: Path | None = None
) -> CordisData:
    """Read and aggregate the mirror's two CORDIS files (``NA`` is a missing number, but also
    Namibia's country code: only numeric columns treat it as missing), and the names list."""
    raw = read_flattened(participations_path)
    parts = read_flattened(programme_parts_path)
    rcn = pl.col("rcn").cast(pl.Int64, strict=False)
    bad = parts.filter(rcn.is_null())
    if bad.height:
        raise InvalidInput.single(
            "expected a numeric rcn (project number)",
            file=programme_parts_path.name,
            line=int(bad["_line"][0]),
            field="rcn",
        )
    parts = parts.select(rcn, pl.col("programme_part"))
    names, name_counts = (
        cordis_names.read_names(names_path) if names_path is not None else (None, {})
    )
    data = _cordis_data(
        raw.drop("_line"), parts, participations_path.name, programme_parts_path.name, names
    )
    if names is not None:
        named = {p["key"] for p in data.profiles if "name" in p}
        name_counts["participants named by the 2017 CORDIS list"] = len(named)
        name_counts["participants without a published name"] = len(data.profiles) - len(named)
    data.counts |= name_counts
    return data


def read_flattened(path: Path) -> pl.DataFrame:
    """A table of the mirror's CORDIS flattening (plain or gzipped CSV), read strictly by the
    shared reader (a file cut short is refused), as text columns and ``_line``; an empty cell
    is null. ``NA`` stays text: it is also Namibia's country code."""
    problems = ProblemList()
    frame = read_frame(path, problems=problems, name=path.name)
    problems.raise_if_any(f"cannot read {path.name}")
    return frame.with_columns(pl.exclude("_line").replace("", None))


def read_cordis_export(path: Path, *, nuts: frozenset[str]) -> CordisData:
    """Read and aggregate the official export zip (see ``services.directory.cordis_export``)."""
    export = cordis_export.read_export(path, nuts=nuts)
    data = _cordis_data(
        export.participations, export.programme_parts, path.name, path.name, export.details
    )
    data.counts |= export.counts
    return data


def _cordis_data(
    raw: pl.DataFrame,
    parts: pl.DataFrame,
    participations_file: str,
    parts_file: str,
    details: pl.DataFrame | None = None,
) -> CordisData:
    """Check and aggregate the two tables (text columns as in the files; ``details`` are the
    organisations' names and addresses by PIC, when the source has them)."""
    rows = check_participations(raw, participations_file)
    unknown = sorted(set(parts["programme_part"].unique()) - set(PROGRAMME_PARTS))
    if unknown:
        raise InvalidInput.single(
            f"unknown programme part(s) {', '.join(unknown)}; known: {', '.join(PROGRAMME_PARTS)}",
            file=parts_file,
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
    profiles, facts, conflicts = _participants(rows, parts, details)
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


def check_participations(raw: pl.DataFrame, file: str) -> pl.DataFrame:
    """The participations as typed columns, or every unusable row as a problem."""
    missing = [c for c in cordis_export.PARTICIPATION_COLUMNS if c not in raw.columns]
    if missing:
        raise InvalidInput.single(f"missing column(s) {', '.join(missing)}", file=file, line=1)
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
                file,
                int(line),
            )
            for line in bad["line"].head(20)
        ]
        raise InvalidInput(problems, summary=f"{file}: {bad.height} unusable rows")
    duplicated = rows.filter(rows.select("rcn", "pic", "role").is_duplicated())
    if duplicated.height:
        line = int(duplicated["line"][0])
        raise InvalidInput.single("the same participation appears twice", file=file, line=line)
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
    rows: pl.DataFrame, parts: pl.DataFrame, details: pl.DataFrame | None
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
    if details is not None:
        stats = stats.join(details, on="pic", how="left")
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
        **({"sme": row["sme"]} if row.get("sme") is not None else {}),
    }


def _participant_profile(key: str, row: dict[str, Any]) -> dict[str, Any]:
    country = country_names().get(row["country"], row["country"])
    where = f" in {country}" if country else ""
    projects = row["projects"]
    years = (
        f" from {row['first_year']} to {row['last_year']}"
        if row["first_year"] and row["last_year"]
        else ""
    )
    coordinated = f", coordinating {row['coordinated']}" if row["coordinated"] else ""
    parts = "; ".join(PROGRAMME_PARTS[p["programme_part"]] for p in row["parts"] or [])
    description = (
        f"A {PARTICIPANT_TYPES[row['type']]}{where} that took part in {projects:,} Horizon "
        f"2020 project{'s' if projects != 1 else ''}{years}{coordinated}, "
        f"{_contribution_words(row['contribution'], row['contribution_missing'], projects)}."
        + (f" Programme parts: {parts}." if parts else "")
    )
    known = {name: row[name] for name in _DETAILS if row.get(name) is not None}
    return known | {
        "key": key,
        "profile_type": ProfileType.PROJECT_PARTNER,
        "country": row["country"],
        "description": description,
        # What the participant does, as words: searchable, and what its embedding is made of.
        "keywords": [
            PARTICIPANT_TYPES[row["type"]],
            *(["small or medium-sized enterprise"] if row.get("sme") else []),
            "Horizon 2020",
            *(PROGRAMME_PARTS[p["programme_part"]] for p in row["parts"] or []),
        ],
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
    for start in range(0, len(gone), CHUNK):
        session.execute(delete(table).where(table.c.id.in_(gone[start : start + CHUNK])))
    return {
        "participations created": len(new),
        "participations updated": len(changed),
        "participations removed": len(gone),
    }
