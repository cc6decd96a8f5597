"""The fast path of the strict reader: one vectorised pass that proves a delimited file sound.

``input_files`` reads delimited files line by line with Python's ``csv`` module so that it can
name the line and field of every defect; on a million-row file that costs seconds, nearly all
spent on files that have no defect. Here the whole file is checked at once with NumPy for
everything that reader refuses or treats specially. Only a file that passes every check is
parsed by Polars; any other file returns ``None`` and goes to the line-by-line reader, which
finds and names its defects (or reads the quoted fields, blank lines and odd line breaks that
this path leaves to it). Both paths give the same frame for a sound file.

A file passes when it is:

* UTF-8 without NUL bytes (a UTF-8 byte-order mark is dropped; UTF-16 is not UTF-8);
* ended by a line break, with ``\\n`` or ``\\r\\n`` line breaks only;
* free of quote characters (quoted fields, perhaps spanning lines, are for ``csv``);
* of lines no longer than ``field_limit`` bytes (so no field is longer either);
* a header line of distinct, non-blank names, then at least one row, every row with exactly as
  many separators as the header and something besides spaces and separators (blank rows are
  skipped by the strict reader, which counts their lines).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

_UTF8_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"
#: Largest (unpacked) file checked and parsed whole; bigger ones are read line by line by the
#: strict reader, in constant memory.
SCAN_LIMIT = 1024**3


@dataclass(frozen=True)
class SoundTable:
    """A delimited file that passed every check: its header (cells stripped) and its body."""

    header: list[str]
    body: bytes
    rows: int

    def frame(self, separator: str) -> pl.DataFrame | None:
        """The rows as String columns named by the header, plus ``_line`` (the header is 1);
        ``None`` if Polars finds another number of rows than the scan did (never seen, but
        then the strict reader must decide)."""
        schema = dict.fromkeys(self.header, pl.String)
        frame = pl.read_csv(
            self.body,
            has_header=False,
            skip_rows=1,
            separator=separator,
            schema=schema,
            quote_char=None,
            empty_string_is_null=False,
            raise_if_empty=False,
        )
        if frame.height != self.rows:
            return None
        return frame.with_columns(_line=pl.int_range(2, self.rows + 2, dtype=pl.Int64))


def _utf8(data: bytes, chunk: int = 1 << 24) -> bool:
    """Whether ``data`` is UTF-8, decoded a chunk at a time (the text is not kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), chunk):
            decoder.decode(view[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def scan_file(path: Path, separator: str, *, field_limit: int) -> SoundTable | None:
    """The file at ``path`` (plain or gzipped) as a sound table, or ``None``: see ``scan``."""
    if path.stat().st_size > SCAN_LIMIT:
        return None
    data = path.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (EOFError, zlib.error, gzip.BadGzipFile):
            return None  # the strict reader names the line where the stream breaks
        if len(data) > SCAN_LIMIT:
            return None
    return scan(data, separator, field_limit)


def scan(data: bytes, separator: str, field_limit: int) -> SoundTable | None:
    """``data`` (a whole file) as a sound table, or ``None`` when the strict line-by-line
    reader must read it (see the module's docstring for what passes)."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if len(separator) != 1 or not separator.isascii():
        return None
    if not data.endswith(b"\n") or b"\x00" in data or b'"' in data:
        return None
    if data.count(b"\r") != data.count(b"\r\n"):
        return None
    if not _utf8(data):
        return None
    first = data[: data.index(b"\n")].decode("utf-8").rstrip("\r")
    header = [cell.strip() for cell in next(csv.reader([first], delimiter=separator))]
    if not all(header) or len(set(header)) != len(header):
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate(([0], ends[:-1] + 1))
    if ends.size < 2 or int((ends - starts).max()) > field_limit:
        return None
    separators = np.flatnonzero(raw == ord(separator))
    per_line = np.diff(np.searchsorted(separators, ends), prepend=0)
    if not bool((per_line == len(header) - 1).all()):
        return None
    # Content: a visible ASCII character other than the separator. A row of only non-ASCII
    # characters goes to the strict reader, which knows Unicode's spaces.
    content = (raw > ord(" ")) & (raw < 0x7F) & (raw != ord(separator))
    if not bool(np.logical_or.reduceat(content, starts).all()):
        return None
    return SoundTable(header, data, int(ends.size) - 1)
