"""Eurostat's NUTS change tables: the names of every region of NUTS 2013, 2016 and 2021, and
what happened to each (recoded, split, merged, boundary shift).

Eurostat publishes one workbook per revision (``NUTS2013-NUTS2016.xlsx``,
``NUTS2016-NUTS2021.xlsx``): a sheet listing every region of both versions side by side, its
label at each level's column and Eurostat's change note ("recoded", "discontinued; split into
new HU11 and HU12", "new NUTS 1 region, merge of ex-NUTS 2 regions FR62 and FR81"). The reader
takes only those columns, so a later edition with more sheets or columns still reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl

from clusterhub.errors import InvalidInput

_CODE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")
#: The sheet of each workbook that lists both versions, with its header row's first cells.
_SHEETS = {
    ("2013", "2016"): ("NUTS2013-NUTS2016", ("Code 2013", "Code 2016")),
    ("2016", "2021"): ("Changes detailed NUTS 2016-2021", ("Code 2016", "Code 2021")),
}
#: Column positions counted from the old-code column: the label columns (country, NUTS 1-3)
#: and the change note (the 2016 workbook has numeric change codes before the note).
_LAYOUT = {("2013", "2016"): (2, 6, 6), ("2016", "2021"): (2, 6, 7)}
#: Words kept in lower case when a label written in capitals is put in title case.
_SMALL = frozenset({"de", "du", "des", "la", "le", "les", "et", "and", "of", "y", "del", "a"})

NAMES: dict[str, type[pl.DataType] | pl.DataType] = {
    "code": pl.String,
    "version": pl.String,
    "name": pl.String,
    "change": pl.String,
}


def read_change_table(path: Path, old: str, new: str) -> pl.DataFrame:
    """Names of the regions of versions ``old`` and ``new`` from Eurostat's change workbook.

    Returns ``NAMES`` rows (``code, version, name, change``): one per code, version and name
    it is listed under. The workbooks label a region with its newer name when both versions
    share it, so an old code that was only recoded carries its (unchanged) name; ``change`` is
    Eurostat's note, null for an unchanged region.

    Raises
    ------
    InvalidInput
        If the file is not a readable workbook, lacks the versions' sheet, or a row's code is
        not a NUTS code.
    """
    key = (old, new)
    if key not in _SHEETS:
        raise InvalidInput.single(
            "Eurostat publishes change tables for 2013→2016 and 2016→2021",
            field="versions",
            value=f"{old}→{new}",
        )
    sheet_name, header = _SHEETS[key]
    rows: list[tuple[str, str, str, str | None]] = []
    for number, values in _sheet(path, sheet_name, header):
        first, last, note = _LAYOUT[key]
        label = next((v for v in values[first:last] if isinstance(v, str) and v.strip()), None)
        change = values[note] if len(values) > note else None
        for version, code in ((old, values[0]), (new, values[1])):
            if code is None or label is None:
                continue
            text = str(code).strip()
            if not _CODE.match(text):
                raise InvalidInput.single(
                    "expected a NUTS code", file=path.name, line=number, field=version, value=text
                )
            rows.append((text, version, tidy_label(label), _note(change)))
    return pl.DataFrame(rows, schema=NAMES, orient="row").unique(
        subset=["code", "version", "name"], keep="first", maintain_order=True
    )


def _sheet(path: Path, name: str, header: tuple[str, str]) -> Iterator[tuple[int, list[Any]]]:
    """``(row number, values)`` of the non-blank rows below the sheet's header row, starting
    at the old-code column (the 2013 workbook has a title row above the header and a running
    number before the code columns)."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput.single(
            f"not a readable XLSX workbook ({error.__class__.__name__})", file=path.name
        ) from None
    try:
        if name not in book.sheetnames:
            raise InvalidInput.single(
                f"expected a sheet {name!r}; found {', '.join(book.sheetnames)}", file=path.name
            )
        offset: int | None = None
        for number, row in enumerate(book[name].iter_rows(values_only=True), start=1):
            values = list(row)
            if offset is None:
                cells = [str(v).strip() if v is not None else "" for v in values]
                if header[0] in cells and header[1] in cells:
                    offset = cells.index(header[0])
                continue
            values = values[offset:]
            if len(values) > 1 and (values[0] is not None or values[1] is not None):
                yield number, values
        if offset is None:
            raise InvalidInput.single(
                f"sheet {name!r} has no header row with {header[0]!r} and {header[1]!r}",
                file=path.name,
            )
    finally:
        book.close()


def _note(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def tidy_label(label: str) -> str:
    """A label as people write it: spaces collapsed, and a label in capitals (the 2013
    workbook's NUTS 1 labels, "BASSIN PARISIEN") in title case ("Bassin Parisien")."""
    text = " ".join(label.split())
    if not text.isupper():
        return text
    words = re.split(r"([ \-/'’])", text.lower())
    out = [w if (w in _SMALL and i > 0) else w[:1].upper() + w[1:] for i, w in enumerate(words)]
    return "".join(out)
