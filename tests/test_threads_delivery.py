"""Threads: a reply lands under its parent exactly once, through timeouts, crashes, 429s and a parent that is gone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlmodel import Session

from bot.delivery import outbox
from bot.delivery.worker import DeliveryWorker
from bot.incidents import keys
from bot.render.blocks import text_message
from bot.slack.client import delivery_client
from bot.store.db import make_engine, session_scope
from bot.store.models import OutboxMessage
from tests.support.fake_slack import FakeSlack, Fault
from tests.support.feed import approve
from tests.support.harness import (
    LEAD,
    MIRROR,
    OTHER_ROOM,
    SECRET,
    WAR_ROOM,
    FakeClock,
    Harness,
    running,
    start_fake_slack,
)
from tests.support.processes import SHORT_LEASE, environment, free_port, kill_group, start, wait_healthy, wait_settled
from tests.support.slack_requests import Slack

ACTIVATION = keys.activation(1)


def _reply(
    engine: Engine,
    text: str,
    *,
    at: FakeClock,
    channel: str = MIRROR,
    thread_key: str = ACTIVATION,
    broadcast: bool = False,
    key: str | None = None,
    user_id: str | None = None,
) -> int:
    """Owe Slack a reply in incident 1's thread, as the flows do (`_to_mirror`, `_to_war_room_thread`)."""
    with session_scope(engine) as session:
        row = outbox.enqueue(
            session,
            text=text,
            blocks=text_message(text).blocks,
            incident_id=1,
            channel_id=channel,
            at=at.now(),
            key=key,
            user_id=user_id,
            thread_key=thread_key,
            broadcast=broadcast,
        )
        session.flush()
        assert row.id is not None
        return row.id


def _row(engine: Engine, row_id: int) -> OutboxMessage:
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


def _posts_of(fake: FakeSlack, text: str) -> list[str]:
    """The chat.postMessage calls that carried `text`, each by the thread it asked for ("" for the top level)."""
    return [
        str(c.params.get("thread_ts") or "") for c in fake.received("chat.postMessage", where=lambda c: c.text == text)
    ]


def _parent(warroom: Harness) -> str:
    """Where incident 1's activation notice landed in the mirror: its thread's parent."""
    return warroom.wait_until(lambda: warroom.fake.ts_of(MIRROR, ACTIVATION))


@contextmanager
def _declared(database_url: str, **faults: Fault) -> Iterator[tuple[Harness, FakeSlack, FakeClock, DeliveryWorker]]:
    """A declared incident whose messages are all delivered, by a worker the test drives (its client gives up
    after 1 s); `faults` are set on chat.postMessage before the declare's messages are delivered."""
    fake, clock = start_fake_slack(), FakeClock()
    try:
        with running(database_url, fake=fake, clock=clock) as warroom:
            warroom.warroom.delivery.stop()
            engine = make_engine(database_url)
            client = delivery_client(token="xoxb-test-token", base_url=fake.api_url, timeout=1)
            worker = DeliveryWorker(engine=engine, clock=clock, client=client, wait_for=frozenset({MIRROR}))
            try:
                warroom.command("declare P1 Checkout down")
                warroom.wait_until(lambda: warroom.outbox())
                for fault in faults.values():
                    fake.fail("chat.postMessage", fault)
                worker.drain()
                yield warroom, fake, clock, worker
            finally:
                worker.stop()
                engine.dispose()
    finally:
        fake.stop()


def test_a_broadcast_reply_shows_in_its_thread_and_the_channel_and_a_plain_one_only_in_its_thread(
    warroom: Harness,
) -> None:
    warroom.declare()
    parent = _parent(warroom)
    clock, engine = warroom.clock, warroom.engine
    broadcast = _reply(engine, "Identified: card payments fail in the EU.", at=clock, broadcast=True)
    plain = _reply(engine, "Corrected: it is card payments, not all checkout.", at=clock)
    card_reply = _reply(
        engine, "Reminder: the next update is due.", at=clock, channel=WAR_ROOM, thread_key=keys.card(1)
    )
    ephemeral = _reply(engine, "Only you can see this.", at=clock, channel=WAR_ROOM, user_id=LEAD)
    warroom.warroom.delivery.wake()
    warroom.wait_until(lambda: all(_row(engine, r).state == "delivered" for r in (broadcast, plain, card_reply)))
    warroom.wait_until(lambda: _row(engine, ephemeral).state == "delivered")

    fake = warroom.fake
    assert fake.thread(MIRROR, parent) == [
        "Identified: card payments fail in the EU.",
        "Corrected: it is card payments, not all checkout.",
    ]
    shown = fake.top_level(MIRROR)
    assert "Identified: card payments fail in the EU." in shown, "the broadcast reply is also in the channel"
    assert "Corrected: it is card payments, not all checkout." not in shown, "a plain reply stays in its thread"
    card = warroom.card_ts(1)
    assert card is not None and fake.thread(WAR_ROOM, card)[-1] == "Reminder: the next update is due."
    assert "Reminder: the next update is due." not in fake.top_level(WAR_ROOM)
    [ephemeral_call] = fake.received("chat.postEphemeral", where=lambda c: c.text == "Only you can see this.")
    assert "thread_ts" not in ephemeral_call.params, "an ephemeral message ignores threads"

    slack = WebClient(token="xoxb-test-token", base_url=fake.api_url)
    history = slack.conversations_history(channel=MIRROR)["messages"]
    [seen] = [m for m in history if m["text"].startswith("Identified")]
    assert seen["subtype"] == "thread_broadcast" and seen["thread_ts"] == parent
    assert not [m for m in history if m["text"].startswith("Corrected")], "history never shows a plain reply"
    replies = slack.conversations_replies(channel=MIRROR, ts=parent)["messages"]
    assert replies[0]["ts"] == parent, "the parent first, then its replies, oldest first"
    assert [m["text"] for m in replies][1:] == fake.thread(MIRROR, parent)
    assert all("metadata" not in m for m in replies), "metadata only with include_all_metadata"
    parent_message = next(m for m in history if m["ts"] == parent)
    assert parent_message["reply_count"] == 2 and parent_message["latest_reply"] == replies[-1]["ts"]
    assert replies[1]["parent_user_id"] == parent_message["user"]


def test_two_incidents_approved_entries_each_land_in_their_own_mirror_thread(warroom: Harness) -> None:
    warroom.declare()
    warroom.declare("P2 Search is slow", channel=OTHER_ROOM, response="second")
    first, second = (_parent(warroom), warroom.wait_until(lambda: warroom.fake.ts_of(MIRROR, keys.activation(2))))
    drafts = {entry.incident_id: entry.id or 0 for entry in reversed(warroom.entries())}  # each one's first draft

    approve(warroom, drafts[2], by=LEAD, response="approve-2")
    approve(warroom, drafts[1], by=LEAD, response="approve-1")
    warroom.wait_until(lambda: all(warroom.fake.ts_of(MIRROR, keys.mirror_post(e)) for e in drafts.values()))

    def posted_in(entry_id: int) -> tuple[str, bool]:
        """The thread an approved entry was posted in, and whether it was also sent to the channel."""
        key = keys.mirror_post(entry_id)
        [post] = warroom.fake.received("chat.postMessage", where=lambda c: key in json.dumps(c.params.get("metadata")))
        return str(post.params.get("thread_ts")), post.params.get("reply_broadcast") is True

    assert posted_in(drafts[1]) == (first, True) and posted_in(drafts[2]) == (second, True), "no cross-talk"
    for entry_id in drafts.values():
        ts = warroom.fake.ts_of(MIRROR, keys.mirror_post(entry_id))
        text = next(m["text"] for m in warroom.fake.messages[MIRROR] if m["ts"] == ts)
        assert text in warroom.fake.top_level(MIRROR), "an approved entry is also shown in the channel"


def test_a_reply_slack_posts_after_the_timeout_is_found_in_its_thread_not_posted_twice(database_url: str) -> None:
    with _declared(database_url) as (warroom, fake, clock, worker):
        parent = _parent(warroom)
        text = "Identified: a bad deploy broke card payments."
        row_id = _reply(warroom.engine, text, at=clock, key="test:identified")
        fake.fail("chat.postMessage", Fault(delay=3, acts_late=True, channel=MIRROR))
        worker.drain()  # the client gives up after 1 s; Slack stores the reply 2 s after that
        assert _row(warroom.engine, row_id).state == "pending"
        warroom.wait_until(lambda: fake.thread(MIRROR, parent))

        clock.advance(seconds=7)  # past settle_wait(1 s)
        worker.drain()

        row = _row(warroom.engine, row_id)
        assert row.state == "delivered" and row.ts == fake.ts_of(MIRROR, "test:identified")
        assert fake.thread(MIRROR, parent) == [text] and _posts_of(fake, text) == [parent], "posted exactly once"
        [look] = fake.received("conversations.replies", channel=MIRROR)
        assert look.params["ts"] == parent and look.params["include_all_metadata"] == "1"
        assert float(look.params["oldest"]) < row.created_at.timestamp()
        assert not fake.received("conversations.history", channel=MIRROR), "history never shows a plain reply"

        _reply(
            warroom.engine, "Identified: a bad deploy broke card payments in the EU.", at=clock, key="test:identified"
        )
        worker.drain()  # a correction of a keyed reply is an update in place, in the thread
        assert fake.thread(MIRROR, parent) == ["Identified: a bad deploy broke card payments in the EU."]
        assert fake.received("chat.update", channel=MIRROR, ts=row.ts)


def test_a_reply_buried_under_a_busy_thread_is_found_on_a_later_page(database_url: str) -> None:
    with _declared(database_url) as (warroom, fake, clock, worker):
        parent = _parent(warroom)
        slack = WebClient(token="xoxb-test-token", base_url=fake.api_url)
        for n in range(250):  # people reply in the thread around the time the row is written
            slack.chat_postMessage(channel=MIRROR, text=f"agent question {n}", thread_ts=parent)
        row_id = _reply(warroom.engine, "Monitoring: payments recover.", at=clock)
        fake.fail("chat.postMessage", Fault(delay=2, channel=MIRROR))  # posted; the answer comes too late
        worker.drain()
        clock.advance(seconds=7)
        worker.drain()

        row = _row(warroom.engine, row_id)
        assert row.state == "delivered" and fake.thread(MIRROR, parent).count("Monitoring: payments recover.") == 1
        pages = fake.received("conversations.replies", channel=MIRROR)
        assert [p.params.get("cursor") for p in pages] == [None, "next:200"]


def test_a_reply_whose_parent_was_given_up_is_posted_once_at_the_top_level(database_url: str) -> None:
    refused = Fault(error="invalid_blocks", channel=MIRROR)  # Slack refuses the activation notice for good
    with _declared(database_url, refused=refused) as (warroom, fake, clock, worker):
        [activation] = [r for r in warroom.outbox() if r.message_key == ACTIVATION]
        assert activation.state == "failed" and fake.ts_of(MIRROR, ACTIVATION) is None
        text = "Identified: card payments fail in the EU."
        row_id = _reply(warroom.engine, text, at=clock, broadcast=True)
        fake.fail("chat.postMessage", Fault(delay=2, channel=MIRROR))  # and its answer is lost
        worker.drain()
        clock.advance(seconds=7)
        worker.drain()

        assert _row(warroom.engine, row_id).state == "delivered"
        assert fake.top_level(MIRROR).count(text) == 1 and _posts_of(fake, text) == [""], "once, at the top level"
        assert fake.received("conversations.history", channel=MIRROR) and not fake.received("conversations.replies")


def test_a_reply_whose_parent_someone_deleted_is_posted_once_where_slack_put_it(database_url: str) -> None:
    with _declared(database_url) as (warroom, fake, clock, worker):
        parent = _parent(warroom)
        fake.delete_message(MIRROR, parent)
        text = "Resolved: payments work again."
        row_id = _reply(warroom.engine, text, at=clock)
        fake.fail("chat.postMessage", Fault(delay=2, channel=MIRROR))
        worker.drain()  # Slack takes a reply to a deleted parent, at the top level
        clock.advance(seconds=7)
        worker.drain()  # its thread is gone: looked for in the channel instead

        row = _row(warroom.engine, row_id)
        assert row.state == "delivered" and fake.top_level(MIRROR).count(text) == 1 and len(_posts_of(fake, text)) == 1
        assert [(MIRROR, row.ts)] == fake.unthreaded
        assert fake.received("conversations.replies", channel=MIRROR, ts=parent)
        assert fake.received("conversations.history", channel=MIRROR)


def test_a_threaded_post_throttled_with_retry_after_arrives_once_and_in_order(warroom: Harness) -> None:
    warroom.declare()
    parent = _parent(warroom)
    engine, clock, fake = warroom.engine, warroom.clock, warroom.fake
    warroom.wait_until(lambda: all(r.state == "delivered" for r in warroom.outbox() if r.channel_id == MIRROR))
    fake.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "9"}, channel=MIRROR))
    first = _reply(engine, "Identified: card payments fail.", at=clock, broadcast=True)
    second = _reply(engine, "Monitoring: payments recover.", at=clock, broadcast=True)
    warroom.drain()

    assert _row(engine, first).last_error == "ratelimited" and not _row(engine, first).claimed_until
    assert (_row(engine, first).next_attempt_at - clock.now()).total_seconds() >= 9, "Retry-After is honoured"
    warroom.drain()
    assert _row(engine, second).state == "pending" and not fake.thread(MIRROR, parent), "nothing overtakes it"

    clock.advance(seconds=9)
    warroom.drain()
    assert _row(engine, second).state == "delivered"
    assert fake.thread(MIRROR, parent) == ["Identified: card payments fail.", "Monitoring: payments recover."]
    assert _posts_of(fake, "Identified: card payments fail.") == [parent, parent], "refused once, then posted"
    assert _posts_of(fake, "Monitoring: payments recover.") == [parent]


def test_a_crash_between_posting_a_reply_and_recording_it_never_posts_it_twice(tmp_path: Path) -> None:
    fake = start_fake_slack()
    port = free_port()
    env = environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET, PORT=str(port), **SHORT_LEASE)
    engine = make_engine(env["DATABASE_URL"])
    slack = Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=fake.url, secret=SECRET)
    process = start(env, tmp_path)
    try:
        wait_healthy(port, process)
        slack.command("declare P1 Checkout down", user=LEAD, channel=WAR_ROOM)
        fake.wait_for("chat.postMessage", channel=LEAD, timeout=10)  # the approval DM: all queued work is done
        parent = fake.ts_of(MIRROR, ACTIVATION)
        assert parent is not None
        fake.fail("chat.postMessage", Fault(delay=60, channel=MIRROR))  # Slack posts it, the answer never comes
        text = "Identified: a bad deploy broke card payments."
        row_id = _reply(engine, text, at=FakeClock(datetime.now(UTC)), key="test:identified")

        fake.wait_for("chat.postMessage", channel=MIRROR, timeout=10, thread_ts=parent)
        assert fake.thread(MIRROR, parent) == [text]
        kill_group(process)  # dies before it could record the ts
        fake.heal()
        assert _row(engine, row_id).state == "pending"

        process = start(env, tmp_path)
        wait_healthy(port, process)

        wait_settled(engine, MIRROR, what="the reply")
        assert fake.thread(MIRROR, parent) == [text], "found in its thread by its metadata, not reposted"
        assert fake.received("conversations.replies", channel=MIRROR, ts=parent)
        assert _row(engine, row_id).ts == fake.ts_of(MIRROR, "test:identified")
    finally:
        if process.poll() is None:
            kill_group(process)
        engine.dispose()
        fake.stop()


def test_the_fake_refuses_replies_as_slack_does(warroom: Harness) -> None:
    warroom.declare()
    parent = _parent(warroom)
    fake = warroom.fake
    slack = WebClient(token="xoxb-test-token", base_url=fake.api_url)
    reply = slack.chat_postMessage(channel=MIRROR, text="a reply", thread_ts=parent)["ts"]

    def refusal(*, channel: str, ts: str) -> str:
        try:
            slack.conversations_replies(channel=channel, ts=ts)
        except SlackApiError as error:
            return str(error.response["error"])
        raise AssertionError(f"conversations.replies {channel} {ts} was answered")

    assert refusal(channel=MIRROR, ts="1.000001") == "thread_not_found"
    assert slack.conversations_replies(channel=MIRROR, ts=reply)["messages"][0]["ts"] == parent, "a reply names it"
    try:
        slack.chat_postMessage(channel=MIRROR, text="to a reply", thread_ts=reply)
        raise AssertionError("a reply to a reply was taken")
    except SlackApiError as error:
        assert error.response["error"] == "invalid_thread_ts"
    fake.remove_bot(MIRROR)
    assert refusal(channel=MIRROR, ts=parent) == "not_in_channel"
    fake.invite_bot(MIRROR)
    fake.scopes.discard("channels:history")
    assert refusal(channel=MIRROR, ts=parent) == "missing_scope"
    assert not fake.unthreaded
