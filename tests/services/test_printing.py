"""The print shop: PDFs kept per data version within a memory bound, new prints budgeted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.errors import NotFound, RateLimited
from clusterhub.services.reports.printing import PrintShop
from clusterhub.store import generations
from clusterhub.store.db import make_engine, make_session_factory, transaction


@pytest.fixture
def session(db_settings: Settings) -> Iterator[Session]:
    engine = make_engine(db_settings)
    with make_session_factory(engine)() as open_session:
        yield open_session
    engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_refills_as_the_window_moves_and_failures_cost_nothing(session: Session) -> None:
    clock = Clock()
    shop = PrintShop(prints=2, window=60, clock=clock)
    assert shop.pdf(session, "a", "x", lambda: b"%PDF-x") == (b"%PDF-x", False)
    with pytest.raises(NotFound):
        shop.pdf(session, "a", "bad", _missing)
    clock.now += 30
    assert shop.pdf(session, "a", "y", lambda: b"%PDF-y")[1] is False
    with pytest.raises(RateLimited) as limited:
        shop.pdf(session, "a", "z", lambda: b"%PDF-z")
    assert limited.value.retry_after == 31  # the first print leaves the window then
    assert shop.pdf(session, "a", "x", _missing) == (b"%PDF-x", True)  # kept: free
    assert shop.pdf(session, "b", "z", lambda: b"%PDF-z")[1] is False  # another client
    clock.now += 31
    assert shop.pdf(session, "a", "w", lambda: b"%PDF-w")[1] is False


def test_kept_pdfs_stay_within_their_memory_and_follow_the_data(
    db_settings: Settings, session: Session
) -> None:
    shop = PrintShop(max_bytes=10, prints=100)
    shop.pdf(session, "a", "one", lambda: b"123456")
    shop.pdf(session, "a", "two", lambda: b"7890")
    shop.pdf(session, "a", "three", lambda: b"abcd")  # 14 bytes: the oldest goes
    assert shop.pdf(session, "a", "one", lambda: b"new")[1] is False
    assert shop.pdf(session, "a", "three", _missing)[1] is True
    session.rollback()
    factory = make_session_factory(make_engine(db_settings))
    with transaction(factory) as writer:
        generations.bump(writer, generations.INDICATORS)  # new indicator values
    assert shop.pdf(session, "a", "three", lambda: b"fresh") == (b"fresh", False)


def _missing() -> bytes:
    raise NotFound("no such region")
