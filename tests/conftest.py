"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterhub.config import Settings
from clusterhub.services.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.reference import ReferenceData

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real public data beside the repository (never copied into it)."""
    path = (REPO_ROOT / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"shared real data not found at {path}")
    return path


@pytest.fixture(scope="session")
def mirror_settings(shared_data: Path) -> Settings:
    """Settings reading every data set from the shared mirror: tests never download."""
    return Settings(data_mirror=shared_data)


@pytest.fixture(scope="session")
def reference(mirror_settings: Settings) -> ReferenceData:
    """Classifications and taxonomies loaded once for the whole session."""
    return ReferenceData(mirror_settings)


@pytest.fixture(scope="session")
def eu_map(reference: ReferenceData) -> ClusterMap:
    """The cluster map of the real Eurostat SBS 2015 file, built once."""
    return build_cluster_map(MapRequest(source="eurostat-sbs"), reference)


@pytest.fixture(scope="session")
def us_map(reference: ReferenceData) -> ClusterMap:
    """The cluster map of the real U.S. Cluster Mapping Project state file, built once."""
    return build_cluster_map(MapRequest(source="cmp-states"), reference)
