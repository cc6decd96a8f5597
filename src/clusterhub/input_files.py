"""Reading the files people and downloads supply: one path, so every importer refuses damage alike.

A file cut short in transit, saved in another encoding or reshaped by a spreadsheet must be
refused, saying where the damage is. It must never be read as fewer or emptier rows: an import
that takes a cut row's missing cells for empty ones erases what was stored. So here:

* **Text** is UTF-8 (a byte-order mark is fine), plain or gzipped. UTF-16, other encodings and
  NUL bytes are refused naming the line and byte; a gzip stream that ends early is refused as
  cut short. Lines are decoded one at a time, so big files are read in constant memory.
* **Delimited files** are parsed strictly (``csv`` with ``strict=True``): a quote still open
  at the end of the file, a row with fewer or more fields than the header, an empty file and a
  file with a header only are refused. Every file clusterhub writes ends with a line break, and
  a last line without one may have been cut inside its last field, so a **final line break is
  required** (``final_newline=False`` only for published data sets known to lack it); a file
  that is merely missing it is fixed by adding a line break at its end. Blank lines are skipped.
* **JSON and YAML** documents are size-limited, and their nesting depth is measured before they
  are parsed, without recursion, so a deeply nested file cannot exhaust the stack. YAML values
  are counted as if its aliases were expanded, so an alias bomb is refused while still small.
* **Zip archives** (XLSX workbooks, the CORDIS export) are checked whole before use: a cut or
  damaged archive is refused as such, and so is one that would unpack to more than a limit.
* **Problems** go to a ``ProblemList``: the first ``MAX_PROBLEMS`` are kept and all are counted,
  so a file with a million bad rows costs neither memory nor a huge error message.

Lines are numbered as a text editor shows them (the header is line 1).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import polars as pl
import yaml

from clusterhub.delimited_scan import scan_file
from clusterhub.errors import MAX_PROBLEMS, InvalidInput, NotFound, Problem

#: Longest cell of a delimited file (a profile's description is at most 10,000 characters).
FIELD_LIMIT = 1024 * 1024
#: Longest physical line: a longer one is no table (a binary file, or one without line breaks).
LINE_LIMIT = 16 * 1024 * 1024
#: Largest JSON or YAML document: unlike delimited files they are parsed whole.
DOCUMENT_LIMIT = 50 * 1024 * 1024
#: Deepest nesting of lists and mappings in a JSON or YAML document (our formats need 4).
MAX_DEPTH = 64
#: Most values a YAML document may hold once its aliases are expanded.
MAX_YAML_VALUES = 1_000_000
#: Largest total size a zip archive (an XLSX workbook, the CORDIS export) may unpack to.
UNPACKED_LIMIT = 2 * 1024**3
#: Rows turned into a Polars frame at a time, so a big file never sits in Python strings.
FRAME_CHUNK = 50_000
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_GZIP_MAGIC = b"\x1f\x8b"
_SAVE_AS_UTF8 = "save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')"
_FINAL_NEWLINE = (
    "the last line does not end with a line break, so the file may have been cut short inside "
    "its last row; if the file is complete, add a line break at its end (in a text editor: go "
    "to the end of the last line and press Enter)"
)
#: A JSON string (escapes included) or a bracket: what the depth scan looks at.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


# --- problems -----------------------------------------------------------------------------------


class ProblemList:
    """Problems of one input: the first ``limit`` kept, every one counted.

    A file with a million bad rows must neither hold a million ``Problem`` objects nor answer
    with a message listing them all: the count says how bad it is, the first ones where to look.
    """

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def room(self) -> int:
        """How many more problems would be kept."""
        return self.limit - len(self.kept)

    def append(self, problem: Problem) -> None:
        """Count ``problem``, and keep it while there is room."""
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(problem)

    def extend(self, problems: Iterable[Problem], total: int | None = None) -> None:
        """Count and keep ``problems``. With ``total`` (how many there are, such as a frame's
        height) at most ``room`` are taken from ``problems``, so a lazy iterable over a million
        rows is read only as far as needed."""
        if total is None:
            for problem in problems:
                self.append(problem)
            return
        self.kept.extend(islice(problems, self.room))
        self.total += total

    def error(self, summary: str) -> InvalidInput:
        """The ``InvalidInput`` of these problems; ``summary`` is followed by their count."""
        count = f"{self.total:,} problem{'' if self.total == 1 else 's'}"
        if self.total > len(self.kept):
            count += f"; the first {len(self.kept)} are listed"
        return InvalidInput(list(self.kept), summary=f"{summary} ({count})", total=self.total)

    def raise_if_any(self, summary: str) -> None:
        """Refuse the input with every problem recorded, if there is one."""
        if self:
            raise self.error(summary)


# --- files and text -----------------------------------------------------------------------------


def require_file(path: Path) -> None:
    """``NotFound`` unless ``path`` is a file."""
    if not path.is_file():
        raise NotFound(f"no file {path}")


def check_size(path: Path, limit: int, name: str | None = None) -> None:
    """Refuse a file larger than ``limit`` bytes before reading any of it."""
    require_file(path)
    size = path.stat().st_size
    if size > limit:
        raise InvalidInput.single(
            f"file is {size / 2**20:.1f} MB; at most {limit / 2**20:g} MB are accepted "
            "(split it into several files)",
            file=name or str(path),
        )


def _not_utf8(name: str, line: int, file_byte: int, line_byte: int, value: int) -> InvalidInput:
    """Byte ``file_byte`` of the file (``line_byte`` of its line, both from 1) is not UTF-8."""
    return InvalidInput.single(
        f"not UTF-8 text: byte {file_byte:,} of the file (0x{value:02X}, byte {line_byte} of "
        f"this line) cannot be decoded; {_SAVE_AS_UTF8}",
        file=name,
        line=line,
    )


def _refuse_utf16(head: bytes, name: str) -> None:
    if head[:2] in _UTF16_BOMS:
        raise InvalidInput.single(
            f"UTF-16 text; expected UTF-8: {_SAVE_AS_UTF8}", file=name, line=1
        )


def _nul(name: str, line: int) -> InvalidInput:
    return InvalidInput.single(
        f"NUL bytes: not a text file, or UTF-16 text without its byte-order mark; {_SAVE_AS_UTF8}",
        file=name,
        line=line,
    )


class TextLines:
    """The lines of a UTF-8 text file, plain or gzipped (recognised by its first bytes).

    Use it as a context manager and iterate once; ``number`` is the last line read and
    ``terminated`` whether it ended with a line break. Each line is decoded alone, so an
    encoding defect is named by its line, and memory does not grow with the file.
    """

    def __init__(self, path: Path, name: str | None = None) -> None:
        require_file(path)
        self.path = path
        self.name = name or str(path)
        self.number = 0
        self.terminated = True
        self.gzipped = False
        self._raw: IO[bytes] | None = None
        self._file: IO[bytes] | gzip.GzipFile | None = None

    def __enter__(self) -> TextLines:
        raw = self._raw = self.path.open("rb")
        self.gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        self._file = gzip.GzipFile(fileobj=raw, mode="rb") if self.gzipped else raw
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for handle in (self._file, self._raw):
            if handle is not None:
                handle.close()

    def __iter__(self) -> Iterator[str]:
        if self._file is None:
            raise RuntimeError("TextLines is read inside a with block")
        offset = 0
        try:
            while data := self._file.readline(LINE_LIMIT + 1):
                self.number += 1
                if len(data) > LINE_LIMIT:
                    raise InvalidInput.single(
                        f"a line longer than {LINE_LIMIT // 2**20} MB: not a text table",
                        file=self.name,
                        line=self.number,
                    )
                if self.number == 1:
                    _refuse_utf16(data, self.name)
                    if data.startswith(_UTF8_BOM):
                        data, offset = data[3:], 3
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as error:
                    at = error.start
                    raise _not_utf8(
                        self.name, self.number, offset + at + 1, at + 1, data[at]
                    ) from None
                if "\x00" in text:
                    raise _nul(self.name, self.number)
                offset += len(data)
                self.terminated = text.endswith(("\n", "\r"))
                yield text
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise InvalidInput.single(
                f"the gzip stream ends early or is damaged ({error}): the file was cut short or "
                "corrupted in transit; download or copy it again",
                file=self.name,
                line=self.number + 1,
            ) from None

    def first_line(self) -> str:
        """The first line (to sniff a format); empty for an empty file."""
        return next(iter(self), "")


# --- delimited files ----------------------------------------------------------------------------


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

    A sound file (``delimited_scan``: no defect, no quoted field, no blank row) is checked and
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


# --- JSON and YAML documents --------------------------------------------------------------------


def read_document(
    path: Path, *, name: str | None = None, limit: int = DOCUMENT_LIMIT, expected: str
) -> str:
    """A whole UTF-8 document (a BOM is dropped), refusing what ``TextLines`` refuses, a file
    over ``limit`` bytes and an empty one (``expected`` says what it should hold)."""
    name = name or str(path)
    check_size(path, limit, name)
    data = path.read_bytes()
    _refuse_utf16(data, name)
    offset = 3 if data.startswith(_UTF8_BOM) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        at = offset + error.start
        line = data.count(b"\n", 0, at) + 1
        line_byte = at - data.rfind(b"\n", 0, at)
        raise _not_utf8(name, line, at + 1, line_byte, data[at]) from None
    if "\x00" in text:
        raise _nul(name, text.count("\n", 0, text.index("\x00")) + 1)
    if not text.strip():
        raise InvalidInput.single(f"empty file; expected {expected}", file=name, line=1)
    return text


def _too_deep(name: str, line: int | None, limit: int) -> InvalidInput:
    return InvalidInput.single(
        f"lists and objects nest more than {limit} levels deep here; the format needs a few",
        file=name,
        line=line,
    )


def _check_json_depth(text: str, name: str, limit: int) -> None:
    """Measure nesting with a flat scan (strings skipped), so depth never costs a stack frame."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                raise _too_deep(name, text.count("\n", 0, match.start()) + 1, limit)
        elif token in ("]", "}"):
            depth -= 1


def load_json(
    path: Path,
    *,
    name: str | None = None,
    limit: int = DOCUMENT_LIMIT,
    max_depth: int = MAX_DEPTH,
    expected: str = "a JSON document",
) -> Any:
    """A JSON document, or ``InvalidInput`` naming the line of what is wrong (a document that
    ends too early is said to be cut short)."""
    name = name or str(path)
    text = read_document(path, name=name, limit=limit, expected=expected)
    _check_json_depth(text, name, max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        cut = error.pos >= len(text.rstrip())
        ending = "; the document ends too early: the file was probably cut short" if cut else ""
        raise InvalidInput.single(
            f"not valid JSON: {error.msg} (column {error.colno}){ending}",
            file=name,
            line=error.lineno,
        ) from None
    except ValueError as error:  # an integer of more than 4,300 digits
        raise InvalidInput.single(f"not valid JSON: {error}", file=name) from None


def _yaml_error(error: yaml.YAMLError, name: str) -> InvalidInput:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    return InvalidInput.single(f"not valid YAML: {error}", file=name, line=line)


def _check_yaml_shape(text: str, name: str, max_depth: int, max_values: int) -> None:
    """Walk the parser's events (the parser keeps an explicit stack, the composer recurses):
    nesting depth, and the number of values with every alias expanded."""
    depth = 0
    values = 0
    sizes: dict[str, int] = {}
    open_collections: list[tuple[str | None, int]] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise _too_deep(name, line, max_depth)
            open_collections.append((event.anchor, values))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, start = open_collections.pop()
            values += 1
            if anchor is not None:
                sizes[anchor] = values - start
        elif isinstance(event, yaml.ScalarEvent):
            values += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            values += sizes.get(event.anchor or "", 1)
        if values > max_values:
            raise InvalidInput.single(
                f"more than {max_values:,} values once its aliases (*name) are expanded: an "
                "alias bomb, or far larger than any clusterhub file",
                file=name,
                line=line,
            )


def load_yaml(
    path: Path,
    *,
    name: str | None = None,
    limit: int = DOCUMENT_LIMIT,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_YAML_VALUES,
    expected: str = "a YAML document",
) -> Any:
    """A YAML document read safely (no Python objects), or ``InvalidInput`` naming the line."""
    name = name or str(path)
    text = read_document(path, name=name, limit=limit, expected=expected)
    try:
        _check_yaml_shape(text, name, max_depth, max_values)
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise _yaml_error(error, name) from None


# --- zip archives -------------------------------------------------------------------------------


def check_zip(
    path: Path, *, name: str | None = None, kind: str = "zip archive", limit: int = UNPACKED_LIMIT
) -> None:
    """Refuse a zip archive that is cut short or damaged (every member's checksum is verified)
    or that would unpack to more than ``limit`` bytes."""
    name = name or str(path)
    require_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > limit:
                raise InvalidInput.single(
                    f"this {kind} would unpack to {unpacked / 2**20:,.0f} MB; at most "
                    f"{limit / 2**20:,.0f} MB are accepted",
                    file=name,
                )
            bad = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError) as error:
        raise InvalidInput.single(
            f"damaged or cut short: not a complete {kind} ({error}); download or copy it again",
            file=name,
        ) from None
    if bad is not None:
        raise InvalidInput.single(
            f"damaged or cut short: the {kind}'s part {bad} fails its checksum", file=name
        )
