"""Data set routes: mirror, cache, and real downloads from a loopback HTTP server (no mocks)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clusterhub.config import Settings
from clusterhub.datasets import DATASETS, PACKAGED_DIR, DatasetSpec, fetch, get_spec, source_url
from clusterhub.errors import DataSourceError, NotFound

BODY = b"nace_r2;geo;n2015\n" + b"C20;BE;1234\n" * 20_000  # ~240 kB: several chunks


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    requests: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path.startswith("/status/"):
            self.send_error(int(self.path.rsplit("/", 1)[1]))
        elif self.path == "/slow":
            time.sleep(1.0)
            with contextlib.suppress(ConnectionError):  # the client has given up by now
                self._send(b"late")
        elif self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[: len(BODY) // 3])
            self.close_connection = True
        else:
            file = self.server.root / self.path.lstrip("/")
            if file.is_file():
                self._send(file.read_bytes())
            else:
                self.send_error(404)

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    root = tmp_path / "served"
    root.mkdir()
    (root / "sbs.csv").write_bytes(BODY)
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.root, httpd.requests = root, []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server: _Server, path: str) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}{path}"


def _spec(url: str | None, mirror_path: str = "eu/test.csv") -> DatasetSpec:
    return DatasetSpec("test-set", mirror_path, url, "a test data set", "test licence")


def _settings(tmp_path: Path, *, mirror: Path | None = None, timeout: float = 5.0) -> Settings:
    return Settings(data_mirror=mirror, cache_dir=tmp_path / "cache", download_timeout=timeout)


def _leftovers(tmp_path: Path) -> list[Path]:
    cache = tmp_path / "cache"
    return [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []


@pytest.mark.network
def test_download_lands_in_the_cache_with_progress(server: _Server, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path = fetch(
        _spec(_url(server, "/sbs.csv")),
        _settings(tmp_path),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert path == tmp_path / "cache" / "eu" / "test.csv"
    assert path.read_bytes() == BODY
    assert seen[0] == (0, len(BODY)) and seen[-1] == (len(BODY), len(BODY))
    assert len(seen) > 2, "progress is reported per chunk, not only at the end"
    assert _leftovers(tmp_path) == [path], "no temporary file is left beside the result"


@pytest.mark.network
def test_a_cached_copy_is_reused_without_a_request(server: _Server, tmp_path: Path) -> None:
    spec = _spec(_url(server, "/sbs.csv"))
    first = fetch(spec, _settings(tmp_path))
    assert fetch(spec, _settings(tmp_path)) == first
    assert server.requests == ["/sbs.csv"]


@pytest.mark.network
@pytest.mark.parametrize(
    ("path", "expected"), [("/status/404", "HTTP 404"), ("/status/500", "HTTP 500")]
)
def test_http_errors_name_the_url_and_leave_nothing(
    server: _Server, tmp_path: Path, path: str, expected: str
) -> None:
    url = _url(server, path)
    with pytest.raises(DataSourceError) as caught:
        fetch(_spec(url), _settings(tmp_path))
    assert url in str(caught.value) and expected in str(caught.value)
    assert "test-set" in str(caught.value)
    assert _leftovers(tmp_path) == []


@pytest.mark.network
def test_a_truncated_download_leaves_nothing_behind(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"closed after \d+ of \d+ bytes"):
        fetch(_spec(_url(server, "/truncated")), _settings(tmp_path))
    assert _leftovers(tmp_path) == []


@pytest.mark.network
def test_a_silent_server_times_out(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"no answer within 0\.2 s"):
        fetch(_spec(_url(server, "/slow")), _settings(tmp_path, timeout=0.2))
    assert _leftovers(tmp_path) == []


@pytest.mark.network
def test_a_refused_connection_is_a_data_source_error(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DataSourceError, match="refused"):
        fetch(_spec(f"http://127.0.0.1:{port}/x.csv"), _settings(tmp_path))


@pytest.mark.network
def test_a_configured_mirror_is_the_only_route(server: _Server, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "eu").mkdir(parents=True)
    (mirror / "eu" / "test.csv").write_text("x\n", encoding="utf-8")
    spec = _spec(_url(server, "/sbs.csv"))
    assert fetch(spec, _settings(tmp_path, mirror=mirror)) == mirror / "eu" / "test.csv"

    absent = _spec(_url(server, "/sbs.csv"), mirror_path="us/absent.csv")
    with pytest.raises(DataSourceError) as caught:
        fetch(absent, _settings(tmp_path, mirror=mirror))
    assert str(mirror / "us" / "absent.csv") in str(caught.value)
    assert "test-set" in str(caught.value)
    assert server.requests == [], "nothing is downloaded while a mirror is configured"


def test_a_mirror_holding_the_official_download_serves_it_first(tmp_path: Path) -> None:
    # The SBS mirror file is a one-year extract; a mirror may hold the whole bulk TSV (every
    # year) under its cache name, and then that is read.
    mirror = tmp_path / "mirror"
    spec = get_spec("eurostat-sbs")
    assert spec.download_path is not None
    (mirror / spec.mirror_path).parent.mkdir(parents=True)
    (mirror / spec.mirror_path).write_text("nace_r2;geo;n2015\n", encoding="utf-8")
    assert fetch(spec, _settings(tmp_path, mirror=mirror)) == mirror / spec.mirror_path
    (mirror / spec.download_path).write_bytes(b"bulk")
    assert fetch(spec, _settings(tmp_path, mirror=mirror)) == mirror / spec.download_path


def test_a_mirror_only_data_set_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="CLUSTERHUB_DATA_MIRROR"):
        fetch(_spec(None), _settings(tmp_path))


def test_unknown_keys_list_the_known_ones() -> None:
    with pytest.raises(NotFound, match="eurostat-sbs"):
        get_spec("no-such-set")


#: Official files the shared mirror holds in another shape: the CORDIS export zip is there as
#: its two flattened tables (tests/services/test_cordis_export.py covers both routes).
NOT_IN_SHARED_MIRROR = {"cordis-h2020-projects"}


def test_every_registered_data_set_is_in_the_shared_mirror(shared_data: Path) -> None:
    settings = Settings(data_mirror=shared_data)
    for key, spec in DATASETS.items():
        assert spec.key == key
        if key not in NOT_IN_SHARED_MIRROR:
            assert fetch(key, settings).is_file(), key
        assert spec.url is None or spec.url.startswith("https://"), key
        assert spec.licence and spec.description, key


def test_official_downloads_are_cached_apart_from_differently_shaped_extracts() -> None:
    sbs = get_spec("eurostat-sbs")
    assert sbs.url is not None and "sbs_r_nuts06_r2?format=TSV&compressed=true" in sbs.url
    assert sbs.cache_path.endswith(".tsv.gz") and sbs.cache_path != sbs.mirror_path
    assert get_spec("nuts2021-l2").cache_path == get_spec("nuts2021-l2").mirror_path


SHIPPED = {key: spec for key, spec in DATASETS.items() if spec.packaged}


def test_the_small_reference_files_ship_with_the_package() -> None:
    assert set(SHIPPED) == {
        "nace-rev2", "naics-nace", "cmp-clusters", "cmp-related", "cmp-orgs", "cmp-states",
    }  # fmt: skip
    readme = (PACKAGED_DIR / "README.md").read_text(encoding="utf-8")
    for key, spec in SHIPPED.items():
        assert spec.packaged is not None
        packed = PACKAGED_DIR / spec.packaged
        assert packed.stat().st_size < 1_000_000, key
        assert f"`{spec.packaged}`" in readme and f"`{key}`" in readme, key


def test_without_a_mirror_shipped_files_are_read_from_the_package(
    server: _Server, tmp_path: Path
) -> None:
    settings = _settings(tmp_path).model_copy(update={"source_base_url": _url(server, "")})
    for key in SHIPPED:
        path = fetch(key, settings)
        assert path.is_relative_to(tmp_path / "cache" / "packaged"), key
        assert path.stat().st_size > 1000, key
    assert server.requests == [], "shipped files are never downloaded"


def test_shipped_files_equal_the_shared_mirror_and_fill_its_gaps(
    shared_data: Path, tmp_path: Path
) -> None:
    for key in SHIPPED:
        unpacked = fetch(key, _settings(tmp_path))
        mirrored = fetch(key, _settings(tmp_path, mirror=shared_data))
        assert mirrored.is_relative_to(shared_data), "a mirror that has the file wins"
        assert unpacked.read_bytes() == mirrored.read_bytes(), key
    partial = tmp_path / "partial-mirror"
    partial.mkdir()
    assert fetch("nace-rev2", _settings(tmp_path, mirror=partial)).is_relative_to(tmp_path)


def test_a_stand_in_server_takes_the_official_host_and_path(
    server: _Server, tmp_path: Path
) -> None:
    official = get_spec("nuts2021-l0")
    assert official.url is not None
    served = server.root / "gisco-services.ec.europa.eu" / official.url.split("/", 3)[3]
    served.parent.mkdir(parents=True)
    served.write_bytes(b'{"type": "FeatureCollection", "features": []}')
    settings = _settings(tmp_path).model_copy(update={"source_base_url": _url(server, "/")})
    assert fetch(official, settings).read_bytes() == served.read_bytes()
    assert server.requests == ["/gisco-services.ec.europa.eu/" + official.url.split("/", 3)[3]]
    assert source_url(official.url, _settings(tmp_path)) == official.url, "default: official"
