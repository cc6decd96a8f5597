"""A region's priorities beside its strong clusters, and partner regions, on a small cluster map
whose answer is known (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from clusterhub.errors import NotFound
from clusterhub.services.audit import Actor
from clusterhub.services.s3 import compare, imports, seed
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.store.db import transaction
from clusterhub.store.models import Cluster, ClusterMetric, Dataset, Region
from tests.services.s3.conftest import FIXTURES, Db

#: Stars per region and cluster: 2 or more is strong. ES21 is strong in electric power (14)
#: and hospitality (22), weak in biopharmaceuticals (5); DE11 is strong in metalworking (32),
#: ITC4 in biopharmaceuticals, FI1B only in hospitality.
STARS = {
    "ES21": {"14": 3, "22": 2, "5": 1},
    "DE11": {"32": 3},
    "ITC4": {"5": 2},
    "FI1B": {"22": 4},
}


def _map(session: Session) -> None:
    dataset = Dataset(key="test-map", title="Test map", source="test", notes=[])
    session.add(dataset)
    session.flush()
    clusters = sorted({c for cells in STARS.values() for c in cells}, key=int)
    session.add_all(Cluster(dataset_id=dataset.id, code=c, name=f"Cluster {c}") for c in clusters)
    for region, cells in STARS.items():
        session.add(Region(dataset_id=dataset.id, code=region, name=f"Region {region}",
                           region_type="nuts2", country=region[:2]))  # fmt: skip
        session.add_all(
            ClusterMetric(dataset_id=dataset.id, region_code=region, region_type="nuts2",
                          cluster_code=c, year=2015, stars=n, stars_possible=4, star_flags={})
            for c, n in cells.items()
        )  # fmt: skip


@pytest.fixture
def world(db: Db, codes: S3Codes) -> Db:
    with transaction(db.factory) as session:
        _map(session)
        for name in ("priorities.csv", "partnerships.csv"):
            imports.import_file(session, path=FIXTURES / name, codes=codes, by=Actor("cli:t"))
    return db


def test_each_priority_and_strong_cluster_gets_its_verdict(world: Db, codes: S3Codes) -> None:
    with world.factory() as session:
        found = compare.compare_region(session, region="es21", codes=codes)
    assert (found.region_code, found.region_name, found.dataset, found.year) == (
        "ES21", "Region ES21", "test-map", 2015
    )  # fmt: skip
    assert [c.code for c in found.strong_clusters] == ["14", "22"]
    verdicts = [(r.verdict, r.priority, [c.code for c in r.clusters], r.stars) for r in found.rows]
    assert verdicts == [
        ("no_cluster_base", "Advanced manufacturing", [], None),
        ("backed", "Energy", ["14"], 3),
        ("no_cluster_base", "Biosciences and health", [], None),  # 5 has one star only
        ("outside_priorities", None, ["22"], 2),
    ]
    assert found.rows[1].label == "priority backed by a strong cluster"
    assert found.synthetic  # the fixture's strategy says it is synthetic


def test_partner_regions_share_priorities_or_complement_strengths(
    world: Db, codes: S3Codes
) -> None:
    with world.factory() as session:
        partners = compare.partner_regions(session, region="ES21", codes=codes)
    assert [(p.region_code, p.score) for p in partners] == [("DE11", 2.5), ("ITC4", 1.5)]
    de11 = {(r.kind, r.code) for r in partners[0].reasons}
    # Both prioritise Production Technology (40); DE11 is strong in Metalworking (32), where
    # ES21 has a priority without a strong cluster; both are in the test partnership.
    assert de11 == {
        ("shared_cluster", "40"), ("complementary_strength", "32"),
        ("shared_partnership", "Test partnership on 3D printing"),
    }  # fmt: skip
    assert ("complementary_strength", "5") in {(r.kind, r.code) for r in partners[1].reasons}
    assert "FI1B" not in {p.region_code for p in partners}  # strong only where ES21 is too


def test_a_region_without_a_strategy_lists_its_strong_clusters(world: Db, codes: S3Codes) -> None:
    with world.factory() as session:
        found = compare.compare_region(session, region="FI1B", codes=codes)
        assert found.strategy is None and [r.verdict for r in found.rows] == ["outside_priorities"]
        assert "No S3 strategy" in found.notes[0]
        with pytest.raises(NotFound):
            compare.compare_region(session, region="SE11", codes=codes)
        with pytest.raises(NotFound, match="partner regions"):
            compare.partner_regions(session, region="FI1B", codes=codes)


def test_demonstration_strategies_are_synthetic_and_built_on_strengths(
    world: Db, codes: S3Codes
) -> None:
    with transaction(world.factory) as session:
        seed.load_demo_strategies(session, codes=codes, by=Actor("cli:t"), regions=["FI1B"])
    with world.factory() as session:
        found = compare.compare_region(session, region="FI1B", codes=codes)
    assert found.synthetic and found.strategy is not None and found.strategy.synthetic
    assert "SYNTHETIC" in found.strategy.source and "SYNTHETIC" in found.notes[0]
    assert [r.verdict for r in found.rows] == ["backed", "no_cluster_base"]


def test_the_seed_facts_are_only_what_the_slides_state() -> None:
    facts = seed.seed_facts()
    platform = facts.platforms[0]
    assert (platform.regions, platform.thematic_areas) == (70, 15)
    assert platform.stated_as == "70 regions involved in 15 thematic areas"
    assert platform.regions_named == [] and "names none" in platform.not_named
    assert "Leuven, 20 June 2018" in facts.source
