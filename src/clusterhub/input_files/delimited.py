"""Delimited files parsed strictly: every row has the header's fields, a cut file is refused."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files.problems import ProblemList
from clusterhub.input_files.scan import scan_file
from clusterhub.input_files.text import TextLines, require_file

#: Longest cell of a delimited file (a profile's description is at most 10,000 characters).
FIELD_LIMIT = 1024 * 1024
#: Rows turned into a Polars frame at a time, so a big file never sits in Python strings.
FRAME_CHUNK = 50_000
_FINAL_NEWLINE = (
    "the last line does not end with a line break, so the file may have been cut short inside "
    "its last row; if the file is complete, add a line break at its end (in a text editor: go "
    "to the end of the last line and press Enter)"
)


def check_columns(header: list[str], name: str) -> None:
    """Refuse a header naming a column twice (which of the two cells would count?)."""
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InvalidInput.single(
            f"duplicate column(s) {', '.join(twice)}; each may appear once", file=name, line=1
        )


@dataclass(frozen=True)
class Row:
    """One data row: the line it starts on and exactly one cell per header column."""

    line: int
    cells: list[str]


class DelimitedReader:
    """Rows of a delimited file, each with exactly as many fields as the header.

    A short or long row is recorded in ``problems`` (with its line, the counts, and for a short
    row the first column it lacks) and not yielded, so the reader's caller can go on checking
    the other rows and refuse the file with every problem at once; the caller must refuse the
    file when ``problems`` is not empty. Damage after which nothing can be trusted (an open
    quote at the end, an empty file, a header with no rows) is refused at once, with the
    problems recorded so far.
    """

    def __init__(
        self,
        lines: TextLines,
        *,
        separator: str = ",",
        problems: ProblemList,
        expected: str = "",
        final_newline: bool = True,
        by_position: bool = False,
    ) -> None:
        csv.field_size_limit(FIELD_LIMIT)
        self.name = lines.name
        self.separator = separator
        self.problems = problems
        self.rows = 0
        #: Lines of the blank rows skipped (no cell with anything but spaces).
        self.blank: list[int] = []
        self._lines = lines
        self._final_newline = final_newline
        self._malformed = 0
        self._reader = csv.reader(lines, delimiter=separator, strict=True)
        self.header = self._header(expected, by_position)

    def _fatal(self, message: str, line: int | None) -> InvalidInput:
        self.problems.append(Problem(message, self.name, line))
        return self.problems.error(f"cannot read {self.name}")

    def _header(self, expected: str, by_position: bool) -> list[str]:
        wanted = f"; expected a header line{': ' + expected if expected else ''}"
        try:
            first = next(self._reader, None)
        except csv.Error as error:
            raise self._csv_error(error, 1) from None
        if first is None:
            raise self._fatal(f"empty file{wanted}", 1)
        header = [cell.strip() for cell in first]
        if not any(header):
            raise self._fatal(f"line 1 is blank{wanted}", 1)
        if not by_position:
            check_columns(header, self.name)
        return header

    def __iter__(self) -> Iterator[Row]:
        for line, cells in self.records():
            yield Row(line, cells)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """The rows as ``(line, cells)`` pairs: ``Row`` without its cost per row, for big
        files."""
        width = len(self.header)
        start = self._reader.line_num + 1
        try:
            for cells in self._reader:
                if not "".join(cells).strip():
                    self.blank.append(start)
                elif len(cells) == width:
                    self.rows += 1
                    yield start, cells
                else:
                    self._malformed += 1
                    self.problems.append(self._count_problem(cells, start))
                start = self._reader.line_num + 1
        except csv.Error as error:
            raise self._csv_error(error, start) from None
        if self._final_newline and not self._lines.terminated:
            self.problems.append(Problem(_FINAL_NEWLINE, self.name, self._lines.number))
        if self.rows == 0 and self._malformed == 0:
            raise self._fatal("no rows after the header; expected at least one row of data", 2)

    def _count_problem(self, cells: list[str], line: int) -> Problem:
        width, found = len(self.header), len(cells)
        counts = f"expected {width} {self.separator!r} separated fields, found {found}"
        if found < width:
            return Problem(
                f"{counts} (a cell is missing, or the row was cut short)",
                self.name,
                line,
                self.header[found],
            )
        extra = self.separator.join(cells[width:])[:80]
        return Problem(
            f"{counts} (a cell too many: is a separator inside an unquoted value? "
            f"Beyond the last column: {extra!r})",
            self.name,
            line,
        )

    def _csv_error(self, error: csv.Error, start: int) -> InvalidInput:
        text = str(error)
        if "unexpected end of data" in text:
            message = (
                "a quoted field opened on this line is never closed: the file ends inside it, "
                "so it was probably cut short (or a closing quote is missing)"
            )
            return self._fatal(message, start)
        if "field larger than field limit" in text:
            return self._fatal(f"a field longer than {FIELD_LIMIT:,} characters", start)
        message = f"malformed row ({text}); inside a quoted field, write a quote as two quotes"
        return self._fatal(message, self._reader.line_num)


@dataclass(frozen=True)
class DelimitedFile:
    """A small delimited file read whole: its header, its rows, the lines of blank rows
    skipped, how many lines it has and whether the last ended with a line break."""

    header: list[str]
    rows: list[Row]
    blank: list[int]
    lines: int
    terminated: bool


def read_rows(
    path: Path,
    *,
    separator: str = ",",
    problems: ProblemList,
    name: str | None = None,
    expected: str = "",
    final_newline: bool = True,
    by_position: bool = False,
) -> DelimitedFile:
    """A delimited file read as Python lists, for small files (taxonomies, registries); see
    ``DelimitedReader`` for what is refused. With ``by_position`` (a format read by column
    position, not name) a header may repeat a name."""
    with TextLines(path, name) as lines:
        reader = DelimitedReader(
            lines,
            separator=separator,
            problems=problems,
            expected=expected,
            final_newline=final_newline,
            by_position=by_position,
        )
        rows = list(reader)
        return DelimitedFile(reader.header, rows, reader.blank, lines.number, lines.terminated)


def check_delimited(path: Path, *, separator: str = ",", name: str | None = None) -> None:
    """Read a delimited file through to its end only to refuse it if damaged, for files that a
    typed reader (Polars, with its own type inference) then reads."""
    require_file(path)
    if scan_file(path, separator, field_limit=FIELD_LIMIT) is not None:
        return
    problems = ProblemList()
    with TextLines(path, name) as lines:
        for _ in DelimitedReader(lines, separator=separator, problems=problems).records():
            pass
    problems.raise_if_any(f"cannot read {name or path}")


def read_frame(
    path: Path,
    *,
    separator: str = ",",
    problems: ProblemList,
    name: str | None = None,
    expected: str = "",
) -> pl.DataFrame:
    """A delimited file as String columns named by its header, plus ``_line`` (Int64).

    A sound file (``scan``: no defect, no quoted field, no blank row) is checked and
    parsed vectorised, in one pass each. Any other file is read line by line, and its rows
    turned into the frame ``FRAME_CHUNK`` at a time, so a big file never sits in memory as
    Python strings; rows refused for their field count are left out and recorded in
    ``problems``; see ``DelimitedReader``.
    """
    require_file(path)
    sound = scan_file(path, separator, field_limit=FIELD_LIMIT)
    frame = None if sound is None else sound.frame(separator)
    if frame is not None:
        return frame
    with TextLines(path, name) as lines:
        reader = DelimitedReader(lines, separator=separator, problems=problems, expected=expected)
        header = reader.header
        schema = {**dict.fromkeys(header, pl.String), "_line": pl.Int64}
        chunks = [pl.DataFrame(schema=schema)]
        columns: list[list[str]] = [[] for _ in header]
        lines_of_rows: list[int] = []
        # Cells go straight into their columns: keeping rows as lists first would leave a
        # million small lists for the garbage collector to walk, over and over.
        for line, cells in reader.records():
            lines_of_rows.append(line)
            for column, cell in zip(columns, cells, strict=True):
                column.append(cell)
            if len(lines_of_rows) == FRAME_CHUNK:
                chunks.append(_chunk(header, columns, lines_of_rows, schema))
                columns, lines_of_rows = [[] for _ in header], []
        chunks.append(_chunk(header, columns, lines_of_rows, schema))
    return pl.concat(chunks)


def _chunk(
    header: list[str], columns: list[list[str]], lines: list[int], schema: dict[str, Any]
) -> pl.DataFrame:
    return pl.DataFrame(dict(zip(header, columns, strict=True)) | {"_line": lines}, schema=schema)
