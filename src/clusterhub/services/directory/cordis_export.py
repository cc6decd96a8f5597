"""The official CORDIS Horizon 2020 export (``cordis-h2020projects-csv.zip``) as the two
tables the CORDIS loader reads from a mirror, plus what only the official file has.

The zip holds ``;``-separated, ``"``-quoted UTF-8 tables. Two are used: ``project.csv`` (one row
per grant: ``id``, ``rcn``, dates, costs, ``legalBasis``) and ``organization.csv`` (one row per
organisation and grant: ``projectID``, ``organisationID`` = the PIC, ``activityType``, ``role``,
``ecContribution``, ``country`` and the organisation's ``name``, ``shortName``, ``city``,
``nutsCode``, ``organizationURL``, ``SME``). A ``legalBasis.csv`` (``projectID``,
``legalBasis``), when the zip has one, adds the projects' further legal bases.

Projects are keyed by their ``rcn`` as in the mirror, so either route updates the same
profiles and projects. Rows the mirror leaves out are left out here and counted: roles other
than coordinator, participant and partner (third parties and international partners), rows
without a known activity type, and organisation rows of grants missing from ``project.csv``.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.input_files import check_zip

#: The participation table both CORDIS routes produce (the mirror's flattened layout).
PARTICIPATION_COLUMNS = (
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

#: Columns each table must have; others are ignored.
PROJECT_COLUMNS = (
    "id",
    "rcn",
    "startDate",
    "endDate",
    "totalCost",
    "ecMaxContribution",
    "legalBasis",
)
ORGANISATION_COLUMNS = (
    "projectID",
    "organisationID",
    "activityType",
    "role",
    "ecContribution",
    "country",
)
#: Organisation columns used when present: the details the mirror's flattening dropped.
DETAIL_COLUMNS = ("name", "shortName", "city", "nutsCode", "organizationURL", "SME")
#: Roles kept (those of the mirror); ``thirdParty`` and ``internationalPartner`` rows are not
#: participations with their own grant share in the mirror's sense, and are counted instead.
ROLES = ("coordinator", "participant", "partner")
ACTIVITY_TYPES = ("PRC", "HES", "REC", "PUB", "OTH")

#: Horizon 2020 legal-basis codes (Regulation (EU) No 1291/2013 and Council Regulation (Euratom)
#: No 1314/2013) to the programme parts the mirror uses: the first two levels of an
#: ``H2020-EU.x.y`` code, the specific objectives 4 and 5 at one level, Euratom as a whole. The
#: JRC's direct actions (``H2020-EU.6``) and the EIT (``H2020-EU.7``) are no programme part.
LEGAL_BASES = {
    "1.1": "ERC",
    "1.2": "FET",
    "1.3": "MSCA",
    "1.4": "RI",
    "2.1": "LEIT",
    "2.2": "ARF",
    "2.3": "Innovation in SMEs",
    **{f"3.{n}": f"SC{n}" for n in range(1, 8)},
    "4": "SEWP",
    "5": "SWAFS",
}
_LEGAL_BASIS = re.compile(r"^H2020-EU\.(\d+)(?:\.(\d+))?")
_SIZES = {"name": 300, "acronym": 60, "city": 120, "website": 500}


@dataclass
class Export:
    """The export as the mirror's two tables (string columns, like a CSV read as text), the
    organisations' details by PIC, and counts of what was left out."""

    participations: pl.DataFrame
    programme_parts: pl.DataFrame
    details: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def programme_part(legal_basis: str) -> str | None:
    """The programme part of one legal-basis code (``H2020-EU.3.1.7.`` → ``SC1``), else None."""
    code = legal_basis.strip()
    if code.startswith("H2020-Euratom"):
        return "Euratom"
    found = _LEGAL_BASIS.match(code)
    if found is None:
        return None
    first, second = found.groups()
    return LEGAL_BASES.get(f"{first}.{second}") or LEGAL_BASES.get(first)


def read_export(path: Path, *, nuts: frozenset[str]) -> Export:
    """Read the official zip; ``nuts`` are the valid NUTS codes (others are left empty).

    Raises
    ------
    InvalidInput
        If the file is no zip, or one cut short or damaged (checked by the shared reader,
        ``clusterhub.input_files``), lacks ``project.csv`` or ``organization.csv``, or a table lacks
        a required column (the problem names the table and the columns).
    """
    check_zip(path, name=path.name, kind="zip file")
    with zipfile.ZipFile(path) as archive:
        projects = _table(archive, path.name, "project.csv", PROJECT_COLUMNS, ())
        orgs = _table(archive, path.name, "organization.csv", ORGANISATION_COLUMNS, DETAIL_COLUMNS)
        extra = _member(archive, "legalBasis.csv")
        further = (
            _table(archive, path.name, "legalBasis.csv", ("projectID", "legalBasis"), ())
            if extra is not None
            else pl.DataFrame(schema={"projectID": pl.String, "legalBasis": pl.String})
        )
    rows, counts = _participations(orgs, projects)
    parts, part_counts = _programme_parts(projects, further)
    details, detail_counts = _details(rows, nuts)
    return Export(
        participations=rows.select(*PARTICIPATION_COLUMNS),
        programme_parts=parts,
        details=details,
        counts=counts | part_counts | detail_counts,
    )


def _member(archive: zipfile.ZipFile, name: str) -> str | None:
    """The archive member called ``name`` (in any folder, any case), if there is one."""
    wanted = name.casefold()
    return next((m for m in archive.namelist() if m.rsplit("/", 1)[-1].casefold() == wanted), None)


def _table(
    archive: zipfile.ZipFile,
    zip_name: str,
    name: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> pl.DataFrame:
    """One table as text columns: the required ones (an error names those missing) and the
    optional ones present."""
    member = _member(archive, name)
    if member is None:
        raise InvalidInput.single(f"the zip has no {name}", file=zip_name)
    data = archive.read(member)
    header = _read(data, n_rows=0).columns
    names = {c.lstrip("\ufeff").strip(): c for c in header}
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidInput.single(
            f"{name} lacks the column(s) {', '.join(missing)}",
            file=f"{zip_name}/{name}",
            line=1,
            field=missing[0],
        )
    wanted = [c for c in (*required, *optional) if c in names]
    # Only the columns used are parsed: project.csv's objectives are most of its bytes.
    raw = _read(data, columns=[names[c] for c in wanted])
    return raw.select(pl.col(names[c]).str.strip_chars().alias(c) for c in wanted)


def _read(
    data: bytes, *, columns: list[str] | None = None, n_rows: int | None = None
) -> pl.DataFrame:
    """A CORDIS table as text: ``;``-separated, ``"``-quoted UTF-8, short rows padded."""
    return pl.read_csv(
        io.BytesIO(data),
        separator=";",
        quote_char='"',
        infer_schema_length=0,
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
        columns=columns,
        n_rows=n_rows,
    )


def _number(column: str) -> pl.Expr:
    """A money amount as text with a decimal point (the export may write a decimal comma)."""
    text = pl.col(column).str.replace_all(r"\s", "")
    return (
        pl.when(text.str.contains(r"^-?\d+,\d+$"))
        .then(text.str.replace(",", "."))
        .otherwise(text)
        .cast(pl.Float64, strict=False)
        .cast(pl.String)
    )


def _participations(
    orgs: pl.DataFrame, projects: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Organisation rows joined to their project, in the mirror's columns and roles."""
    grants = projects.select(
        pl.col("id").alias("projectID"),
        pl.col("rcn").cast(pl.Int64, strict=False).cast(pl.String).alias("rcn"),
        pl.col("startDate").str.slice(0, 10).alias("start_date"),
        pl.col("endDate").str.slice(0, 10).alias("end_date"),
        _number("ecMaxContribution").alias("max_contribution"),
        _number("totalCost").alias("total_cost"),
    ).unique("projectID", keep="first")
    rows = orgs.with_columns(
        pl.col("organisationID").cast(pl.Int64, strict=False).cast(pl.String).alias("pic"),
        pl.col("activityType").str.slice(0, 3).alias("type"),
        _number("ecContribution").alias("contribution"),
    ).join(grants, on="projectID", how="left")
    kept_role = rows.filter(pl.col("role").is_in(ROLES))
    typed = kept_role.filter(pl.col("type").is_in(ACTIVITY_TYPES))
    linked = typed.filter(pl.col("rcn").is_not_null() & pl.col("pic").is_not_null())
    unique = linked.unique(["rcn", "pic", "role"], keep="first", maintain_order=True)
    counts = {
        "export rows with other roles (third parties, international partners; left out)": (
            rows.height - kept_role.height
        ),
        "export rows without a known activity type (left out)": kept_role.height - typed.height,
        "export rows of grants not in project.csv or without a PIC (left out)": (
            typed.height - linked.height
        ),
        "export rows repeating a participation (first kept)": linked.height - unique.height,
    }
    return unique, counts


def _programme_parts(
    projects: pl.DataFrame, further: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, int]]:
    """``rcn,programme_part`` from every legal basis of every project (``legalBasis`` may list
    several, separated by ``;`` or ``,``)."""
    rcns = projects.select(
        pl.col("id").alias("projectID"), pl.col("rcn").cast(pl.Int64, strict=False)
    ).drop_nulls()
    codes = (
        pl.concat([projects.select(pl.col("id").alias("projectID"), "legalBasis"), further])
        .with_columns(pl.col("legalBasis").str.replace_all(",", ";").str.split(";"))
        .explode("legalBasis")
        .with_columns(pl.col("legalBasis").str.strip_chars())
        .filter(pl.col("legalBasis").is_not_null() & (pl.col("legalBasis") != ""))
        .with_columns(
            pl.col("legalBasis")
            .map_elements(programme_part, return_dtype=pl.String)
            .alias("programme_part")
        )
    )
    parts = (
        codes.drop_nulls("programme_part")
        .join(rcns, on="projectID")
        .select("rcn", "programme_part")
        .unique()
        .sort("rcn", "programme_part")
    )
    outside = codes.filter(pl.col("programme_part").is_null())["legalBasis"].n_unique()
    return parts, {"legal-basis codes outside the programme parts (e.g. JRC, EIT)": outside}


def _most_frequent(rows: pl.DataFrame, column: str) -> pl.DataFrame:
    """Per PIC the most frequent non-empty value (ties: alphabetically first)."""
    return (
        rows.filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
        .group_by("pic", column)
        .len()
        .sort(["pic", "len", column], descending=[False, True, False])
        .unique("pic", keep="first")
        .select("pic", column)
    )


def _details(rows: pl.DataFrame, nuts: frozenset[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """Per PIC its most frequent name, short name, city, region, website and SME flag; codes
    and addresses a profile would refuse are left empty and counted."""
    renames = {
        "name": "name",
        "shortName": "acronym",
        "city": "city",
        "nutsCode": "nuts_code",
        "organizationURL": "website",
        "SME": "sme",
    }
    details = rows.select(pl.col("pic").cast(pl.Int64)).unique()
    for source, target in renames.items():
        if source in rows.columns:
            chosen = _most_frequent(rows.with_columns(pl.col(source).alias(target)), target)
            details = details.join(
                chosen.with_columns(pl.col("pic").cast(pl.Int64)), on="pic", how="left"
            )
        else:
            details = details.with_columns(pl.lit(None, dtype=pl.String).alias(target))
    country = _most_frequent(rows, "country").with_columns(pl.col("pic").cast(pl.Int64))
    details = details.join(country, on="pic", how="left").with_columns(
        pl.col("website").map_elements(_usable_url, return_dtype=pl.Boolean).alias("url_ok")
    )
    code = pl.col("nuts_code").str.to_uppercase()
    nuts_ok = code.is_in(list(nuts)) & code.str.starts_with(pl.col("country").fill_null(""))
    counts = {
        "organisations with a NUTS code not in NUTS 2021 or not in their country (left empty)": (
            details.filter(pl.col("nuts_code").is_not_null() & ~nuts_ok).height
        ),
        "organisations with an unusable website (left empty)": details.filter(
            pl.col("website").is_not_null() & ~pl.col("url_ok")
        ).height,
    }
    details = details.with_columns(
        pl.when(nuts_ok).then(code).alias("nuts_code"),
        pl.when(pl.col("url_ok")).then(pl.col("website")).alias("website"),
        pl.col("sme").str.to_lowercase().is_in(["true", "yes", "1"]).alias("sme"),
        *(
            pl.when(pl.col(c).str.len_chars() <= size).then(pl.col(c)).alias(c)
            for c, size in _SIZES.items()
            if c != "website"
        ),
    )
    return details.drop("country", "url_ok").sort("pic"), counts


def _usable_url(url: str) -> bool:
    """An address a profile accepts: http(s), a dotted host, no spaces, not too long."""
    parts = urlsplit(url)
    return (
        parts.scheme in {"http", "https"}
        and "." in parts.netloc
        and " " not in url
        and len(url) <= _SIZES["website"]
    )
