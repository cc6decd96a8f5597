"""Fuzz every /api/v1 operation from the app's own OpenAPI document (schemathesis, in-process).

For each operation schemathesis draws parameters from the schema — valid ones and, to probe
validation, invalid ones — calls the ASGI app directly and checks that no answer is a server
error and that every answer matches the status codes, content types and body schemas the
document declares. Examples are bounded and derandomised, so the run is fast and repeatable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clusterhub.config import Settings
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.web.app import create_app
from tests.conftest import DB_KINDS, migrated_database

not_a_server_error = schemathesis.checks.not_a_server_error
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 30


@pytest.fixture(scope="module", params=DB_KINDS)
def fuzz_app(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    eu_map: ClusterMap,
    us_map: ClusterMap,
    reference: ReferenceData,
    mirror_settings: Settings,
) -> Iterator[FastAPI]:
    """The app on each database kind holding the real EU and U.S. maps; no response cache, so
    every generated request reaches the code."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with migrated_database(request.param, folder) as database:
        app_settings = database.model_copy(
            update={"data_mirror": mirror_settings.data_mirror, "api_cache_seconds": 0}
        )
        factory = make_session_factory(make_engine(app_settings))
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
        yield create_app(app_settings)


#: The OpenAPI document does not depend on the data, so it is read at import time from an app
#: on an empty in-memory database (nothing connects); the cases then run against ``fuzz_app``.
#: (``schemathesis.pytest.from_fixture`` would defer loading, but fails under pytest 9.2:
#: it sets ``Function._nodeid``, which pytest no longer has.)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(database_url="sqlite://", environment="test"))
).include(path_regex=r"^/api/v1/")


def test_the_schema_covers_every_api_route() -> None:
    """Fuzzing reaches the observatory's operations only if the document lists them and they
    parse (operations added later are fuzzed too: parametrize takes them from the document)."""
    labels = set()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"operation not usable: {result.err()}"
        labels.add(f"{result.ok().method.upper()} {result.ok().path}")
    assert labels >= {
        "GET /api/v1/datasets",
        "GET /api/v1/regions",
        "GET /api/v1/regions/{nuts_code}",
        "GET /api/v1/clusters",
        "GET /api/v1/clusters/{cluster_code}",
        "GET /api/v1/metrics",
    }


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_conform_and_never_fail(
    case: schemathesis.Case[Any], fuzz_app: FastAPI
) -> None:
    case.call_and_validate(app=fuzz_app, checks=CHECKS)


#: Requests that must answer 200 — the fuzzer draws mostly unknown codes, so the full bodies
#: of both data sets are validated against the schema here for certain.
KNOWN_GOOD = [
    ("/api/v1/datasets", {}, {}),
    ("/api/v1/regions", {}, {"dataset": "us-states", "page_size": 500}),
    ("/api/v1/regions", {}, {"country": "DE", "region_type": "nuts2"}),
    ("/api/v1/regions/{nuts_code}", {"nuts_code": "DE11"}, {}),
    ("/api/v1/regions/{nuts_code}", {"nuts_code": "DE"}, {"limit": 3}),
    ("/api/v1/clusters", {}, {"dataset": "us-states"}),
    ("/api/v1/clusters/{cluster_code}", {"cluster_code": "4"}, {"region_type": "nuts0"}),
    ("/api/v1/clusters/{cluster_code}", {"cluster_code": "1"}, {"dataset": "us-states"}),
    ("/api/v1/metrics", {}, {"dataset": "us-states", "strong": "true", "sort": "lq"}),
    ("/api/v1/metrics", {}, {"country": "fr", "min_stars": 1, "page_size": 500}),
]


@pytest.mark.parametrize(("path", "path_parameters", "query"), KNOWN_GOOD)
def test_known_good_requests_answer_200_as_documented(
    fuzz_app: FastAPI, path: str, path_parameters: dict[str, str], query: dict[str, object]
) -> None:
    case = schema[path]["GET"].Case(path_parameters=path_parameters, query=query)
    response = case.call_and_validate(app=fuzz_app, checks=CHECKS)
    assert response.status_code == 200
    body = response.json()
    rows = body if isinstance(body, list) else body.get("items") or body.get("clusters")
    rows = rows or body.get("regions")
    assert rows, "a known-good request answered no rows"


#: Every free-text parameter of the API with a NUL character: PostgreSQL cannot store one in
#: text, so before the guard these reached the database and answered 500 there.
NUL_REQUESTS = [
    "/api/v1/regions?q=a%00b",
    "/api/v1/regions?dataset=%00&region_type=%00&country=D%00",
    "/api/v1/regions/DE11?dataset=eu%00",
    "/api/v1/clusters?q=%00",
    "/api/v1/clusters/4?region_type=nuts%00",
    "/api/v1/metrics?region=%00&cluster=%00",
    "/api/v1/metrics?dataset=%00",
]


@pytest.mark.parametrize("url", NUL_REQUESTS)
def test_nul_characters_are_refused_not_a_server_error(fuzz_app: FastAPI, url: str) -> None:
    with TestClient(fuzz_app, raise_server_exceptions=False) as client:
        response = client.get(url)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and "NUL" in error["message"]
