"""Every table a page shows can be downloaded as CSV or XLSX: one function for both formats."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi.responses import Response
from openpyxl import Workbook

from clusterhub.errors import InvalidInput

ExportFormat = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, name: str, fmt: str
) -> Response:
    """A download of ``rows`` (only ``columns``, in that order) named ``name.fmt``."""
    if fmt not in MEDIA:
        raise InvalidInput.single("expected csv or xlsx", field="format", value=fmt)
    body = _csv(rows, columns) if fmt == "csv" else _xlsx(rows, columns, name)
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


def _xlsx(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], name: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=name[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_cell(row.get(c)) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """Spreadsheet cells take scalars; a formula-looking text is stored as text, not run."""
    if isinstance(value, dict | list):
        return str(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
