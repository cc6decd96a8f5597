"""Files and text lines: UTF-8, plain or gzipped, decoded a line at a time; damage refused."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from clusterhub.errors import InvalidInput, NotFound

#: Longest physical line: a longer one is no table (a binary file, or one without line breaks).
LINE_LIMIT = 16 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_GZIP_MAGIC = b"\x1f\x8b"
_SAVE_AS_UTF8 = "save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')"


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


def not_utf8(name: str, line: int, file_byte: int, line_byte: int, value: int) -> InvalidInput:
    """Byte ``file_byte`` of the file (``line_byte`` of its line, both from 1) is not UTF-8."""
    return InvalidInput.single(
        f"not UTF-8 text: byte {file_byte:,} of the file (0x{value:02X}, byte {line_byte} of "
        f"this line) cannot be decoded; {_SAVE_AS_UTF8}",
        file=name,
        line=line,
    )


def refuse_utf16(head: bytes, name: str) -> None:
    if head[:2] in _UTF16_BOMS:
        raise InvalidInput.single(
            f"UTF-16 text; expected UTF-8: {_SAVE_AS_UTF8}", file=name, line=1
        )


def nul_bytes(name: str, line: int) -> InvalidInput:
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
                    refuse_utf16(data, self.name)
                    if data.startswith(UTF8_BOM):
                        data, offset = data[3:], 3
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as error:
                    at = error.start
                    raise not_utf8(
                        self.name, self.number, offset + at + 1, at + 1, data[at]
                    ) from None
                if "\x00" in text:
                    raise nul_bytes(self.name, self.number)
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
