"""What the last start could not load because a source was unreachable, for the pages to say.

``clusterhub serve`` loads the built-in data on start; an offline install or an outage at
Eurostat, GISCO or CORDIS must not stop the platform from serving everything else (the cluster
definitions, the U.S. states from the shipped table, the directory). Each part that could not
be loaded is recorded here with the reason and the one command that fetches it later; the
record lives in ``STATE_DIR`` beside the database and is rewritten on every start (removed
when nothing is missing), and every page shows it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from clusterhub.config import Settings

FILE_NAME = "missing-sources.json"
#: The command that makes the EU data sets available; the next start loads them.
FETCH_COMMAND = "clusterhub data fetch"


@dataclass(frozen=True)
class MissingSource:
    """One part of the platform that is not loaded, why, and how to get it."""

    #: What a reader misses ("EU regions, Eurostat SBS (NUTS 0-2, NACE divisions)").
    part: str
    #: The data source's error (which URL, which reason).
    reason: str
    #: The one command that fetches it later.
    command: str


def record_path(settings: Settings) -> Path:
    """Where the record of the last start is kept."""
    return settings.state_dir / FILE_NAME


def save(settings: Settings, missing: list[MissingSource]) -> None:
    """Replace the record of the last start (atomically; no file when nothing is missing)."""
    path = record_path(settings)
    if not missing:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump([asdict(item) for item in missing], out, ensure_ascii=False, indent=1)
    Path(temp).replace(path)


def load(settings: Settings) -> list[MissingSource]:
    """What the last start could not load (empty when everything loaded or the record is
    unreadable: a damaged note must not take the pages down)."""
    try:
        items = json.loads(record_path(settings).read_text(encoding="utf-8"))
        return [MissingSource(**item) for item in items]
    except (OSError, ValueError, TypeError):
        return []
