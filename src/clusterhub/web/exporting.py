"""Every table a page shows can be downloaded as CSV or XLSX: one function for both formats.

CSV is for programs: raw column names (documented in docs/reference/exports.md), values as
stored. XLSX is for people: headers with units, number formats (values stay exact), a frozen
header row, column widths, a filter, and an "About" sheet saying what the table is, where it
comes from, when it was made and how to read estimated values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from clusterhub.errors import InvalidInput
from clusterhub.web.export_columns import column

ExportFormat = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ESTIMATES = (
    "Estimated share: the part of a cell's employment that is estimated rather than published "
    "(Eurostat withholds confidential cells; clusterhub estimates them from the published "
    "totals). Above 50 % a cell is mostly estimated: read its numbers and stars as indications."
)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="EEF3F8")
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class About:
    """What the About sheet of an XLSX download tells its reader."""

    title: str
    source: str = "clusterhub"
    year: int | None = None
    method: str = "See the methodology page of the platform."
    link: str | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def export_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    name: str,
    fmt: str,
    about: About | None = None,
) -> Response:
    """A download of ``rows`` (only ``columns``, in that order) named ``name.fmt``."""
    if fmt not in MEDIA:
        raise InvalidInput.single("expected csv or xlsx", field="format", value=fmt)
    body = (
        _csv(rows, columns)
        if fmt == "csv"
        else _xlsx(rows, columns, name, about or About(title=name.replace("_", " ")))
    )
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    # A byte-order mark lets spreadsheet programs detect UTF-8 (region names carry accents).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], name: str, about: About
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = name[:31]
    specs = [column(c) for c in columns]
    sheet.append([spec.label for spec in specs])
    for row in rows:
        sheet.append([_cell(row.get(c)) for c in columns])
    for index, spec in enumerate(specs, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = spec.width
        if spec.number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = spec.number_format
    _style_header(sheet[1])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    _about_sheet(book.create_sheet(title="About"), about, columns, len(rows))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _style_header(cells: Sequence[Cell | MergedCell]) -> None:
    for cell in cells:
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP


def _about_sheet(sheet: Worksheet, about: About, columns: Sequence[str], count: int) -> None:
    """Title, source, year, method, estimates legend, generation time, link; then every
    column: its header, its raw name (the CSV's) and what it holds."""
    for letter, width in zip("ABC", (24, 30, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts = [
        ("Table", about.title),
        ("Rows", count),
        ("Source", about.source),
        ("Year", about.year if about.year is not None else "–"),
        ("Method", about.method),
        *(("Note", note) for note in about.notes),
        *((("Estimates", ESTIMATES),) if "imputed_share" in columns else ()),
        ("Generated", f"{generated} by clusterhub"),
        ("Link", about.link or "–"),
    ]
    for label, value in facts:
        sheet.append([label, _cell(value)])
        _style_header(sheet[sheet.max_row][:1])
        sheet.cell(sheet.max_row, 2).alignment = _WRAP
        sheet.merge_cells(
            start_row=sheet.max_row, start_column=2, end_row=sheet.max_row, end_column=3
        )
    sheet.append([])
    sheet.append(["Column", "Name in CSV / API", "Meaning"])
    _style_header(sheet[sheet.max_row])
    for raw in columns:
        spec = column(raw)
        sheet.append([spec.label, raw, spec.description])


def _cell(value: Any) -> Any:
    """Spreadsheet cells take scalars; a formula-looking text is stored as text, not run."""
    if isinstance(value, dict | list):
        return str(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
