"""Oversized and forged bodies against a real server: refused early, with bounded memory.

Each request streams a body of hundreds of megabytes with ``Transfer-Encoding: chunked`` (no
``Content-Length`` to refuse it by) from a raw socket, while the server's resident memory is
sampled. The server must answer before it has taken more than a few megabytes of the body,
and its memory must not grow with the body. Also here: which client address the login rate
limit counts when requests carry ``X-Forwarded-For``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from clusterhub.config import Settings
from clusterhub.services.accounts import users
from clusterhub.services.accounts.users import Role
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.conftest import migrated_database
from tests.live_app import AppServer

pytestmark = pytest.mark.network

PASSWORD = "correct horse battery staple"
BODY = 256 * 2**20


def _kernel_buffers() -> int:
    """The most the kernel may buffer of one loopback connection: the receiving socket's
    largest autotuned buffer plus the sending socket's (``tcp_rmem`` and ``tcp_wmem`` maxima;
    32 MiB + 4 MiB on some hosts), or 16 MiB where they cannot be read."""
    try:
        return sum(
            int(Path(f"/proc/sys/net/ipv4/{name}").read_text().split()[-1])
            for name in ("tcp_rmem", "tcp_wmem")
        )
    except (OSError, ValueError, IndexError):
        return 16 * 2**20


#: What the client may have sent of a refused body by the time the answer arrives: what the
#: server read (a network chunk and the client's 1 MiB block) plus what the kernel buffers of
#: the connection meanwhile, which is all of them while other processes keep the server
#: waiting. Far below the 256 MiB body, so a server that reads the body still fails.
EARLY = _kernel_buffers() + 4 * 2**20
#: How much its memory may grow meanwhile.
MEMORY = 64 * 2**20
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
SESSION_TOKEN = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')
#: The start of a well-formed multipart body whose file the stream then fills: a parser
#: that reads it spools the file to disk.
FILE_PART = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'


@dataclass(frozen=True)
class Streamed:
    """How a streamed request ended."""

    status: int
    sent_before_answer: int
    memory_growth: int


def _users(settings: Settings) -> None:
    engine = make_engine(settings)
    with transaction(make_session_factory(engine)) as session:
        for role in (Role.MEMBER, Role.PROGRAMME_OFFICER):
            users.create_user(
                session, email=f"{role.value}@example.org", display_name=role.label,
                password=PASSWORD, role=role,
            )  # fmt: skip
    engine.dispose()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mirror_settings: Settings
) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("limits")
    with migrated_database("sqlite", folder) as settings:
        _users(settings)
        env = {
            "CLUSTERHUB_DATABASE_URL": settings.database_url,
            "CLUSTERHUB_DATA_MIRROR": str(mirror_settings.data_mirror),
        }
        with AppServer(folder, env) as running:
            yield running


def _logged_in(server: AppServer, role: Role) -> tuple[str, str]:
    """The session cookie and CSRF token of a fresh login as the user with ``role``."""
    with httpx.Client(base_url=server.url) as browser:
        token = LOGIN_TOKEN.search(browser.get("/account/login").text)
        assert token
        answer = browser.post(
            "/account/login",
            data={"csrf_token": token[1], "email": f"{role.value}@example.org",
                  "password": PASSWORD},
        )  # fmt: skip
        assert answer.status_code == 303, answer.text
        page = SESSION_TOKEN.search(browser.get("/directory?page_size=1").text)
        assert page
        return f"ch_session={browser.cookies['ch_session']}", page[1]


def _stream(
    server: AppServer, method: str, path: str, headers: dict[str, str], prefix: bytes = b""
) -> Streamed:
    """Send ``prefix`` and then ``BODY`` bytes, chunked; the answer's status, what had been sent
    by then, and the server's memory growth while it lasted."""
    process = psutil.Process(server.pid)
    before = process.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.02)

    connection = socket.create_connection(("127.0.0.1", server.port))
    connection.settimeout(10)
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sent = [0]

    def pump() -> None:
        block = b"7" * 2**20
        try:
            if prefix:
                connection.sendall(b"%x\r\n%s\r\n" % (len(prefix), prefix))
            while sent[0] < BODY and not done.is_set():
                connection.sendall(b"%x\r\n%s\r\n" % (len(block), block))
                sent[0] += len(block)
            connection.sendall(b"0\r\n\r\n")
        except OSError:  # the server closed, or stopped reading: both end the upload
            pass

    threads = [threading.Thread(target=sample), threading.Thread(target=pump)]
    for thread in threads:
        thread.start()
    try:
        answer = b""
        deadline = time.monotonic() + 120
        while b"\r\n" not in answer and time.monotonic() < deadline:
            try:
                answer += connection.recv(4096)
            except TimeoutError:
                continue
        sent_before_answer = sent[0]
    finally:
        done.set()
        connection.close()
        for thread in threads:
            thread.join()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return Streamed(status, sent_before_answer, peak[0] - before)


def _assert_refused_early(result: Streamed, status: int) -> None:
    assert result.status == status, result
    assert result.sent_before_answer <= EARLY, result
    assert result.memory_growth <= MEMORY, result


def test_an_anonymous_huge_json_body_is_refused_before_it_is_read(server: AppServer) -> None:
    headers = {"Content-Type": "application/json"}
    _assert_refused_early(_stream(server, "POST", "/api/v1/organisations", headers), 401)


def test_a_huge_form_to_the_login_page_is_refused_before_it_is_spooled(
    server: AppServer,
) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    _assert_refused_early(_stream(server, "POST", "/account/login", headers, FILE_PART), 403)


def test_a_members_huge_upload_is_refused_by_role_before_it_is_read(server: AppServer) -> None:
    cookie, token = _logged_in(server, Role.MEMBER)
    headers = {
        "Cookie": cookie,
        "X-CSRF-Token": token,
        "Content-Type": "multipart/form-data; boundary=xyz",
    }
    _assert_refused_early(_stream(server, "POST", "/api/v1/scoreboard/indicators", headers), 403)


def test_a_huge_json_body_is_cut_off_at_the_limit(server: AppServer) -> None:
    cookie, token = _logged_in(server, Role.MEMBER)
    headers = {"Cookie": cookie, "X-CSRF-Token": token, "Content-Type": "application/json"}
    _assert_refused_early(_stream(server, "POST", "/api/v1/organisations", headers), 413)


def test_an_officers_upload_over_the_limit_is_cut_off(server: AppServer) -> None:
    cookie, token = _logged_in(server, Role.PROGRAMME_OFFICER)
    headers = {
        "Cookie": cookie,
        "X-CSRF-Token": token,
        "Content-Type": "multipart/form-data; boundary=xyz",
    }
    result = _stream(server, "POST", "/api/v1/scoreboard/indicators", headers, FILE_PART)
    assert result.status == 413, result
    assert result.sent_before_answer <= 50 * 2**20 + EARLY, result  # the 50 MiB limit


def _failed_logins(server: AppServer, forwarded_for: list[str]) -> list[int]:
    """One failed login per address in ``X-Forwarded-For``, each with another e-mail."""
    statuses = []
    for number, address in enumerate(forwarded_for):
        with httpx.Client(base_url=server.url) as browser:
            token = LOGIN_TOKEN.search(browser.get("/account/login").text)
            assert token
            answer = browser.post(
                "/account/login",
                data={"csrf_token": token[1], "email": f"nobody{number}@example.org",
                      "password": "wrong password"},
                headers={"X-Forwarded-For": address},
            )  # fmt: skip
            statuses.append(answer.status_code)
    return statuses


def test_forwarded_addresses_are_ignored_unless_the_proxy_is_trusted(
    server: AppServer, tmp_path: Path, mirror_settings: Settings
) -> None:
    addresses = [f"203.0.113.{n}" for n in range(1, 8)]
    # Default: the header is ignored; all attempts come from 127.0.0.1, which gets limited.
    statuses = _failed_logins(server, addresses)
    assert statuses[:5] == [400] * 5 and 429 in statuses[5:], statuses
    with migrated_database("sqlite", tmp_path) as settings:
        env = {
            "CLUSTERHUB_DATABASE_URL": settings.database_url,
            "CLUSTERHUB_DATA_MIRROR": str(mirror_settings.data_mirror),
            "CLUSTERHUB_TRUSTED_PROXIES": "127.0.0.1",
        }
        with AppServer(tmp_path, env) as behind_proxy:
            # Behind a trusted proxy each client is its forwarded address: none is limited.
            assert _failed_logins(behind_proxy, addresses) == [400] * len(addresses)
