"""Directory profiles in and out of files: CSV, JSON and XLSX with the same columns.

The columns are the fields of :class:`~clusterhub.services.schemas.OrganisationInput`, so a
file exported here imports back unchanged. Imports are all-or-nothing: every row of the file
is read and validated before anything is written, and all problems (file, line, field, value,
what was expected) are reported together rather than one per attempt. Each row needs a
``key``: it is what makes re-importing a corrected file update its profiles instead of
duplicating them.

Where a problem is: in CSV the line a text editor shows (the header is line 1, the first data
row line 2); in XLSX the row number Excel shows; in JSON the item's number in the list (1 for
the first object) — reported in the ``line`` field, since a JSON item has no line of its own
(a JSON syntax error names its text line).

Files are read by the shared strict reader (``clusterhub.input_files``): a file cut short, a
row with a cell lost or added, an empty file and a CSV without its final line break are refused.
A column a file leaves out leaves that field unchanged on existing profiles; an empty cell
clears it (absent is not empty).

Exports add the column ``label_review`` (declared, verified or rejected): what the platform
knows about each label. Imports accept the column but cannot set it: only a programme officer
or site admin verifies a label, and an imported label that differs from the stored one is
declared. The import report counts the rows whose stated review the platform does not hold.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import openpyxl
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import (
    DelimitedReader,
    ProblemList,
    TextLines,
    check_columns,
    check_size,
    load_json,
    read_workbook,
)
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.directory import indexing
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import LabelReview, OrganisationInput
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.services.schemas import ImportReport
from clusterhub.store.models import Organisation

FileFormat = Literal["csv", "json", "xlsx"]
FORMATS: tuple[FileFormat, ...] = get_args(FileFormat)
#: The profile fields: the columns an import sets.
COLUMNS: tuple[str, ...] = tuple(OrganisationInput.model_fields)
#: What the platform says about a label; exported, accepted on import, never taken from it.
REVIEW_COLUMN = "label_review"
#: Column order of every export (a file exported here imports back unchanged).
EXPORT_COLUMNS: tuple[str, ...] = (*COLUMNS, REVIEW_COLUMN)
REVIEW_STATES = tuple(state.value for state in LabelReview)
REVIEW_CLAIMS_NOT_HELD = "label reviews in the file not applied (imports only declare labels)"
LIST_COLUMNS = frozenset(
    name
    for name, info in OrganisationInput.model_fields.items()
    if get_origin(info.annotation) is list
)
#: Separator of list cells (cluster codes, NACE codes, keywords...) in CSV and XLSX.
LIST_SEPARATOR = ";"
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Keys per ``IN (...)`` list: SQLite binds at most 999 parameters per statement.
_KEY_CHUNK = 900


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, Any]
    review: str | None = None


def file_format(path: Path, format: str | None = None) -> FileFormat:
    """The format named, or the one the file's suffix says; a clear error otherwise."""
    text = (format or path.suffix.lstrip(".")).lower()
    for option in FORMATS:
        if text == option:
            return option
    raise InvalidInput.single(
        f"unknown file format; expected one of {', '.join(FORMATS)} (or a file ending so)",
        file=path.name,
        field="format",
        value=text or None,
    )


# --- reading ----------------------------------------------------------------------------------


def read_profiles(
    path: Path,
    *,
    catalogues: Catalogues,
    format: str | None = None,
    session: Session | None = None,
) -> list[OrganisationInput]:
    """Every profile of an import file, validated; ``InvalidInput`` lists all problems.

    A column left out of a CSV or XLSX header, or a key left out of a JSON object, means
    "leave this field as it is"; an empty cell, JSON ``null``, ``""`` or ``[]`` means "clear
    it" (a field that cannot be empty, such as ``name``, is refused). Each profile's
    ``model_fields_set`` says which fields the file gave (see ``directory.upsert_profiles``).

    Parameters
    ----------
    path
        A CSV (UTF-8, a BOM is fine, ending with a line break), JSON (a list of objects, or
        ``{"organisations": [...]}``) or XLSX file (first sheet, header row first).
    catalogues
        Code lists the rows' countries, regions, NACE and cluster codes are checked against.
    format
        ``csv``, ``json`` or ``xlsx``; by default from the file's suffix.
    session
        With it, a row whose key is already in the directory is merged onto the stored profile
        and checked as a whole; without it (or for a new key), a row must be a whole profile.
    """
    return _read(path, catalogues, format, session)[0]


def _read(
    path: Path, catalogues: Catalogues, format: str | None, session: Session | None
) -> tuple[list[OrganisationInput], dict[str, str]]:
    """The validated profiles, and the label review each row states (by key, where stated)."""
    kind = file_format(path, format)
    check_size(path, MAX_FILE_BYTES, path.name)
    problems = ProblemList()
    rows = {"csv": _csv_rows, "json": _json_rows, "xlsx": _xlsx_rows}[kind](path, problems)
    keys = [str(row.values["key"]).strip() for row in rows if row.values.get("key")]
    stored = directory.stored_inputs(session, keys=keys) if session is not None else {}
    profiles: list[OrganisationInput] = []
    claims: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in rows:
        problems.extend(_key_problems(row, seen, path.name))
        problems.extend(_review_problems(row, path.name))
        try:
            profile = _profile(row, stored, catalogues, path.name)
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        profiles.append(profile)
        if row.review:
            claims[str(profile.key)] = row.review
    where = "; for JSON, 'line' is the item's number in the list, from 1" if kind == "json" else ""
    problems.raise_if_any(f"{path.name}: nothing was imported{where}")
    return profiles, claims


def _review_problems(row: _Row, file: str) -> list[Problem]:
    if row.review is None or row.review in REVIEW_STATES:
        return []
    return [
        Problem(
            f"expected {', '.join(REVIEW_STATES)} (or nothing): what the platform says of the "
            "label; an import cannot set it",
            file=file,
            line=row.line,
            field=REVIEW_COLUMN,
            value=row.review,
        )
    ]


def _profile(
    row: _Row, stored: Mapping[str, OrganisationInput], catalogues: Catalogues, file: str
) -> OrganisationInput:
    """The row as a validated profile: merged onto the stored one when its key exists."""
    values = {name: _empty(name) if value is None else value for name, value in row.values.items()}
    current = stored.get(str(row.values.get("key") or "").strip())
    if current is None:
        if "name" not in values:
            raise InvalidInput.single(
                "a new profile needs a name: this key is not in the directory yet, and the file "
                "has no name column",
                file=file,
                line=row.line,
                field="name",
            )
        return directory.validate(values, catalogues, file=file, line=row.line)
    return directory.merge(current, values, catalogues, file=file, line=row.line)


def _empty(name: str) -> Any:
    """What an empty cell (or JSON null) sets a field to: its empty value. ``name`` has none,
    so it stays None and is refused as required."""
    info = OrganisationInput.model_fields[name]
    return None if info.is_required() else info.get_default(call_default_factory=True)


def _key_problems(row: _Row, seen: dict[str, int], file: str) -> list[Problem]:
    key = row.values.get("key")
    if key is None or str(key).strip() == "":
        return [
            Problem(
                "every row needs a key (a stable identifier such as 'acme-cluster'), so that "
                "importing the file again updates these profiles instead of duplicating them",
                file=file,
                line=row.line,
                field="key",
            )
        ]
    text = str(key).strip()
    if text in seen:
        return [
            Problem(
                f"duplicate key: also on line {seen[text]}; each profile must appear once",
                file=file,
                line=row.line,
                field="key",
                value=text,
            )
        ]
    seen[text] = row.line
    return []


def _cells(header: Sequence[str], values: Sequence[Any], line: int) -> _Row:
    """A row's cells by column (an empty cell as None: present, and empty), list columns
    split on ``;``; the label review the row states is kept apart (it is not a profile
    field)."""
    cells: dict[str, Any] = {}
    for name, value in zip(header, values, strict=True):
        if value is None or (isinstance(value, str | list) and not _text(value).strip()):
            cells[name] = None
        elif name in LIST_COLUMNS and isinstance(value, str):
            cells[name] = [p.strip() for p in value.split(LIST_SEPARATOR) if p.strip()]
        else:
            cells[name] = value
    review = cells.pop(REVIEW_COLUMN, None)
    return _Row(line, cells, None if review is None else str(review).strip().lower())


def _text(value: str | list[Any]) -> str:
    return value if isinstance(value, str) else "".join(str(v) for v in value)


def _check_header(header: Sequence[str], file: str) -> list[str]:
    names = [str(h).strip() if h is not None else "" for h in header]
    unknown = [n for n in names if n not in EXPORT_COLUMNS]
    if unknown:
        raise InvalidInput.single(
            f"unknown columns {', '.join(repr(n) for n in unknown)}; the columns are the "
            f"profile fields: {', '.join(EXPORT_COLUMNS)}",
            file=file,
            line=1,
        )
    check_columns(names, file)
    return names


def _csv_rows(path: Path, problems: ProblemList) -> list[_Row]:
    """Rows of a CSV file, read strictly (see ``clusterhub.input_files``)."""
    with TextLines(path, path.name) as lines:
        reader = DelimitedReader(lines, problems=problems, expected="key,name,... (profile fields)")
        header = _check_header(reader.header, path.name)
        return [_cells(header, row.cells, row.line) for row in reader]


def _json_rows(path: Path, problems: ProblemList) -> list[_Row]:
    data = load_json(
        path,
        name=path.name,
        limit=MAX_FILE_BYTES,
        expected='a list of profiles, or {"organisations": [...]}',
    )
    if isinstance(data, dict) and set(data) == {"organisations"}:
        data = data["organisations"]
    if not isinstance(data, list) or not data:
        raise InvalidInput.single(
            'expected a non-empty list of profiles, or {"organisations": [...]}', file=path.name
        )
    rows = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem("expected an object", file=path.name, line=number))
            continue
        _check_header(list(item), path.name)
        rows.append(_cells(list(item), list(item.values()), number))
    return rows


def _xlsx_rows(path: Path, problems: ProblemList) -> list[_Row]:
    """Rows of the workbook's first sheet (``clusterhub.input_files.read_workbook``)."""
    sheet = read_workbook(path, name=path.name, problems=problems, first_only=True)[0]
    header = _check_header(sheet.header, path.name)
    return [_cells(header, row.cells, row.line) for row in sheet.rows]


# --- importing --------------------------------------------------------------------------------


def import_file(
    session: Session,
    *,
    path: Path,
    catalogues: Catalogues,
    embedder: Embedder | None,
    by: Actor,
    format: str | None = None,
    progress: indexing.Progress | None = None,
) -> ImportReport:
    """Create or update the file's profiles by key, in the caller's transaction, recorded in
    the audit log as one import ``by`` whoever ran it.

    Nothing is written unless every row is valid; on an error the caller rolls back. Only the
    columns (JSON keys) the file has are changed on existing profiles (see ``read_profiles``).
    """
    records, claims = _read(path, catalogues, format, session)
    created, updated, unchanged = directory.upsert_profiles(
        session,
        records=records,
        source="file",
        catalogues=catalogues,
        embedder=embedder,
        progress=progress,
    )
    report = ImportReport(
        source="file", rows=len(records), created=created, updated=updated, unchanged=unchanged
    )
    not_held = _claims_not_held(session, claims)
    if not_held:
        report.extra[REVIEW_CLAIMS_NOT_HELD] = not_held
    audit.record_import(
        session, by=by, action="directory.import", entity_type="organisation", report=report,
        file=path.name,
    )  # fmt: skip
    return report


def _claims_not_held(session: Session, claims: Mapping[str, str]) -> int:
    """How many rows state a label review other than the one their profile now has."""
    keys = list(claims)
    held: dict[str, str | None] = {}
    for start in range(0, len(keys), _KEY_CHUNK):
        rows = session.execute(
            select(Organisation.key, Organisation.label, Organisation.label_review).where(
                Organisation.key.in_(keys[start : start + _KEY_CHUNK])
            )
        )
        held.update({key: review if label else None for key, label, review in rows})
    return sum(1 for key, claim in claims.items() if held.get(key) != claim)


# --- exporting --------------------------------------------------------------------------------


def export_profiles(
    session: Session,
    *,
    path: Path,
    format: str | None = None,
    source: str | None = None,
    country: str | None = None,
) -> int:
    """Write profiles (optionally of one source or country) as an import file; the row count.

    Contacts are included, so the faces offer this to site admins only.
    """
    kind = file_format(path, format)
    query = select(Organisation).order_by(Organisation.key)
    if source is not None:
        query = query.where(Organisation.source == source)
    if country is not None:
        query = query.where(Organisation.country == country.upper())
    rows = [_export_row(org) for org in session.scalars(query)]
    {"csv": _write_csv, "json": _write_json, "xlsx": _write_xlsx}[kind](path, rows)
    return len(rows)


def _export_row(org: Organisation) -> dict[str, Any]:
    values = {name: getattr(org, name) for name in COLUMNS if name != "cluster_codes"}
    values["cluster_codes"] = [c.cluster_code for c in org.clusters]
    row = OrganisationInput.model_validate(values).model_dump(mode="json")
    return {**row, REVIEW_COLUMN: org.label_review if org.label else None}


def _flat(name: str, value: Any) -> Any:
    """A value as one cell: lists joined with ``;``, booleans as true/false, None empty."""
    if name in LIST_COLUMNS:
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows([_flat(name, row[name]) for name in EXPORT_COLUMNS] for row in rows)


def _write_json(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    path.write_text(
        json.dumps({"organisations": list(rows)}, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def _write_xlsx(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("organisations")
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append([_xlsx_cell(sheet, _flat(name, row[name])) for name in EXPORT_COLUMNS])
    book.save(path)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """Text that starts with ``=`` stays text: openpyxl would otherwise write a formula."""
    if not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell
