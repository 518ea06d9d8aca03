"""Warroom with its own delivery worker stopped, so that a test drives delivery with workers of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine

from bot.delivery.worker import DeliveryWorker
from bot.slack.client import delivery_client
from bot.store.db import make_engine
from tests.support.fake_slack import FakeSlack
from tests.support.harness import MIRROR, FakeClock, Harness, running, start_fake_slack


@contextmanager
def delivery_stopped(
    database_url: str, *, owe: Callable[[Harness], object], before: Callable[[Harness], object] = lambda _w: None
) -> Iterator[tuple[Harness, FakeSlack, FakeClock, Engine]]:
    """Run `before` with Warroom delivering as usual, stop its worker, then run `owe` (which waits until what it
    owes is in the outbox). Yields Warroom, the fake Slack, the clock and an engine for the test's own workers."""
    fake, clock = start_fake_slack(), FakeClock()
    try:
        with running(database_url, fake=fake, clock=clock) as warroom:
            before(warroom)
            warroom.warroom.delivery.stop()
            owe(warroom)
            engine = make_engine(database_url)
            try:
                yield warroom, fake, clock, engine
            finally:
                engine.dispose()
    finally:
        fake.stop()


def own_worker(engine: Engine, fake: FakeSlack, clock: FakeClock, *, timeout: int, lease: int = 90) -> DeliveryWorker:
    """A delivery worker like Warroom's own, with the given Slack timeout and lease, for the test to drain."""
    client = delivery_client(token="xoxb-test-token", base_url=fake.api_url, timeout=timeout)
    return DeliveryWorker(
        engine=engine, client=client, clock=clock, lease=timedelta(seconds=lease), wait_for=frozenset({MIRROR})
    )
