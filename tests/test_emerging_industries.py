"""The 10 emerging industries: the shipped definition, its map on the real SBS data, and the
built-in data set that a first start loads (SQLite and PostgreSQL) and the web serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clusterhub.classify import Taxonomy, load_taxonomy_file
from clusterhub.config import Settings
from clusterhub.errors import InvalidInput
from clusterhub.services.bootstrap import BUILT_IN, prepare_database
from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.reference import BUILT_IN_TAXONOMIES, ReferenceData, taxonomy_file
from clusterhub.store.db import make_engine, make_session_factory
from clusterhub.store.models import Cluster, Dataset
from clusterhub.web.app import create_app
from tests.conftest import DB_KINDS, migrated_database

NAMES = {
    "Advanced packaging",
    "Biopharmaceuticals",
    "Blue growth industries",
    "Creative industries",
    "Digital industries",
    "Environmental industries",
    "Experience industries",
    "Logistical services",
    "Medical devices",
    "Mobility technologies",
}
KEY = "eu-sbs-emerging"


@pytest.fixture(scope="module")
def taxonomy(reference: ReferenceData) -> Taxonomy:
    return load_taxonomy_file(BUILT_IN_TAXONOMIES["emerging"], reference.nace)


@pytest.fixture(scope="module")
def emerging_map(reference: ReferenceData) -> ClusterMap:
    request = MapRequest(source="eurostat-sbs", taxonomy_path=Path("emerging"))
    return build_cluster_map(request, reference)


def test_the_file_names_the_ten_industries_each_with_codes(taxonomy: Taxonomy) -> None:
    clusters = taxonomy.clusters
    assert set(clusters["cluster_name"]) == NAMES
    assert set(clusters["kind"]) == {"emerging"}
    codes = taxonomy.members.group_by("cluster_code").agg(pl.len(), pl.col("weight").min())
    assert set(codes["cluster_code"]) == set(clusters["cluster_code"])
    assert codes["len"].min() >= 4 and codes["weight"].min() > 0


def test_digital_is_the_oecd_ict_sector(taxonomy: Taxonomy) -> None:
    digital = taxonomy.members.filter(pl.col("cluster_code") == "DIGITAL")
    assert set(digital["code"]) >= {"26.11", "46.51", "58.29", "61.10", "62.01", "63.11", "95.12"}
    assert "26.51" not in set(digital["code"])  # measuring instruments are not ICT


def test_the_short_name_emerging_stands_for_the_shipped_file(tmp_path: Path) -> None:
    assert taxonomy_file(Path("emerging")) == BUILT_IN_TAXONOMIES["emerging"]
    own = tmp_path / "emerging.yaml"
    assert taxonomy_file(own) == own  # a user's file is never replaced
    with pytest.raises(InvalidInput, match="built-in one: emerging"):
        taxonomy_file(Path("emerjing"))


def test_the_map_rates_every_industry_in_real_regions(emerging_map: ClusterMap) -> None:
    nuts2 = emerging_map.table.filter(pl.col("region_type") == "nuts2")
    assert set(nuts2["cluster_name"]) == NAMES
    hamburg = nuts2.filter(pl.col("region_code") == "DE60", pl.col("cluster_code") == "BLUE")
    # A port city: shipping, port services and shipbuilding make it specialised in blue growth.
    assert hamburg["employment"][0] > 10_000 and hamburg["lq"][0] > 1.2
    berlin = nuts2.filter(pl.col("region_code") == "DE30", pl.col("cluster_code") == "BLUE")
    assert berlin["lq"][0] < hamburg["lq"][0]


def test_coverage_says_what_division_data_cannot_see(emerging_map: ClusterMap) -> None:
    visible = dict(emerging_map.coverage.select("cluster_code", "visible_share").iter_rows())
    assert visible["DIGITAL"] == pytest.approx(1.0)
    # SBS has no section R (arts, sport, recreation) nor A (fishing): partly invisible.
    assert visible["EXPERIENCE"] < 0.6 and visible["CREATIVE"] < 0.9 and visible["BLUE"] < 1
    assert set(emerging_map.coverage["kind"]) == {"emerging"}


@pytest.fixture(scope="module", params=DB_KINDS)
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mirror_settings: Settings,
    reference: ReferenceData,
) -> Iterator[tuple[Settings, list[str]]]:
    """A database prepared as on first start (without the directory, which is not tested here)."""
    with migrated_database(request.param, tmp_path_factory.mktemp("emerging")) as database:
        settings = database.model_copy(update={"data_mirror": mirror_settings.data_mirror})
        yield settings, prepare_database(settings, reference, directory=False)


def test_first_start_loads_the_emerging_data_set(
    served: tuple[Settings, list[str]], reference: ReferenceData
) -> None:
    settings, loaded = served
    assert loaded == [item.key for item in BUILT_IN] and KEY in loaded
    factory = make_session_factory(make_engine(settings))
    with factory() as session:
        dataset = session.scalars(select(Dataset).where(Dataset.key == KEY)).one()
        clusters = session.scalars(select(Cluster).where(Cluster.dataset_id == dataset.id)).all()
        eu = session.scalars(select(Dataset).where(Dataset.key == "eu-sbs")).one()
        assert eu.id < dataset.id  # the 51 clusters stay the default data set
    assert {c.name for c in clusters} == NAMES
    assert {c.kind for c in clusters} == {"emerging"}
    assert any(note.startswith("industry level: NACE level 2") for note in dataset.notes)
    assert prepare_database(settings, reference, directory=False) == []  # loaded once


def test_pages_and_api_serve_the_emerging_data_set(served: tuple[Settings, list[str]]) -> None:
    settings, _ = served
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        listing = client.get("/clusters", params={"dataset": KEY})
        assert listing.status_code == 200 and "Blue growth industries" in listing.text
        home = client.get("/", params={"dataset": KEY})  # no cluster 4 here: its first one
        assert home.status_code == 200 and "Advanced packaging" in home.text
        for page in ("/regions/DE60", "/clusters/BLUE"):
            profile = client.get(page, params={"dataset": KEY})
            assert profile.status_code == 200 and "Blue growth industries" in profile.text
        blue = client.get("/api/v1/clusters/BLUE", params={"dataset": KEY})
        assert blue.status_code == 200 and blue.json()["name"] == "Blue growth industries"
        assert client.get("/", params={"dataset": KEY, "cluster": "4"}).status_code == 404
