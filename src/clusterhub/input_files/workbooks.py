"""XLSX workbooks read strictly: each sheet's header and rows, located as Excel shows them.

The zip is checked whole first (``archives.check_zip``), so a cut workbook is refused as such.
A sheet's first row is its header; blank rows are skipped; a value right of the last header
cell is a problem (which column would it be?). Cells come back as the text a CSV would hold:
Excel stores 12 as 12.0 and dates as dates, and an import should not see either.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files.archives import check_zip
from clusterhub.input_files.problems import ProblemList


@dataclass(frozen=True)
class SheetRow:
    """A data row: its row number in Excel and one cell per header column (None: empty)."""

    line: int
    cells: list[Any]


@dataclass(frozen=True)
class Sheet:
    """A sheet's name, its header (the first row, stripped) and its data rows."""

    name: str
    header: list[str]
    rows: list[SheetRow]


def read_workbook(
    path: Path, *, name: str | None = None, problems: ProblemList, first_only: bool = False
) -> list[Sheet]:
    """Every non-empty sheet of an XLSX workbook (only the first with ``first_only``).

    Raises
    ------
    InvalidInput
        If the file is not a sound, readable workbook, or a sheet read has a header but no rows.
    """
    name = name or str(path)
    check_zip(path, name=name, kind="XLSX workbook")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput.single(
            f"not a readable XLSX workbook ({error.__class__.__name__})", file=name
        ) from None
    try:
        sheets = book.worksheets[:1] if first_only else book.worksheets
        read = [_sheet(s.title, s.iter_rows(values_only=True), name, problems) for s in sheets]
    except InvalidInput:
        raise
    except Exception as error:  # a sheet openpyxl cannot parse, inside a sound zip
        raise InvalidInput.single(
            f"not a readable XLSX sheet ({error.__class__.__name__})", file=name
        ) from None
    finally:
        book.close()
    found = [sheet for sheet in read if sheet is not None]
    if not found:
        raise InvalidInput.single("empty sheet; expected a header row of column names", file=name)
    return found


def _sheet(
    title: str, rows: Iterator[tuple[Any, ...]], file: str, problems: ProblemList
) -> Sheet | None:
    """A sheet's header and rows; None for a sheet with no header at all."""
    first = list(next(rows, ()))
    while first and first[-1] is None:
        first.pop()
    if not first:
        return None
    header = [str(h).strip() if h is not None else "" for h in first]
    found = []
    for number, values in enumerate(rows, start=2):
        cells = [cell_text(v) for v in values]
        if not any(v is not None and str(v).strip() for v in cells):
            continue
        if any(v is not None and str(v).strip() for v in cells[len(header) :]):
            problems.append(
                Problem("a value right of the last column, which has no header", file, number)
            )
            continue
        cells += [None] * (len(header) - len(cells))
        found.append(SheetRow(number, cells[: len(header)]))
    if not found and not problems:
        raise InvalidInput.single(
            f"no rows after the header row of sheet {title!r}", file=file, line=2
        )
    return Sheet(title, header, found)


def cell_text(value: Any) -> Any:
    """A spreadsheet cell as the text a CSV would hold (booleans and None kept as they are)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
