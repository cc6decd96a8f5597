"""A web app per database kind with the real EU and U.S. cluster maps loaded once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clusterhub.config import Settings
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.web.app import create_app
from tests.conftest import DB_KINDS, migrated_database


@pytest.fixture(scope="package", params=DB_KINDS)
def client(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    eu_map: ClusterMap,
    us_map: ClusterMap,
    reference: ReferenceData,
    mirror_settings: Settings,
) -> Iterator[TestClient]:
    with migrated_database(request.param, tmp_path_factory.mktemp("web")) as database:
        settings = database.model_copy(update={"data_mirror": mirror_settings.data_mirror})
        factory = make_session_factory(make_engine(settings))
        with transaction(factory) as session:
            load_cluster_map(
                session,
                key="eu-sbs",
                title="EU regions",
                result=eu_map,
                regions=reference.regions,
                by=BOOTSTRAP,
            )
            load_cluster_map(
                session, key="us-states", title="U.S. states", result=us_map, by=BOOTSTRAP
            )
        with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
            yield test_client


from tests.web.directory_fixtures import directory_world  # noqa: E402, F401 - package fixture
