"""Fixtures: every app test runs on SQLite, and on PostgreSQL when WARROOM_TEST_POSTGRES_URL is set.

The suite runs in parallel (pytest-xdist). Each worker has databases of its own: a SQLite file under the test's
tmp_path, and a PostgreSQL database named after the variable's with the worker's id appended (`warroom_test_gw0`,
`warroom_test_gw1`, …; without xdist, the variable's database itself), created on demand through the server's
`postgres` maintenance database. A worker migrates once: SQLite tests get a copy of a migrated file, PostgreSQL
tests an emptied schema (TRUNCATE … RESTART IDENTITY). Tests that check the migrations themselves take
`upgraded_database_url`, which runs every Alembic migration on an empty database.

The slowest tests start first (their last durations are kept in pytest's cache), so that no long test starts last
and holds the run up while the other workers sit idle.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.store.db import alembic_config, upgrade
from tests.support.harness import Harness, running

POSTGRES_ENV = "WARROOM_TEST_POSTGRES_URL"
_DUPLICATE_DATABASE = "42P04"
_DURATIONS = "warroom/durations"
SEED = Path(__file__).resolve().parent / "data" / "durations.json"
_durations: dict[str, float] = {}


WORKERS = 4  # on the 2-core machine the suite is timed on, 4 beat 2, 3 and 8: the tests mostly wait


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Plain `pytest` runs in WORKERS xdist workers; so does `pytest tests/test_x.py`. Named tests (`path::test`)
    run in this process, where starting workers would cost more than it saves. `-n N` chooses; `-n 0` or
    `-p no:xdist` runs in this process (with `-n` in addopts instead, `-p no:xdist` would fail on the unknown option).
    """
    if not config.pluginmanager.has_plugin("xdist") or hasattr(config, "workerinput"):
        return  # xdist is off, or this is a worker (its own -n is cleared)
    named = bool(config.args) and all("::" in arg for arg in config.args)
    if config.option.numprocesses is None and not (config.option.usepdb or config.option.collectonly or named):
        config.option.numprocesses = WORKERS
    if config.getoption("maxschedchunk", None) is None:
        # xdist hands each worker a run of a quarter of its share at once: with the slowest tests first, one worker
        # would get all of them and run on for minutes after the others finished. One or two at a time instead.
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slowest first, by the last run's durations; tests not timed yet keep their order, after the timed ones that
    took over a second. Every xdist worker reads the same cache, so all collect the same order."""
    if getattr(config, "cache", None) is None:
        return
    last: dict[str, float] = config.cache.get(_DURATIONS, None) or _seed()
    items.sort(key=lambda item: -last.get(item.nodeid, 1.0))


@cache
def _seed() -> dict[str, float]:
    """The durations a clean clone starts from (tests over 1 s, from a run on the 2-core machine), so CI schedules
    the slowest first as every later run does; refresh it with `pytest` then copying from .pytest_cache if it ages."""
    seed: dict[str, float] = json.loads(SEED.read_text(encoding="utf-8"))
    return seed


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if getattr(session.config, "cache", None) is None or _worker() or not _durations:
        return  # under xdist the controller sees every report and writes the cache once
    known: dict[str, float] = session.config.cache.get(_DURATIONS, {})
    session.config.cache.set(_DURATIONS, {**known, **{k: round(v, 3) for k, v in _durations.items()}})


def _worker() -> str | None:
    """This xdist worker's id (`gw0`, …), or None when the suite runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER")


@cache
def postgres_url() -> str:
    """This worker's PostgreSQL database, created if missing; skips when the variable is unset, fails when the server
    is unreachable."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests skipped")
    url = make_url(base)
    worker = _worker()
    if worker:
        url = url.set(database=f"{url.database}_{worker}")
    maintenance = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
            if exists.first() is None:
                try:
                    connection.execute(text(f'CREATE DATABASE "{url.database}"'))
                except ProgrammingError as error:  # another run created it since we looked
                    if getattr(error.orig, "sqlstate", None) != _DUPLICATE_DATABASE:
                        raise
    except OperationalError as error:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {error}")
    finally:
        maintenance.dispose()
    return url.render_as_string(hide_password=False)


@cache
def _postgres_engine() -> Engine:
    return create_engine(postgres_url(), pool_size=1)


def fresh_postgres() -> str:
    """An empty PostgreSQL schema in this worker's database; fails (not skips) when the variable is set and the server
    is unreachable."""
    url = postgres_url()
    try:
        with _postgres_engine().begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except OperationalError as error:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {error}")
    return url


@cache
def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def emptied_postgres() -> str:
    """This worker's PostgreSQL database at the newest schema with no rows: emptied when a test left it migrated,
    migrated from scratch otherwise (the first test, or one that dropped or changed the schema)."""
    url = postgres_url()
    try:
        with _postgres_engine().begin() as connection:
            tables = list(
                connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            )
            version = (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if "alembic_version" in tables
                else None
            )
            if version == _head() and len(tables) > 1:
                names = ", ".join(f'"{name}"' for name in tables if name != "alembic_version")
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                return url
    except OperationalError as error:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {error}")
    upgrade(fresh_postgres())
    return url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest schema, migrated once per worker; tests get copies."""
    path = tmp_path_factory.mktemp("migrated") / "warroom.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:  # fold the WAL into the file, so that the one file is the database
        connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "postgres":
        return emptied_postgres()
    path = tmp_path / "warroom.db"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgres"])
def upgraded_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind brought to the newest schema by running every Alembic migration."""
    url = f"sqlite:///{tmp_path / 'warroom.db'}" if request.param == "sqlite" else fresh_postgres()
    upgrade(url)
    return url


@pytest.fixture
def warroom(database_url: str) -> Iterator[Harness]:
    """Warroom running against a fake Slack, on each database."""
    with running(database_url) as harness:
        yield harness


@contextmanager
def _machine_lock(tmp_path_factory: pytest.TempPathFactory, kind: int) -> Iterator[None]:
    """A lock every xdist worker of this run shares (a file beside their temporary directories)."""
    path = tmp_path_factory.getbasetemp().parent / "warroom-browser.lock"
    with path.open("a") as held:
        fcntl.flock(held, kind)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


@pytest.fixture
def browser_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Headless Chromium takes a whole core: while it runs, no test that times Warroom's acks does."""
    with _machine_lock(tmp_path_factory, fcntl.LOCK_EX):
        yield


@pytest.fixture
def not_beside_the_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """For the tests that time acks against Slack's deadlines: they run beside each other, never beside Chromium."""
    with _machine_lock(tmp_path_factory, fcntl.LOCK_SH):
        yield
