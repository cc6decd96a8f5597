"""A SQLite file for commands that prepare their database themselves (as the server would on
its first start), with the shared data mirror set and the settings cache cleared around it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from clusterhub.config import get_settings


@contextmanager
def commands_database(folder: Path, shared_data: Path) -> Iterator[Path]:
    """``folder/cli.db`` as the configured database while the block runs; yields ``folder``."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CLUSTERHUB_DATABASE_URL", f"sqlite:///{folder / 'cli.db'}")
    patch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()
    try:
        yield folder
    finally:
        patch.undo()
        get_settings.cache_clear()
