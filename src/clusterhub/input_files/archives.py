"""Zip archives (XLSX workbooks, the CORDIS export) checked whole before use."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from clusterhub.errors import InvalidInput
from clusterhub.input_files.text import require_file

#: Largest total size a zip archive (an XLSX workbook, the CORDIS export) may unpack to.
UNPACKED_LIMIT = 2 * 1024**3


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
