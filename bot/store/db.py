"""Engines, transactions and bringing the schema up to date."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_WRITE = "warroom_write"
# The one piece of process-wide state, on purpose: SQLite's single writer is a property of the file, so every engine
# on it in this process must queue on the same lock. Keyed by process id, so a forked worker never uses its parent's.
_SQLITE_WRITERS: dict[tuple[int, str], _SqliteWriter] = {}
_LOCKS_GUARD = threading.Lock()


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, a pool on PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives the process dying; fsync at checkpoints
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writing transaction takes the write lock up front, so that two writers queue (busy_timeout) instead of
    # failing when a read lock is upgraded; reads stay deferred and, in WAL mode, never block.
    writing = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One writing transaction: commit on success, roll back on any error."""
    with _writer(engine), Session(engine.execution_options(**{_WRITE: True}), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _writer(engine: Engine) -> AbstractContextManager[object]:
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = (os.getpid(), engine.url.render_as_string())
    with _LOCKS_GUARD:
        if key not in _SQLITE_WRITERS:
            _SQLITE_WRITERS[key] = _SqliteWriter(engine.url.database)
        return _SQLITE_WRITERS[key]


class _SqliteWriter:
    """SQLite has one writer at a time. Writers queue here: threads on a lock, processes on a file lock beside
    the database. Left to SQLite's busy handler, they would sleep in steps of up to 100 ms instead."""

    def __init__(self, database: str | None) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        in_memory = not database or database == ":memory:"
        self._fd = None if in_memory else os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> _SqliteWriter:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the migrations shipped in the package."""
    from alembic.config import Config  # Alembic is imported only by those that migrate: it costs ~0.2 s to import

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at `url` up to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def up_to_date(url: str) -> bool:
    """Whether the database at `url` exists and is at the newest schema (read only: nothing is created)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return current == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
