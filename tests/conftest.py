"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from clusterhub.config import Settings
from clusterhub.services.embeddings import Embedder, load_embedder
from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.stats.engines import Engine, SparkSettings, compute_engine
from clusterhub.store.db import make_engine, upgrade
from tests.sbs_series import series_mirror
from tests.smtp_server import PASSWORD as SMTP_PASSWORD
from tests.smtp_server import USER as SMTP_USER
from tests.smtp_server import LocalSmtp, tls_files

# Servers the tests start do not warm region-page caches in a background thread (it would
# compete with the test for the CPU and SQLite); tests/services/test_scoreboard.py checks
# the warming itself.
os.environ.setdefault("CLUSTERHUB_WARM_AT_START", "false")
# Nor do they expire requests or ask follow-ups on their own between a test's steps;
# tests/services/test_events_timer.py runs the timer itself.
os.environ.setdefault("CLUSTERHUB_EVENTS_TIMER_SECONDS", "0")

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real public data beside the repository (never copied into it), or where
    ``CLUSTERHUB_DATA_MIRROR`` points (a git worktree elsewhere has no ``../shared``)."""
    mirror = os.environ.get("CLUSTERHUB_DATA_MIRROR")
    path = Path(mirror) if mirror else (REPO_ROOT / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"shared real data not found at {path}")
    return path


@pytest.fixture(scope="session")
def mirror_settings(shared_data: Path) -> Settings:
    """Settings reading every data set from the shared mirror: tests never download."""
    return Settings(data_mirror=shared_data)


@pytest.fixture(scope="session")
def reference(mirror_settings: Settings) -> ReferenceData:
    """Classifications and taxonomies loaded once for the whole session."""
    return ReferenceData(mirror_settings)


@pytest.fixture(scope="session")
def shipped_reference(tmp_path_factory: pytest.TempPathFactory) -> ReferenceData:
    """Reference data as a fresh install without a mirror has it: the shipped files only."""
    cache = tmp_path_factory.mktemp("shipped-cache")
    return ReferenceData(Settings(data_mirror=None, source_base_url="", cache_dir=cache))


@pytest.fixture(scope="session")
def eu_map(reference: ReferenceData) -> ClusterMap:
    """The cluster map of the real Eurostat SBS 2015 file, built once."""
    return build_cluster_map(MapRequest(source="eurostat-sbs"), reference)


@pytest.fixture(scope="session")
def sbs_series_mirror(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror holding the ten-year stand-in of Eurostat's regional business statistics
    (tests/sbs_series.py) and the shared mirror's other files."""
    return series_mirror(shared_data, tmp_path_factory.mktemp("series-mirror"))


@pytest.fixture(scope="session")
def sbs_series_reference(sbs_series_mirror: Path) -> ReferenceData:
    """Reference data reading the stand-in series' mirror."""
    return ReferenceData(Settings(data_mirror=sbs_series_mirror))


@pytest.fixture(scope="session")
def sbs_series_map(sbs_series_reference: ReferenceData) -> ClusterMap:
    """The cluster map of the stand-in series (2013-2022), built once."""
    return build_cluster_map(MapRequest(source="eurostat-sbs"), sbs_series_reference)


@pytest.fixture(scope="session")
def us_map(shipped_reference: ReferenceData) -> ClusterMap:
    """The cluster map of the real U.S. Cluster Mapping Project state file (shipped), built
    once."""
    return build_cluster_map(MapRequest(source="cmp-states"), shipped_reference)


@pytest.fixture(scope="session")
def catalogues(reference: ReferenceData) -> Catalogues:
    """The code lists directory profiles are validated against (NUTS, NACE, clusters)."""
    return Catalogues.from_reference(reference)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The all-MiniLM-L6-v2 sentence model (numpy), loaded once per session."""
    return load_embedder()


@pytest.fixture(scope="session")
def smtp_tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for 127.0.0.1 and its key (the CA file is the
    certificate itself)."""
    return tls_files(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_server(smtp_tls: tuple[Path, Path]) -> Iterator[LocalSmtp]:
    """A real SMTP server that requires STARTTLS and a log-in (what production uses)."""
    with LocalSmtp(security="starttls", tls=smtp_tls) as server:
        yield server


def with_smtp(settings: Settings, server: LocalSmtp, ca_file: Path | None) -> Settings:
    """``settings`` sending through ``server`` with the right user name and password."""
    return settings.model_copy(
        update={
            "mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": server.port,
            "smtp_security": server.security, "smtp_username": SMTP_USER,
            "smtp_password": SecretStr(SMTP_PASSWORD), "smtp_ca_file": ca_file,
            "smtp_timeout": 5.0, "mail_from": "clusterhub <hub@example.org>",
        }
    )  # fmt: skip


PG_URL = os.environ.get(
    "CLUSTERHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else why not (shown as the skip reason)."""
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: not reachable here
        return f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"
    return None


def _spark_missing() -> str | None:
    """Why the Spark engine cannot run here, or None."""
    try:
        import pyspark  # noqa: F401, PLC0415 - the optional extra
    except ImportError:
        return "pyspark is not installed (optional extra: uv sync --extra spark)"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime for Spark (java not on PATH, JAVA_HOME unset)"
    return None


@pytest.fixture(scope="session")
def spark_engine() -> Engine:
    """The Spark engine on ``local[2]``, started once per test worker.

    Tests that use it belong to the ``spark`` xdist group, so one worker holds the JVM. They
    skip with the reason where pyspark or Java is missing, and fail instead when
    ``CLUSTERHUB_REQUIRE_SPARK`` is set (CI installs the extra, so they must run there).
    """
    reason = _spark_missing()
    if reason and os.environ.get("CLUSTERHUB_REQUIRE_SPARK"):
        pytest.fail(f"{reason}, and CLUSTERHUB_REQUIRE_SPARK is set (CI installs the extra)")
    if reason:
        pytest.skip(reason)
    return compute_engine("spark", SparkSettings(master="local[2]"))


DB_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def migrated_database(kind: str, folder: Path) -> Iterator[Settings]:
    """Settings for an empty, migrated database of ``kind``, removed afterwards.

    PostgreSQL gets a schema of its own (dropped afterwards), so tests never see each other's
    rows and can run in parallel workers.
    """
    if kind == "sqlite":
        settings = Settings(database_url=f"sqlite:///{folder / 'test.db'}", environment="test")
        upgrade(make_engine(settings))
        yield settings
        return
    reason = _pg_reachable()
    if reason and os.environ.get("CLUSTERHUB_REQUIRE_PG"):
        pytest.fail(f"{reason}, and CLUSTERHUB_REQUIRE_PG is set (CI found it running)")
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    settings = Settings(
        database_url=f"{PG_URL}?options=-csearch_path%3D{schema}", environment="test"
    )
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    try:
        yield settings
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture(params=DB_KINDS)
def db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """An empty migrated database of each kind, private to the test."""
    with migrated_database(request.param, tmp_path) as settings:
        yield settings
