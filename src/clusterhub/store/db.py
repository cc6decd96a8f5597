"""Engine and session factories: SQLite by default, PostgreSQL by configuration.

Nothing connects at import time; the app, the CLI and each test build their own engine from
settings, so tests can point at a throw-away SQLite file or at PostgreSQL freely.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from clusterhub.config import Settings
from clusterhub.errors import Unavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Execution option of connections that will write: SQLite then begins ``BEGIN IMMEDIATE``.
WRITE_OPTION = "clusterhub_write"
BUSY_MESSAGE = "The database is busy with other changes; nothing was saved. Try again in a moment."
#: What SQLite says when another connection holds the lock it needs.
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
#: PostgreSQL states that mean "try again": deadlock, serialization failure, lock timeout.
_PG_RETRY = frozenset({"40P01", "40001", "55P03"})


def make_engine(settings: Settings) -> Engine:
    """An engine for ``settings.database_url``, with the pool sized from settings.

    SQLite writers take the database lock when their transaction starts (``BEGIN
    IMMEDIATE`` on write sessions, see ``make_session_factory``) and wait up to
    ``db_busy_timeout`` seconds for it, so concurrent writers queue instead of failing;
    readers never wait (WAL). A database that stays busy longer, or a pool with no free
    connection after ``db_pool_timeout`` seconds, raises :class:`~clusterhub.errors.Unavailable`.
    """
    url = settings.database_url
    pool: dict[str, Any] = {
        "poolclass": _Pool,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
    }
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.db_busy_timeout},
            **(pool if ":memory:" not in url and url.rstrip("/") != "sqlite:" else {}),
        )
        gate = WriteGate()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", partial(_sqlite_begin, gate, settings.db_busy_timeout))
        for name in ("commit", "rollback"):
            event.listen(engine, name, partial(_end_turn, gate))
        event.listen(engine.pool, "checkin", partial(_end_turn_on_checkin, gate))
    else:
        engine = create_engine(url, pool_pre_ping=True, **pool)
    event.listen(engine, "handle_error", _busy_as_unavailable)
    return engine


class _Pool(QueuePool):
    """The standard pool, whose "no connection free in time" is a 503, not a crash."""

    def _do_get(self) -> ConnectionPoolEntry:
        try:
            return super()._do_get()
        except PoolTimeout as exc:
            raise Unavailable(
                "The server is answering many requests at once; try again in a moment."
            ) from exc


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Foreign keys on (SQLite defaults them off); WAL so readers never wait for a writer.

    The driver's own transaction handling is switched off (``isolation_level = None``): it
    would begin every transaction as DEFERRED, and a deferred transaction that read and then
    writes fails at once, without waiting, when another connection wrote in between.
    ``_sqlite_begin`` emits the BEGIN instead.
    """
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class WriteGate:
    """Turns at SQLite's write lock within one process, first come first served.

    SQLite's own busy handler polls with growing sleeps, so under many writers some wait
    far longer than others and run out of time while latecomers get through. Writers of one
    process therefore queue here in arrival order; the busy handler then only arbitrates
    between processes (another server worker, a command-line import).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for this thread's turn; False when it did not come."""
        with self._lock:
            if not self._held and not self._queue:
                self._held = True
                return True
            turn = threading.Event()
            self._queue.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():  # handed over just as the wait ended
                return True
            self._queue.remove(turn)
            return False

    def release(self) -> None:
        """End the current turn: the next writer in line gets it directly."""
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                self._held = False


_TURN = "clusterhub_write_turn"


def _sqlite_begin(gate: WriteGate, timeout: float, connection: Any) -> None:
    """Writers wait for their turn, then take the write lock up front; readers take a snapshot."""
    if not connection.get_execution_options().get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN")
        return
    if not gate.acquire(timeout):
        raise Unavailable(BUSY_MESSAGE)
    connection.info[_TURN] = True
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _end_turn(gate, connection)
        raise


def _end_turn(gate: WriteGate, connection: Any) -> None:
    """After a writer's commit or rollback, let the next one in."""
    if connection.info.pop(_TURN, False):
        gate.release()


def _end_turn_on_checkin(gate: WriteGate, _dbapi: Any, record: Any) -> None:
    """A connection handed back mid-transaction (the pool rolls it back) ends its turn too."""
    if record.info.pop(_TURN, False):
        gate.release()


def _busy_as_unavailable(context: ExceptionContext) -> None:
    """A database busy beyond its timeout is a temporary condition, not a server error."""
    error = context.sqlalchemy_exception
    if isinstance(error, OperationalError) and is_busy(context.original_exception):
        raise Unavailable(BUSY_MESSAGE) from context.original_exception


def is_busy(error: BaseException) -> bool:
    """Whether a driver error means "busy, try again" (SQLite lock, PostgreSQL deadlock...)."""
    text = str(error).lower()
    if any(phrase in text for phrase in _SQLITE_BUSY):
        return True
    return getattr(error, "sqlstate", None) in _PG_RETRY


def make_session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (pages render after saving).

    ``write=True`` sessions begin their transaction as writers (SQLite ``BEGIN IMMEDIATE``)
    at their first statement, so a request that reads and then writes never finds its
    snapshot overtaken by another writer. Nothing is locked before that first statement.
    """
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back everything on any error.

    It begins as a writer whatever ``factory`` is (see ``make_session_factory``).
    """
    with factory() as session, session.begin():
        session.connection(execution_options={WRITE_OPTION: True})
        yield session


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (the only way tables are created)."""
    with engine.begin() as connection:
        upgrade_connection(connection, revision)


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """:func:`upgrade` inside the caller's transaction, so a restore can migrate the data it
    has just written and still roll everything back if anything later fails."""
    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None  # the package always ships its migrations
    return head


def is_known_revision(revision: str) -> bool:
    """True when ``revision`` is one of this code's migrations (older or equal to the head)."""
    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(connection: Connection) -> str | None:
    """The schema revision stored in the database; ``None`` when it was never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
