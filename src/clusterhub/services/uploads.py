"""Files sent over the web, held in a temporary folder while an import reads them.

The sent name is only shown in messages; the file on disk has a fixed name, so no name (``..``,
``/``, empty) can point outside the temporary folder. Problems the import reports name the
sent file, never the server's temporary path.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from clusterhub.errors import InvalidInput


@contextmanager
def saved_upload(
    name: str, content: bytes, *, limit: int, default: str = "upload.csv"
) -> Iterator[tuple[Path, str]]:
    """The upload written to a temporary file: ``(path, safe name)``; an ``InvalidInput``
    raised inside names the sent file instead of the path.

    Raises
    ------
    InvalidInput
        An empty file or one over ``limit`` bytes.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name or default).name)[:100] or default
    if not content or len(content) > limit:
        raise InvalidInput.single(
            f"expected a non-empty file of at most {limit // 2**20} MB", file=safe, field="file"
        )
    suffix = "".join(Path(safe).suffixes[-2:])
    suffix = suffix if re.fullmatch(r"(\.[A-Za-z0-9]{1,8}){1,2}", suffix) else ""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            yield path, safe
        except InvalidInput as exc:
            raise InvalidInput(
                [replace(p, file=safe) if p.file else p for p in exc.problems],
                summary=exc.summary.replace(str(path), safe),
                total=exc.total,
            ) from None
