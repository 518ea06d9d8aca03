"""Nothing lost, nothing doubled: what Warroom owes Slack survives 429s, 5xx, slow answers, restarts and replicas."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from slack_sdk import WebClient

from bot.delivery.worker import DeliveryWorker
from bot.slack.client import delivery_client
from bot.store.db import make_engine
from tests.support.fake_slack import FakeSlack, Fault
from tests.support.harness import MIRROR, WAR_ROOM, FakeClock, Harness, running, start_fake_slack


def _keys(fake: FakeSlack, channel: str) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in fake.messages.get(channel, [])]


def _mirror_posts(fake: FakeSlack) -> list[str]:
    return [m["text"] for m in fake.messages.get(MIRROR, [])]


def test_activation_survives_two_429s_and_arrives_once(warroom: Harness) -> None:
    warroom.fake.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "30"}, times=2))

    warroom.command("declare P1 Checkout down")  # the card and the activation notice are both throttled
    warroom.wait_until(lambda: [r for r in warroom.outbox() if r.last_error == "ratelimited"][1:])
    [card_row] = [row for row in warroom.outbox() if row.message_key == "incident:1:card"]
    assert card_row.state == "pending" and card_row.last_error == "ratelimited"
    assert card_row.next_attempt_at >= warroom.clock.now() + timedelta(seconds=29)

    warroom.clock.advance(seconds=31)
    warroom.warroom.delivery.wake()
    warroom.wait_until(lambda: warroom.card_ts(1))
    warroom.fake.wait_for("chat.postMessage", channel=MIRROR, count=2)
    warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "Draft update" in c.text)
    warroom.drain()
    assert _keys(warroom.fake, WAR_ROOM) == ["incident:1:card", "entry:1:draft"], "each posted once, in order"
    assert len(_mirror_posts(warroom.fake)) == 1


def test_a_429_is_honoured_before_trying_again(warroom: Harness) -> None:
    warroom.fake.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "20"}, times=1, channel=WAR_ROOM))
    warroom.command("declare P1 Checkout down")
    warroom.wait_until(lambda: [r for r in warroom.outbox() if r.last_error == "ratelimited"])

    warroom.drain()  # delivers whatever is ready now: the throttled card is not
    assert len(warroom.fake.received("chat.postMessage", channel=WAR_ROOM)) == 1, "no retry before Retry-After"

    warroom.clock.advance(seconds=21)
    warroom.warroom.delivery.wake()
    warroom.fake.wait_for("chat.postMessage", 2, channel=WAR_ROOM)


def test_server_errors_are_retried_with_backoff_in_order(warroom: Harness) -> None:
    warroom.fake.fail("chat.postMessage", Fault(status=500, error="internal_error", times=3))
    warroom.command("declare P2 Search slow")
    warroom.wait_until(warroom.incidents)
    warroom.command("severity P1", response="sev")

    def all_delivered_as_time_passes() -> bool:
        warroom.clock.advance(seconds=5)
        warroom.warroom.delivery.wake()
        public = [row for row in warroom.outbox() if row.user_id is None]
        # card, activation, first draft, its DM copy; the severity change, the card and the activation updated,
        # and the mirror's severity line
        return len(public) == 8 and all(row.state == "delivered" for row in public)

    warroom.wait_until(all_delivered_as_time_passes)
    war_room_posts = [m["text"] for m in warroom.fake.messages[WAR_ROOM]]
    assert len(war_room_posts) == 3
    assert war_room_posts[0].startswith("INC-1"), "the card, the first draft, then the announcement: in order"
    assert "Draft update for INC-1" in war_room_posts[1]
    assert "changed INC-1" in war_room_posts[2]
    assert len(_mirror_posts(warroom.fake)) == 2
    assert "declared" in _mirror_posts(warroom.fake)[0] and "severity changed" in _mirror_posts(warroom.fake)[1]


def test_a_slow_slack_does_not_slow_the_ack(warroom: Harness) -> None:
    warroom.fake.fail("chat.postMessage", Fault(delay=2.0, times=2))

    started = time.monotonic()
    warroom.command("declare P1 Checkout down")
    acked_after = time.monotonic() - started

    assert acked_after < 1.5, "the ack does not wait for Slack's Web API"
    warroom.fake.wait_for("chat.postMessage", 2, timeout=10)
    warroom.wait_until(lambda: warroom.card_ts(1), timeout=10)


def test_a_timed_out_post_is_retried(database_url: str) -> None:
    fake = start_fake_slack()
    fake.fail("chat.postMessage", Fault(delay=2, times=1, channel=WAR_ROOM))
    clock = FakeClock()
    try:
        with running(database_url, fake=fake, clock=clock) as warroom:
            warroom.warroom.delivery.stop()  # this test drives a worker with a short timeout instead
            warroom.command("declare P1 Checkout down")
            warroom.wait_until(lambda: warroom.outbox())
            engine = make_engine(database_url)
            worker = DeliveryWorker(engine=engine, clock=clock, client=_short_timeout_client(fake))
            worker.drain()
            first = warroom.outbox()[0]
            assert first.state == "pending" and first.last_error in ("TimeoutError", "timeout", "URLError")
            clock.advance(seconds=7)  # past settle_wait(1 s): looked for in the history first, then posted
            worker.drain()
            assert all(row.state == "delivered" for row in warroom.outbox() if row.user_id is None)
            engine.dispose()
    finally:
        fake.stop()


def _short_timeout_client(fake: FakeSlack) -> WebClient:
    return delivery_client(token="xoxb-test-token", base_url=fake.api_url, timeout=1)


def test_a_restart_delivers_what_was_still_owed(database_url: str) -> None:
    fake = start_fake_slack()
    try:
        fake.fail("chat.postMessage", Fault(status=503, error="service_unavailable", times=100))
        with running(database_url, fake=fake) as before:
            before.command("declare P1 Checkout down")
            fake.wait_for("chat.postMessage", 2)
        assert fake.messages == {}
        fake._faults.clear()

        clock = FakeClock()
        clock.advance(minutes=1)
        with running(database_url, fake=fake, clock=clock) as after:
            after.wait_until(lambda: after.card_ts(1))
            fake.wait_for("chat.postMessage", channel=MIRROR, where=lambda c: True, count=1)
            after.wait_until(lambda: all(r.state == "delivered" for r in after.outbox() if r.user_id is None))
        assert _keys(fake, WAR_ROOM) == ["incident:1:card", "entry:1:draft"] and len(fake.messages[MIRROR]) == 1
    finally:
        fake.stop()


def test_two_replicas_deliver_each_message_exactly_once(database_url: str) -> None:
    fake = start_fake_slack()
    fake.fail("chat.postMessage", Fault(delay=0.02, times=1000))  # widen the race window
    try:
        with running(database_url, fake=fake) as one, running(database_url, fake=fake) as two:
            channels = [f"CROOM{n:04d}" for n in range(12)]
            for channel in channels:
                fake.add_channel(channel, channel.lower())
            threads = [
                threading.Thread(
                    target=(one if n % 2 else two).command,
                    args=(f"declare P2 Outage {n}",),
                    kwargs={"channel": channel},
                )
                for n, channel in enumerate(channels)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            one.wait_until(lambda: len([r for r in one.outbox() if r.state == "delivered"]) == 60, timeout=30)
            one.drain()  # nothing ready, nothing held by either replica: every post there will be has been made
            two.drain()
        keys = [c.params["metadata"]["event_payload"]["key"] for c in fake.received("chat.postMessage")]
        assert len(keys) == 48 and len(set(keys)) == 48, "each card, activation, draft and DM posted once"
        assert len(fake.received("chat.postEphemeral")) == 12
        assert len(fake.messages[MIRROR]) == 12
    finally:
        fake.stop()


def test_an_ephemeral_for_someone_who_left_is_dropped_not_retried_forever(database_url: str) -> None:
    fake = start_fake_slack()
    fake.fail("chat.postEphemeral", Fault(error="user_not_in_channel", times=1))
    try:
        with running(database_url, fake=fake) as warroom:
            warroom.declare()
            row = warroom.wait_until(
                lambda: next((r for r in warroom.outbox() if r.user_id and r.state != "pending"), None)
            )
            assert row.state == "failed" and row.last_error == "user_not_in_channel"
    finally:
        fake.stop()
