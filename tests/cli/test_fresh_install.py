"""A fresh machine: ``clusterhub serve`` (the real command, a subprocess) without a data mirror.

With a local server standing in for Eurostat, GISCO and CORDIS (the mirror's real data at the
official URL paths) it bootstraps everything; with every source out of reach (a closed port)
it still starts, serves what needs no download (the shipped cluster definitions and U.S.
states, the directory), and says on the pages what is missing and how to fetch it.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.live import LiveServer
from tests.stand_in_sources import build_stand_in, stand_in_server

MISSING = "Some data could not be loaded"
#: Pages a reader opens first; none may answer 500 while a source is out of reach.
PAGES = (
    "/", "/clusters", "/regions", "/regions?dataset=us-states", "/directory", "/methodology",
    "/partnerships", "/posts", "/search?q=aerospace", "/regions/06?dataset=us-states",
    "/clusters/2?dataset=us-states", "/api/v1/datasets",
    "/api/v1/organisations?q=cluster", "/geo/us-state.json",
)  # fmt: skip


class FreshServer(LiveServer):
    """``clusterhub serve`` with no mirror: the cache starts empty, sources at ``base_url``."""

    label = "clusterhub serve fresh"

    def __init__(self, folder: Path, base_url: str) -> None:
        folder.mkdir(exist_ok=True)
        super().__init__(folder, data_mirror=folder / "no-mirror")
        self.base_url = base_url

    def environment(self) -> dict[str, str]:
        env = super().environment()
        del env["CLUSTERHUB_DATA_MIRROR"]
        return {**env, "CLUSTERHUB_SOURCE_BASE_URL": self.base_url}


def _get(server: LiveServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=60) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: connections are refused


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshServer]:
    folder = tmp_path_factory.mktemp("offline")
    with FreshServer(folder, f"http://127.0.0.1:{_closed_port()}") as server:
        yield server


def test_serve_bootstraps_from_stand_ins_of_the_official_sources(
    shared_data: Path, tmp_path: Path
) -> None:
    root = build_stand_in(shared_data, tmp_path / "official")
    with (
        stand_in_server(root) as (base_url, requests),
        FreshServer(tmp_path / "serve", base_url) as server,
    ):
        fetched = {path.split("/")[1] for path in requests}
        assert fetched == {"ec.europa.eu", "gisco-services.ec.europa.eu", "cordis.europa.eu"}
        assert not (server.folder / "no-mirror").exists()
        status, body = _get(server, "/api/v1/datasets")
        assert status == 200
        keys = {d["key"] for d in json.loads(body)}
        assert {"eu-sbs", "us-states", "eu-sbs-emerging"} <= keys
        status, body = _get(server, "/api/v1/regions?dataset=eu-sbs&page_size=500")
        assert status == 200 and len(json.loads(body)["items"]) > 250
        status, body = _get(server, "/api/v1/organisations?q=university&country=DE")
        assert status == 200 and json.loads(body)["total"] > 100, "CORDIS participants"
        status, body = _get(server, "/")
        assert status == 200 and MISSING not in body
        assert not (server.folder / "state" / "missing-sources.json").exists()
        status, body = _get(server, "/api/v1/events")
        demo = [e for e in json.loads(body) if e["synthetic"]]
        assert status == 200 and len(demo) == 1 and demo[0]["status"] == "held", "demo event"


def test_serve_starts_with_every_source_out_of_reach(offline: FreshServer) -> None:
    status, body = _get(offline, "/api/v1/datasets")
    assert status == 200
    assert {d["key"] for d in json.loads(body)} == {"us-states"}, "shipped state table only"
    log = offline.log_tail(200)
    assert "Traceback" not in log


@pytest.mark.parametrize("path", PAGES)
def test_no_page_fails_while_sources_are_out_of_reach(offline: FreshServer, path: str) -> None:
    status, body = _get(offline, path)
    assert status == 200, f"{path} answered {status}: {body[:500]}"


def test_what_needs_the_missing_source_says_it_is_unavailable(offline: FreshServer) -> None:
    status, body = _get(offline, "/geo/nuts2.json")
    assert status == 503, "unavailable for now, not a server error"
    assert "could not download" in body and "gisco-services.ec.europa.eu" in body


def test_the_pages_say_what_is_missing_and_how_to_fetch_it(offline: FreshServer) -> None:
    for path in ("/", "/directory", "/regions?dataset=us-states"):
        status, body = _get(offline, path)
        assert status == 200, path
        assert MISSING in body, path
        assert "EU regions, Eurostat SBS" in body and "<code>clusterhub data fetch</code>" in body
        assert "clusterhub directory import --source cordis" in body
        assert "Connection refused" in body, "the reason is given"


def test_the_shipped_data_serve_while_sources_are_out_of_reach(offline: FreshServer) -> None:
    status, body = _get(offline, "/regions/06?dataset=us-states")
    assert status == 200 and "California" in body
    status, body = _get(offline, "/")
    assert status == 200 and "Where U.S. industrial clusters are" in body, "the U.S. map"
    status, body = _get(offline, "/clusters?dataset=us-states")
    assert status == 200 and "Aerospace Vehicles and Defense" in body
    status, body = _get(offline, "/api/v1/organisations?q=cluster")
    assert status == 200 and json.loads(body)["total"] > 0, "the CMP organisations"
