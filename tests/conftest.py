"""Fixtures: every app test runs on SQLite, and on PostgreSQL when WARROOM_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.store.db import upgrade
from tests.support.harness import Harness, running

POSTGRES_ENV = "WARROOM_TEST_POSTGRES_URL"


def fresh_postgres() -> str:
    """An empty PostgreSQL schema; fails (not skips) when the variable is set and the server is unreachable."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests skipped")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except OperationalError as error:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {error}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    url = f"sqlite:///{tmp_path / 'warroom.db'}" if request.param == "sqlite" else fresh_postgres()
    upgrade(url)
    return url


@pytest.fixture
def warroom(database_url: str) -> Iterator[Harness]:
    """Warroom running against a fake Slack, on each database."""
    with running(database_url) as harness:
        yield harness
