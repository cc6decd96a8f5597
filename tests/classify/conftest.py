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

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "taxonomies"


@pytest.fixture(scope="session")
def nace(shared_data: Path) -> NaceHierarchy:
    return load_nace(shared_data / "eu" / "nace_rev2.csv")


@pytest.fixture(scope="session")
def crosswalk(shared_data: Path, nace: NaceHierarchy) -> NaicsToNace:
    return load_crosswalk(shared_data / "eu" / "naics2017_to_nace_rev2.csv", nace)


@pytest.fixture(scope="session")
def cmp_traded(shared_data: Path) -> Taxonomy:
    return load_cmp_traded(shared_data / "us" / "cmp_traded_clusters_naics.csv")


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
