"""Real reference files of the classify layer, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterhub.classify import (
    NaceHierarchy,
    NaicsToNace,
    RegionCatalogue,
    Taxonomy,
    load_cmp_traded,
    load_crosswalk,
    load_nace,
    load_regions,
)
from tests.shipped import shipped

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "taxonomies"


@pytest.fixture(scope="session")
def nace() -> NaceHierarchy:
    return load_nace(shipped("nace-rev2"))


@pytest.fixture(scope="session")
def crosswalk(nace: NaceHierarchy) -> NaicsToNace:
    return load_crosswalk(shipped("naics-nace"), nace)


@pytest.fixture(scope="session")
def cmp_traded() -> Taxonomy:
    return load_cmp_traded(shipped("cmp-clusters"))


@pytest.fixture(scope="session")
def regions(shared_data: Path) -> RegionCatalogue:
    return load_regions(sorted((shared_data / "eu" / "nuts2021").glob("*.geojson")))


@pytest.fixture(scope="session")
def sbs_codes(shared_data: Path) -> set[str]:
    """The NACE codes of the Eurostat SBS regional file, as Eurostat spells them."""
    lines = (shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv").read_text().splitlines()[1:]
    return {line.split(";")[0] for line in lines}


@pytest.fixture(scope="session")
def sbs_regions(shared_data: Path) -> set[str]:
    lines = (shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv").read_text().splitlines()[1:]
    return {line.split(";")[1] for line in lines}
