"""The fitted recommender a running platform serves, learned from its own database.

Learning takes about a minute on the whole Horizon 2020 graph, so a server never learns while
someone waits: ``FittedModels.current`` answers at once with the model it has (or none yet) and
starts learning in a background thread when there is none or the stored participations have
changed since (``stored.stored_state``: an import added or removed some). The command line
learns in the foreground (``fit_now``). One model per process; each server process learns its
own (see ``docs/operations.md``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.errors import InvalidInput
from clusterhub.services.recommend.recommender import Recommender, fit
from clusterhub.services.recommend.stored import StoredState, read_stored, stored_state
from clusterhub.store.models import utcnow

log = logging.getLogger(__name__)
NO_DATA = (
    "No collaboration data is loaded: suggestions are learned from Horizon 2020 projects "
    "(load them with `clusterhub directory import --source cordis`)."
)
SWITCHED_OFF = "Partner suggestions are switched off on this server (CLUSTERHUB_RECOMMEND=false)."
#: Niceness of the learning thread: requests being served come first.
NICENESS = 10
LEARNING = "The recommender is learning from the stored projects (about a minute); try again soon."


@dataclass(frozen=True)
class FittedModel:
    """A recommender and what it was learned from."""

    recommender: Recommender
    state: StoredState
    last_year: int
    fitted_at: datetime
    seconds: float


@dataclass(frozen=True)
class ModelStatus:
    """The model to answer with (None: none yet), whether a (new) one is being learned, and,
    when there is none, why in words."""

    model: FittedModel | None
    message: str = ""
    learning: bool = False


def fit_stored(session: Session, *, seed: int = 0) -> FittedModel:
    """Learn from every stored participation.

    Raises
    ------
    InvalidInput
        If nothing is stored, or too little to learn from (no partnership formed in the last
        two years of the data).
    """
    state = stored_state(session)
    if state.participations == 0:
        raise InvalidInput.single(NO_DATA)
    started = time.perf_counter()
    data = read_stored(session)
    recommender = fit(data, seed=seed)
    return FittedModel(recommender, state, data.last_year, utcnow(), time.perf_counter() - started)


class FittedModels:
    """The process's model, refreshed in the background when the stored graph changes."""

    def __init__(
        self, sessions: sessionmaker[Session], *, enabled: bool = True, seed: int = 0
    ) -> None:
        self._sessions = sessions
        self._enabled = enabled
        self._seed = seed
        self._lock = threading.Lock()
        self._model: FittedModel | None = None
        self._failed: tuple[StoredState, str] | None = None
        self._thread: threading.Thread | None = None

    def current(self) -> ModelStatus:
        """The model to answer with now; learning starts in the background if it is missing
        or stale (a stale model still answers until the new one is ready)."""
        if not self._enabled:
            return ModelStatus(None, SWITCHED_OFF)
        with self._sessions() as session:
            state = stored_state(session)
        with self._lock:
            model = self._model
            if model is not None and model.state == state:
                return ModelStatus(model)
            if state.participations == 0:
                return ModelStatus(model, NO_DATA)
            if self._failed is not None and self._failed[0] == state:
                return ModelStatus(model, self._failed[1])
            self._start()
        return ModelStatus(model, "" if model else LEARNING, learning=True)

    def start(self) -> None:
        """Begin learning now if there is anything to learn from (a server's start; a
        database that cannot be read yet is logged, and the first request tries again)."""
        try:
            self.current()
        except SQLAlchemyError as exc:
            log.warning("recommender: not learning at start, the database cannot be read: %s",
                        exc.__class__.__name__)  # fmt: skip

    def wait(self, timeout: float | None = None) -> None:
        """Until the learning under way (if any) ends."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._learn, name="recommender", daemon=True)
            self._thread.start()

    def _learn(self) -> None:
        _lower_priority()
        with self._sessions() as session:
            state = stored_state(session)
        try:
            with self._sessions() as session:
                model = fit_stored(session, seed=self._seed)
        except InvalidInput as exc:
            self._fail(state, f"No suggestions can be learned yet: {exc}")
            return
        except Exception:  # the server must keep serving; the data's next change tries again
            log.exception("recommender: learning failed")
            self._fail(state, "Learning the recommender failed (see the server log).")
            return
        log.info("recommender learned from %s participations in %.1f s",
                 model.state.participations, model.seconds)  # fmt: skip
        with self._lock:
            self._model = model

    def _fail(self, state: StoredState, message: str) -> None:
        with self._lock:
            self._failed = (state, message)


def _lower_priority() -> None:
    """Make the calling thread (and the threads it starts, e.g. OpenMP's) yield to requests:
    on Linux niceness is per thread."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: at normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
