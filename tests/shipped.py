"""The reference files that ship inside the package, read as a fresh install reads them.

Tests of the shipped files (classifications, cluster definitions, the CMP state table) read
them through ``fetch`` without a mirror, so they run, and check what users get, where the
shared data mirror is absent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from clusterhub.config import Settings
from clusterhub.datasets import fetch

_CACHE = Path(tempfile.gettempdir()) / f"clusterhub-tests-shipped-{os.getuid()}"


def shipped(key: str) -> Path:
    """The unpacked shipped file of data set ``key`` (never the mirror's copy)."""
    return fetch(key, Settings(data_mirror=None, source_base_url="", cache_dir=_CACHE))
