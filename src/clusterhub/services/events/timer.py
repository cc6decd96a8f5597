"""The events timer: while the server runs, expire unanswered meeting requests and ask due
follow-up questions every ``events_timer_seconds``, so neither waits for an operator to run
``clusterhub events expire`` / ``followups``.

A round is one transaction (``run_round``). Several server processes each run the timer; on
PostgreSQL a transaction-level advisory lock lets one of them do a round while the others skip
it, and on SQLite write transactions are taken in turn anyway (and a round does nothing the
second time). A round that fails (a busy database, a lost connection) is logged and rolled
back; the next one tries again, and the server carries on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.services.events import followup, requests
from clusterhub.store.db import transaction

log = logging.getLogger("clusterhub.events.timer")
#: The advisory lock key of a timer round ("ch-evtim" as a number); only the timer takes it.
LOCK_KEY = 0x63682D657674696D


@dataclass(frozen=True)
class Round:
    """What one round did."""

    expired: int
    asked: int


def run_round(factory: sessionmaker[Session], *, now: datetime | None = None) -> Round | None:
    """Expire due requests and ask due follow-ups in one transaction; ``None`` when another
    process holds the round's lock (PostgreSQL), so this one did nothing."""
    with transaction(factory) as session:
        if not _take_lock(session):
            return None
        expired = requests.expire_due(session, now=now)
        asked = followup.ask_due(session, now=now)
    return Round(expired, len(asked))


def _take_lock(session: Session) -> bool:
    """The round's lock, released with the transaction (only PostgreSQL needs one)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}))


async def run_timer(factory: sessionmaker[Session], seconds: float) -> None:
    """Run a round every ``seconds`` (the first after one interval) until cancelled; the
    round's database work runs in a thread so the server's event loop never waits on it."""
    while True:
        await asyncio.sleep(seconds)
        try:
            done = await asyncio.to_thread(run_round, factory)
        except Exception:  # any failure: logged; the next round tries again
            log.exception("events timer round failed; trying again in %g s", seconds)
            continue
        if done is not None and (done.expired or done.asked):
            log.info("events timer: expired %d requests, asked %d follow-up questions",
                     done.expired, done.asked)  # fmt: skip
