"""The events timer on SQLite and PostgreSQL: one round expires due requests and asks due
follow-ups, and mails about both; on PostgreSQL a round finds another process's round running
and does nothing; a failing round is logged and the timer goes on; the timer starts and stops
with the web app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from clusterhub.services.events import notify, requests, timer
from clusterhub.services.mail import FileMailer, mail_folder
from clusterhub.store.db import make_engine, make_session_factory
from clusterhub.store.events import MeetingOutcome, MeetingRequest
from clusterhub.store.models import utcnow
from clusterhub.web.app import create_app
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world
from tests.services.test_events_followup import held_event
from tests.services.test_events_notify import mails

T = TypeVar("T")


def run_alone(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: a browser test earlier in the same xdist worker
    may have left Playwright's event loop running in the main thread, where ``asyncio.run``
    refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("timer"))


@pytest.fixture
def mailbox(world: EventWorld, tmp_path: Path) -> Iterator[Path]:
    notify.mail_with(world.factory, notify.Mailing(FileMailer(tmp_path), "https://hub.example.org"))
    yield tmp_path
    world.factory.configure(info={})


def _overdue_request(world: EventWorld) -> tuple[int, str]:
    """A request past its expiry, and its sender's e-mail address."""
    _organiser, event_id = world.event(status="published")
    (ana, _a), (_ben, b) = world.join(event_id), world.join(event_id)
    with world.tx() as session:
        sent = requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
        session.get(MeetingRequest, sent.id).expires_at = utcnow() - timedelta(minutes=1)  # type: ignore[union-attr]
    return sent.id, ana.email


def _status(world: EventWorld, request_id: int) -> str:
    """The request's status, read without waiting for writers (WAL)."""
    with world.factory() as session:
        return session.get(MeetingRequest, request_id).status  # type: ignore[union-attr]


def test_a_round_expires_asks_and_mails(world: EventWorld, mailbox: Path) -> None:
    _organiser, event_id, people, held, _missed = held_event(world)
    request_id, sender = _overdue_request(world)
    mails(mailbox)  # the request's own mail
    done = timer.run_round(world.factory)
    assert done is not None and done.expired >= 1 and done.asked >= 2
    assert _status(world, request_id) == "expired"
    with world.tx() as session:
        asked = set(session.scalars(select(MeetingOutcome.participant_id).where(
            MeetingOutcome.meeting_id == held)))  # fmt: skip
    assert asked == {people[0][1], people[1][1]}
    sent = mails(mailbox)
    assert (sender, "expired") in {(to, s.split()[-2]) for to, s, _b in sent}
    followups = [(to, body) for to, s, body in sent if s.startswith("What came of")]
    assert {to for to, _b in followups} >= {people[0][0].email, people[1][0].email}
    assert any(f"https://hub.example.org/events/{event_id}/followup" in b for _t, b in followups)
    again = timer.run_round(world.factory)
    assert again is not None and again.expired == 0 and again.asked == 0
    assert mails(mailbox) == []


def test_a_round_skips_while_another_holds_the_lock(world: EventWorld, mailbox: Path) -> None:
    if world.factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite takes write transactions in turn: no round lock")
    request_id, _sender = _overdue_request(world)
    mails(mailbox)
    with world.factory() as other, other.begin():
        other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": timer.LOCK_KEY})
        assert timer.run_round(world.factory) is None
        assert _status(world, request_id) == "sent" and mails(mailbox) == []
    done = timer.run_round(world.factory)
    assert done is not None and done.expired >= 1 and _status(world, request_id) == "expired"


def test_a_failing_round_is_logged_and_the_timer_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")  # no tables: rounds fail
    factory = sessionmaker(engine)

    async def run_a_while() -> bool:
        task = asyncio.create_task(timer.run_timer(factory, 0.01))
        await asyncio.sleep(0.3)
        alive = not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return alive

    with caplog.at_level(logging.ERROR, logger="clusterhub.events.timer"):
        assert run_alone(run_a_while())
    assert len([r for r in caplog.records if "round failed" in r.message]) >= 2
    engine.dispose()


def test_a_locked_sqlite_database_fails_a_round_and_the_next_one_succeeds(
    world: EventWorld, caplog: pytest.LogCaptureFixture
) -> None:
    if not world.settings.database_url.startswith("sqlite"):
        pytest.skip("the SQLite writer lock")
    request_id, _sender = _overdue_request(world)
    engine = make_engine(world.settings.model_copy(update={"db_busy_timeout": 0.1}))
    factory = make_session_factory(engine, write=True)
    holder = sqlite3.connect(
        world.settings.database_url.removeprefix("sqlite:///"), check_same_thread=False
    )

    async def lock_then_release() -> None:
        holder.execute("BEGIN IMMEDIATE")  # another process writing for a while
        task = asyncio.create_task(timer.run_timer(factory, 0.01))
        await asyncio.sleep(0.5)
        assert _status(world, request_id) == "sent" and not task.done()
        holder.rollback()
        for _ in range(100):
            if _status(world, request_id) == "expired":
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        with caplog.at_level(logging.ERROR, logger="clusterhub.events.timer"):
            run_alone(lock_then_release())
    finally:
        holder.close()
        engine.dispose()
    assert any("round failed" in r.message for r in caplog.records)
    assert _status(world, request_id) == "expired"


def test_the_timer_runs_with_the_app(world: EventWorld, tmp_path: Path) -> None:
    request_id, sender = _overdue_request(world)
    settings = world.settings.model_copy(update={
        "events_timer_seconds": 0.05, "warm_at_start": False, "embed_in_background": False,
        "mail_backend": "file", "state_dir": tmp_path})  # fmt: skip
    app = create_app(settings)
    started = time.monotonic()
    with TestClient(app):
        task = app.state.events_timer
        while _status(world, request_id) != "expired" and time.monotonic() - started < 20:
            time.sleep(0.05)
        assert _status(world, request_id) == "expired" and not task.done()
    assert task.done() and time.monotonic() - started < 30
    assert sender in {to for to, _s, _b in mails(mail_folder(settings))}
    off = create_app(settings.model_copy(update={"events_timer_seconds": 0}))
    with TestClient(off):
        assert off.state.events_timer is None
