"""Fifty people log in and edit one profile at the same moment, on a real server and both databases.

Each writer logs in (argon2 verification, a session row, failed-login bookkeeping), then
appends its own marker to the profile's description with the version it read, re-reading and
trying again when the server answers 409 (someone saved in between). Afterwards every marker
must be there (no lost update), the version must have moved once per successful save, and no
answer may have been a 5xx: a busy database is waited for, never reported as a server error.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from clusterhub.config import Settings
from clusterhub.services.accounts import users as accounts
from clusterhub.services.accounts.users import Role
from clusterhub.services.directory import profiles
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.conftest import DB_KINDS, migrated_database
from tests.live_app import AppServer

pytestmark = pytest.mark.network

WRITERS = 50
PASSWORD = "correct horse battery staple"
KEY = "concurrency:shared-profile"
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
SESSION_TOKEN = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')
MAX_ATTEMPTS = 400


def _seed(settings: Settings, catalogues: Catalogues) -> int:
    """Fifty members who all administer one profile; the profile's id."""
    engine = make_engine(settings)
    with transaction(make_session_factory(engine)) as session:
        admin = accounts.create_user(
            session, email="site@example.org", display_name="Site", password=PASSWORD,
            role=Role.SITE_ADMIN,
        )  # fmt: skip
        record = profiles.validate(
            {"key": KEY, "name": "Shared Cluster", "country": "DE", "description": "start"},
            catalogues,
        )
        profiles.upsert_profiles(
            session, records=[record], source="test", catalogues=catalogues, embedder=None
        )
        organisation_id = profiles.find_by_key(session, key=KEY)
        for number in range(WRITERS):
            accounts.create_user(
                session, email=f"writer{number}@example.org", display_name=f"Writer {number}",
                password=PASSWORD,
            )  # fmt: skip
            profiles.add_admin(
                session, organisation_id=organisation_id, email=f"writer{number}@example.org",
                actor=admin,
            )  # fmt: skip
    engine.dispose()
    return organisation_id


def _writer(base: str, number: int, organisation_id: int, start: threading.Barrier) -> list[int]:
    """Log in, then append this writer's marker until it is saved; every status seen."""
    statuses: list[int] = []
    with httpx.Client(base_url=base, timeout=120) as browser:
        login_page = browser.get("/account/login")
        statuses.append(login_page.status_code)
        token = LOGIN_TOKEN.search(login_page.text)
        assert token, login_page.text[:500]
        start.wait()
        answer = browser.post(
            "/account/login",
            data={"csrf_token": token.group(1), "email": f"writer{number}@example.org",
                  "password": PASSWORD},
        )  # fmt: skip
        statuses.append(answer.status_code)
        page = browser.get("/directory?page_size=1")
        statuses.append(page.status_code)
        csrf = SESSION_TOKEN.search(page.text)
        assert csrf, page.text[:500]
        for _ in range(MAX_ATTEMPTS):
            current = browser.get(f"/api/v1/organisations/{organisation_id}")
            statuses.append(current.status_code)
            profile = current.json()
            saved = browser.patch(
                f"/api/v1/organisations/{organisation_id}",
                json={
                    "version": profile["version"],
                    "changes": {"description": f"{profile['description']} w{number}."},
                },
                headers={"X-CSRF-Token": csrf.group(1)},
            )
            statuses.append(saved.status_code)
            if saved.status_code != 409:
                break
    return statuses


@pytest.mark.parametrize("kind", DB_KINDS)
def test_fifty_concurrent_editors_lose_nothing_and_see_no_server_error(
    kind: str, tmp_path: Path, catalogues: Catalogues, mirror_settings: Settings
) -> None:
    with migrated_database(kind, tmp_path) as settings:
        organisation_id = _seed(settings, catalogues)
        env = {
            "CLUSTERHUB_DATABASE_URL": settings.database_url,
            "CLUSTERHUB_DATA_MIRROR": str(mirror_settings.data_mirror),
        }
        with AppServer(tmp_path, env) as server:
            start = threading.Barrier(WRITERS)
            with ThreadPoolExecutor(WRITERS) as pool:
                runs = list(
                    pool.map(
                        lambda n: _writer(server.url, n, organisation_id, start), range(WRITERS)
                    )
                )
            final = httpx.get(f"{server.url}/api/v1/organisations/{organisation_id}").json()
            log = server.log_tail()
    statuses = Counter(status for run in runs for status in run)
    server_errors = {s: n for s, n in statuses.items() if s >= 500}
    assert not server_errors, f"{server_errors} of {dict(statuses)}\n{log}"
    assert set(statuses) <= {200, 303, 409}, dict(statuses)
    markers = set(re.findall(r"w(\d+)\.", final["description"]))
    assert markers == {str(n) for n in range(WRITERS)}, final["description"]
    assert final["version"] == 1 + WRITERS


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERHUB_")}
    return subprocess.run(
        [sys.executable, "-c", "from clusterhub.cli import main; main()", *args],
        env={**base, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_command_line_writes_while_the_server_writes(
    tmp_path: Path, catalogues: Catalogues, mirror_settings: Settings
) -> None:
    with migrated_database("sqlite", tmp_path) as settings:
        organisation_id = _seed(settings, catalogues)
        env = {
            "CLUSTERHUB_DATABASE_URL": settings.database_url,
            "CLUSTERHUB_DATA_MIRROR": str(mirror_settings.data_mirror),
        }
        with AppServer(tmp_path, env) as server:
            start = threading.Barrier(11)
            with ThreadPoolExecutor(10) as pool:
                runs = [
                    pool.submit(_writer, server.url, n, organisation_id, start) for n in range(10)
                ]
                start.wait()
                created = _cli(
                    {**env, "CLUSTERHUB_NEW_PASSWORD": PASSWORD},
                    "users", "create", "cli@example.org", "--role", "member",
                )  # fmt: skip
                statuses = Counter(s for run in runs for s in run.result())
    assert created.returncode == 0, created.stderr
    assert "created cli@example.org" in created.stdout
    assert not {s for s in statuses if s >= 500}, statuses


def test_a_command_that_cannot_get_its_turn_says_so(tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path) as settings:
        holder = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
        holder.isolation_level = None
        holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
        try:
            refused = _cli(
                {"CLUSTERHUB_DATABASE_URL": settings.database_url,
                 "CLUSTERHUB_DB_BUSY_TIMEOUT": "1", "CLUSTERHUB_NEW_PASSWORD": PASSWORD},
                "users", "create", "late@example.org",
            )  # fmt: skip
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    assert "busy" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
