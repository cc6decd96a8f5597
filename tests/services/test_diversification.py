"""Diversification paths where relatedness is not defined: a clear error, on SQLite and
PostgreSQL, and a 422 (never a 500) from the API, a note on the region page."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.observatory.diversification import region_diversification
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.web.app import create_app


def _load_states(settings: Settings, us_map: ClusterMap, codes: list[str]) -> None:
    """A data set of a few U.S. states only (too few for some measures)."""
    factory = make_session_factory(make_engine(settings))
    few = ClusterMap(
        us_map.source, us_map.table.filter(pl.col("region_code").is_in(codes)), us_map.coverage, ()
    )
    with transaction(factory) as session:
        load_cluster_map(session, key="few-states", title="A few states", result=few, by=BOOTSTRAP)


def test_one_region_of_its_type_is_refused_clearly(
    db_settings: Settings, us_map: ClusterMap
) -> None:
    _load_states(db_settings, us_map, ["26"])
    with Session(make_engine(db_settings)) as session:
        with pytest.raises(InvalidInput, match="at least 2 regions"):
            region_diversification(session, code="26")
        with pytest.raises(NotFound, match="no region with code '06'"):
            region_diversification(session, code="06", dataset="few-states")


def test_the_api_and_the_page_answer_without_a_500(
    db_settings: Settings, us_map: ClusterMap
) -> None:
    _load_states(db_settings, us_map, ["26"])
    with TestClient(create_app(db_settings), raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/regions/26/diversification")
        assert answer.status_code == 422
        assert "at least 2 regions" in answer.json()["error"]["message"]
        page = client.get("/regions/26")
        assert page.status_code == 200
        assert "Not available for this region" in page.text and "at least 2 regions" in page.text


@pytest.fixture(scope="module")
def emerging_map(reference: ReferenceData) -> ClusterMap:
    """The 10 emerging industries on the real SBS data, German and French regions only."""
    full = build_cluster_map(
        MapRequest(source="eurostat-sbs", taxonomy_path=Path("emerging")), reference
    )
    table = full.table.filter(pl.col("region_code").str.slice(0, 2).is_in(["DE", "FR"]))
    return ClusterMap(full.source, table, full.coverage, ())


def test_emerging_industries_are_refused_with_the_reason(
    db_settings: Settings, emerging_map: ClusterMap
) -> None:
    factory = make_session_factory(make_engine(db_settings))
    with transaction(factory) as session:
        load_cluster_map(
            session, key="eu-sbs-emerging", title="Emerging", result=emerging_map, by=BOOTSTRAP
        )
    with (
        Session(make_engine(db_settings)) as session,
        pytest.raises(InvalidInput, match="51 traded clusters") as refused,
    ):
        region_diversification(session, code="DE11")
    assert refused.value.problems[0].field == "dataset"
    with TestClient(create_app(db_settings), raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/regions/DE11/diversification")
        assert answer.status_code == 422
        assert "emerging industries" in answer.json()["error"]["message"]
        page = client.get("/regions/DE11", params={"dataset": "eu-sbs-emerging"})
        assert page.status_code == 200
        section = page.text[page.text.index('id="diversification"') :]
        assert "Not available for this region" in section and "51 traded clusters" in section


def test_a_reloaded_data_set_is_never_answered_from_the_cache(
    db_settings: Settings, us_map: ClusterMap
) -> None:
    """The level's matrix is kept per process (``services.dataset_cache``) until the data set
    is loaded again: a reload with other regions changes the answer at once."""
    _load_states(db_settings, us_map, ["06", "26", "48"])
    with Session(make_engine(db_settings)) as session:
        first = region_diversification(session, code="26", dataset="few-states")
        again = region_diversification(session, code="26", dataset="few-states")
    assert first.regions_compared == again.regions_compared == 3
    _load_states(db_settings, us_map, ["06", "26", "48", "36", "17"])
    with Session(make_engine(db_settings)) as session:
        reloaded = region_diversification(session, code="26", dataset="few-states")
    assert reloaded.regions_compared == 5
