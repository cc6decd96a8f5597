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

Where each part lives: ``problems`` (the problem list), ``text`` (files and UTF-8 lines),
``delimited`` (the strict delimited reader) and ``scan`` (its vectorised fast path for sound
files), ``documents`` (JSON and YAML), ``archives`` (zip), ``workbooks`` (XLSX sheets).
"""

from __future__ import annotations

from clusterhub.input_files.archives import UNPACKED_LIMIT, check_zip
from clusterhub.input_files.delimited import (
    FIELD_LIMIT,
    FRAME_CHUNK,
    DelimitedFile,
    DelimitedReader,
    Row,
    check_columns,
    check_delimited,
    read_frame,
    read_rows,
)
from clusterhub.input_files.documents import (
    DOCUMENT_LIMIT,
    MAX_DEPTH,
    MAX_YAML_VALUES,
    load_json,
    load_yaml,
    read_document,
)
from clusterhub.input_files.problems import ProblemList
from clusterhub.input_files.text import LINE_LIMIT, TextLines, check_size, require_file
from clusterhub.input_files.workbooks import Sheet, SheetRow, cell_text, read_workbook

__all__ = [
    "DOCUMENT_LIMIT",
    "FIELD_LIMIT",
    "FRAME_CHUNK",
    "LINE_LIMIT",
    "MAX_DEPTH",
    "MAX_YAML_VALUES",
    "UNPACKED_LIMIT",
    "DelimitedFile",
    "DelimitedReader",
    "ProblemList",
    "Row",
    "Sheet",
    "SheetRow",
    "TextLines",
    "cell_text",
    "check_columns",
    "check_delimited",
    "check_size",
    "check_zip",
    "load_json",
    "load_yaml",
    "read_document",
    "read_frame",
    "read_rows",
    "read_workbook",
    "require_file",
]
