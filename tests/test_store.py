"""The schema comes from Alembic migrations, matches the models, and enforces one open incident per channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import bot.store.public  # noqa: F401 - the public side's tables, compared with the migrations too
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.models import Incident

NOW = datetime(2026, 11, 22, 14, 2, tzinfo=UTC)


def _incident(channel: str) -> Incident:
    return Incident(
        channel_id=channel,
        title="t",
        severity="P1",
        status="investigating",
        lead_id="ULEAD0001",
        declared_at=NOW,
        next_update_due_at=NOW,
    )


def test_migrations_build_exactly_the_models_schema(upgraded_database_url: str) -> None:
    engine = make_engine(upgraded_database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_twice_is_harmless(upgraded_database_url: str) -> None:
    upgrade(upgraded_database_url)
    upgrade(upgraded_database_url)


def test_the_database_refuses_a_second_open_incident_in_a_channel(database_url: str) -> None:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        session.add(_incident("CWARROOM1"))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(_incident("CWARROOM1"))
    with session_scope(engine) as session:  # another channel is fine
        session.add(_incident("COTHER001"))
    engine.dispose()


def test_a_resolved_incident_frees_its_channel(database_url: str) -> None:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        first = _incident("CWARROOM1")
        first.resolved_at = NOW
        session.add(first)
    with session_scope(engine) as session:
        session.add(_incident("CWARROOM1"))
    engine.dispose()


def test_times_come_back_as_aware_utc(database_url: str) -> None:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        session.add(_incident("CWARROOM1"))
    with session_scope(engine) as session:
        stored = session.get(Incident, 1)
        assert stored is not None and stored.declared_at == NOW and stored.declared_at.tzinfo is not None
    engine.dispose()
