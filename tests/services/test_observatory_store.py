"""Loading rated cluster maps into the database and reading them back, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.datasets import (
    MetricFilter,
    StarPolicy,
    cluster_detail,
    list_clusters,
    list_datasets,
    list_metrics,
    list_regions,
    region_detail,
)
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import ClusterMetric
from tests.conftest import DB_KINDS, migrated_database


@pytest.fixture(scope="module", params=DB_KINDS)
def sessions(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    eu_map: ClusterMap,
    us_map: ClusterMap,
    reference: ReferenceData,
) -> Iterator[sessionmaker[Session]]:
    """Both real cluster maps loaded once per database kind; the tests only read."""
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as settings:
        factory = make_session_factory(make_engine(settings))
        with transaction(factory) as session:
            load_cluster_map(
                session,
                key="eu-sbs",
                title="EU",
                result=eu_map,
                regions=reference.regions,
                by=BOOTSTRAP,
            )
            load_cluster_map(session, key="us-states", title="US", result=us_map, by=BOOTSTRAP)
        yield factory


def test_every_row_is_stored_and_reloading_replaces_it(
    sessions, eu_map: ClusterMap, reference: ReferenceData
) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ClusterMetric)) == (
            eu_map.table.height + 3350
        )
    with transaction(sessions) as session:
        load_cluster_map(
            session,
            key="eu-sbs",
            title="EU",
            result=eu_map,
            regions=reference.regions,
            by=BOOTSTRAP,
        )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ClusterMetric)) == (
            eu_map.table.height + 3350
        )
        assert [d.key for d in list_datasets(session)] == ["us-states", "eu-sbs"]


def test_region_detail_matches_the_computed_map(
    sessions: sessionmaker[Session], eu_map: ClusterMap
) -> None:
    with sessions() as session:
        region = region_detail(session, code="DE11", limit=3)
    assert region.name == "Stuttgart" and region.dataset == "eu-sbs"
    automotive = next(m for m in region.clusters if m.cluster_code == "4")
    expected = eu_map.table.filter(
        (eu_map.table["region_code"] == "DE11") & (eu_map.table["cluster_code"] == "4")
    )
    assert automotive.lq == pytest.approx(expected["lq"].item())
    assert automotive.cluster_name == "Automotive"
    assert region.has_geometry


def test_us_state_is_found_in_its_own_data_set(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        region = region_detail(session, code="06")
    assert region.dataset == "us-states" and region.name == "California"
    assert len(region.clusters) == 67


def test_cluster_detail_counts_stars_over_the_finest_regions(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        cluster = cluster_detail(session, code="4", dataset="eu-sbs", limit=5)
    assert cluster.region_type == "nuts2"
    assert sum(cluster.star_counts.values()) > 250
    stars = [m.stars for m in cluster.regions]
    assert stars == sorted(stars, reverse=True)


def test_unknown_codes_suggest_close_ones(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(NotFound, match="did you mean"):
        region_detail(session, code="DE1X", dataset="eu-sbs")
    with sessions() as session, pytest.raises(NotFound, match="no cluster with code '999'"):
        cluster_detail(session, code="999")


def test_listing_filters_and_pages(sessions: sessionmaker[Session]) -> None:
    everything = StarPolicy(include_estimated=True)
    with sessions() as session:
        page = list_metrics(
            session,
            filters=MetricFilter(
                dataset="eu-sbs", country="DE", region_type="nuts2", min_stars=2, stars=everything
            ),
            page=1,
            page_size=10,
        )
        regions = list_regions(session, dataset="eu-sbs", q="bayern")
        clusters = list_clusters(session, dataset="us-states")
    assert page.total > 10 and len(page.items) == 10
    assert all(m.region_code.startswith("DE") and m.stars >= 2 for m in page.items)
    assert {r.code for r in regions.items} >= {"DE2", "DE21"}
    assert [c.code for c in clusters[:3]] == ["1", "2", "3"] and len(clusters) == 67


def test_bad_paging_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(InvalidInput, match="page_size"):
        list_metrics(session, filters=MetricFilter(), page_size=10_000)


def test_mostly_estimated_cells_get_no_stars_by_default(sessions: sessionmaker[Session]) -> None:
    everything = StarPolicy(include_estimated=True)
    with sessions() as session:
        shown = list_metrics(
            session, filters=MetricFilter(dataset="eu-sbs", min_stars=1), page_size=500
        )
        asked = list_metrics(
            session, filters=MetricFilter(dataset="eu-sbs", min_stars=1, stars=everything)
        )
        strict = list_metrics(
            session,
            filters=MetricFilter(dataset="eu-sbs", min_stars=1, stars=StarPolicy(0.0)),
        )
        braunschweig = region_detail(session, code="DE91", dataset="eu-sbs")
        toulouse = region_detail(session, code="FRJ2", dataset="eu-sbs", stars=everything)
    assert shown.items and all(
        m.estimated_share is not None and m.estimated_share <= 0.5 for m in shown.items
    )
    assert strict.total < shown.total < asked.total
    # Braunschweig's tobacco: all of it a share of a confidential residual. It is no longer
    # a starred top cluster: its stars are withheld and the region's first cluster is measured.
    tobacco = next(m for m in braunschweig.clusters if m.cluster_name == "Tobacco")
    assert tobacco.estimated_share == pytest.approx(1.0) and tobacco.stars == 0
    assert braunschweig.clusters[0].cluster_name != "Tobacco"
    withheld = [m for m in braunschweig.clusters if m.stars_withheld]
    assert withheld and all(m.stars == 0 and m.estimated_share > 0.5 for m in withheld)
    # Toulouse's aerospace: a fixed share of division 30, wholly apportioned, so estimated.
    aerospace = next(m for m in toulouse.clusters if m.cluster_code == "1")
    assert aerospace.apportioned_share == pytest.approx(1.0) and aerospace.imputed_share == 0.0
    assert aerospace.stars > 0 and not aerospace.stars_withheld, "shown when asked"
