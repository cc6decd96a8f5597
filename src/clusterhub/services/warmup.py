"""Work that every region page of a level shares, done once when a server starts.

A region page needs its level's scoreboard scores, the cluster map its default peers are
chosen from and the diversification matrix (``dataset_cache``): ~0.3 s per level, paid by the
first visitor of each level after a start or a data load; and the NUTS history (Eurostat's
change tables, ~0.5 s to read) on the first page of any region. Warming reads and computes
them for each NUTS level of the scoreboard's data set, in a background thread, so that nobody
waits; the faces may add steps of their own (the web compiles its page templates).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from clusterhub.errors import ClusterhubError, InvalidInput, NotFound
from clusterhub.services.observatory.diversification import region_diversification
from clusterhub.services.reference import ReferenceData
from clusterhub.services.scoreboard.scorecards import comparison_pool, region_scorecard

log = logging.getLogger(__name__)


def warm_caches(
    factory: sessionmaker[Session], reference: ReferenceData | None = None
) -> list[str]:
    """Read the NUTS history and compute the shared results of each NUTS level through one
    region of it; returns the regions used. A level that cannot be scored (no indicator, too
    few regions) is skipped: its pages say why, as they would without warming."""
    if reference is not None:
        reference.nuts_history  # noqa: B018 - read once, kept by the reference data
    used = []
    with factory() as session:
        pool = comparison_pool(session)
        for level in range(4):
            regions = pool.level(level)
            if not regions:
                continue
            code = regions[0]
            try:
                region_scorecard(session, code=code)
                region_diversification(session, code=code, dataset=pool.dataset_key)
            except (InvalidInput, NotFound) as exc:
                log.info("warming NUTS %s stopped at %s: %s", level, code, exc)
            used.append(code)
        session.rollback()
    return used


def warm_in_background(
    factory: sessionmaker[Session],
    reference: ReferenceData | None = None,
    *after: Callable[[], object],
) -> threading.Thread:
    """Start :func:`warm_caches`, then each of ``after``, in a daemon thread (a failure is
    logged, never raised: the pages compute what they need themselves)."""

    def run() -> None:
        try:
            used = warm_caches(factory, reference)
            for step in after:
                step()
            log.info("warmed the region pages of %s", ", ".join(used))
        except ClusterhubError as exc:  # a source out of reach: the pages say what is missing
            log.warning("region pages not warmed: %s", exc)
        except Exception:  # warming is an optimisation: the pages still work without it
            log.exception("warming the region pages failed")

    thread = threading.Thread(target=run, name="clusterhub-warmup", daemon=True)
    thread.start()
    return thread
