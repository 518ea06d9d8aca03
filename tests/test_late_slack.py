"""A post Slack acts on late, a lease that ran out, a busy channel: each message still lands exactly once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.delivery import outbox
from bot.delivery.lookup import CLOCK_SKEW
from bot.store.models import OutboxMessage
from tests.support.driven_delivery import delivery_stopped, own_worker
from tests.support.fake_slack import Fault
from tests.support.harness import MIRROR, Harness
from tests.support.settings import VALID, problems, warroom_check


def _declare(warroom: Harness) -> None:
    warroom.command("declare P1 Checkout down")
    warroom.wait_until(lambda: warroom.outbox())


def _mirror_row(warroom: Harness) -> OutboxMessage:
    [row] = [r for r in warroom.outbox() if r.channel_id == MIRROR]
    return row


def test_a_post_slack_acts_on_after_the_timeout_is_looked_for_only_once_it_would_show(database_url: str) -> None:
    with delivery_stopped(database_url, owe=_declare) as (warroom, fake, clock, engine):
        fake.fail("chat.postMessage", Fault(delay=3, acts_late=True, channel=MIRROR))
        worker = own_worker(engine, fake, clock, timeout=1)
        worker.drain()  # the client gives up after 1 s; Slack stores the message 2 s after that
        assert _mirror_row(warroom).state == "pending" and not fake.messages.get(MIRROR)

        clock.advance(seconds=2)  # a second later than a plain back-off: not yet, Slack may still act on it
        worker.drain()
        assert len(fake.received("chat.postMessage", channel=MIRROR)) == 1
        assert fake.received("conversations.history", channel=MIRROR) == []

        deadline = time.monotonic() + 5
        while not fake.messages.get(MIRROR):
            assert time.monotonic() < deadline, "Slack never acted on the first post"
            time.sleep(0.05)
        clock.advance(seconds=5)  # 7 s after the timeout: settle_wait(1 s) is 6 s
        worker.drain()

        row = _mirror_row(warroom)
        [landed] = fake.messages[MIRROR]
        assert row.state == "delivered" and row.ts == landed["ts"]
        assert len(fake.received("chat.postMessage", channel=MIRROR)) == 1, "posted exactly once"
        [look] = fake.received("conversations.history", channel=MIRROR)
        assert float(look.params["oldest"]) == (row.created_at - CLOCK_SKEW).timestamp()


def test_a_worker_whose_lease_ran_out_records_nothing_over_the_worker_that_took_the_row(database_url: str) -> None:
    with delivery_stopped(database_url, owe=_declare) as (warroom, fake, clock, engine):
        fake.fail("chat.postMessage", Fault(delay=1.5, channel=MIRROR))  # posted at once, answered 1.5 s later
        first = own_worker(engine, fake, clock, timeout=3, lease=20)
        delivering = threading.Thread(target=first.drain)
        delivering.start()
        fake.wait_for("chat.postMessage", channel=MIRROR)

        clock.advance(seconds=21)  # the first worker's lease runs out while its post is in flight...
        second_lease = timedelta(seconds=60)
        with Session(engine) as session, session.begin():  # ...and a second worker takes the row over
            row_id = _mirror_row(warroom).id
            assert row_id is not None
            assert outbox.claim(session, [row_id], now=clock.now(), lease=second_lease) == [row_id]
        delivering.join(timeout=10)

        row = _mirror_row(warroom)
        assert row.state == "pending" and row.claimed_until == clock.now() + second_lease, "the second's to settle"
        assert row.ts is None

        clock.advance(seconds=61)  # the second worker died; once its lease is out, a third finds the message
        own_worker(engine, fake, clock, timeout=3).drain()
        row = _mirror_row(warroom)
        [landed] = fake.messages[MIRROR]
        assert row.state == "delivered" and row.ts == landed["ts"]
        assert len(fake.received("chat.postMessage", channel=MIRROR)) == 1


def test_a_post_buried_under_a_busy_channels_newer_messages_is_still_found(database_url: str) -> None:
    with delivery_stopped(database_url, owe=_declare) as (warroom, fake, clock, engine):
        fake.fail("chat.postMessage", Fault(delay=2, channel=MIRROR))  # posted; the answer comes too late
        worker = own_worker(engine, fake, clock, timeout=1)
        worker.drain()
        fake.chatter(MIRROR, 450)  # people post more than two pages of messages after it

        clock.advance(seconds=7)
        worker.drain()

        row = _mirror_row(warroom)
        assert row.state == "delivered" and row.ts == fake.messages[MIRROR][0]["ts"]
        assert len(fake.received("chat.postMessage", channel=MIRROR)) == 1
        pages = fake.received("conversations.history", channel=MIRROR)
        assert [p.params.get("cursor") for p in pages] == [None, "next:200", "next:400"]


@pytest.mark.parametrize(("lease", "timeout", "longest"), [("60s", None, 60), ("30s", "5s", 30), ("10s", "2s", 12)])
def test_a_lease_an_attempt_could_outlast_is_refused_at_start_with_one_line(
    tmp_path: Path, lease: str, timeout: str | None, longest: int
) -> None:
    settings = {**VALID, "WARROOM_DELIVERY_LEASE": lease} | ({"WARROOM_SLACK_TIMEOUT": timeout} if timeout else {})

    [line] = problems(warroom_check(tmp_path, **settings))

    assert line.startswith(f"WARROOM_DELIVERY_LEASE: {lease} is too short: one delivery attempt can take {longest}s")
    assert line.endswith(f"set it above {longest}s")


def test_a_lease_longer_than_an_attempt_is_accepted(tmp_path: Path) -> None:
    result = warroom_check(tmp_path, **VALID, WARROOM_DELIVERY_LEASE="31s", WARROOM_SLACK_TIMEOUT="5s")

    assert result.returncode == 0, result.stderr
