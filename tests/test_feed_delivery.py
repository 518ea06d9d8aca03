"""Approved entries reach the mirror exactly once: through 429s, a missing mirror, and a crash mid-post."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.store.db import make_engine
from bot.store.models import Entry, OutboxMessage
from tests.support.fake_slack import FakeSlack, Fault
from tests.support.feed import approve, mirror_texts, wait_posted
from tests.support.harness import DANA, LEAD, MIRROR, SECRET, WAR_ROOM, Harness, start_fake_slack
from tests.support.processes import SHORT_LEASE, environment, free_port, kill_group, start, wait_healthy, wait_settled
from tests.support.slack_requests import Slack


def test_an_approved_entry_survives_two_429s_and_arrives_once(warroom: Harness) -> None:
    warroom.declare()
    entry_id = warroom.entries()[0].id or 0
    warroom.fake.wait_for("chat.postMessage", channel=MIRROR)
    warroom.fake.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "7"}, times=2, channel=MIRROR))

    approve(warroom, entry_id, by=LEAD)
    for attempt in range(2):
        warroom.drain()
        row = next(r for r in warroom.outbox() if r.channel_id == MIRROR and r.state == "pending")
        assert row.last_error == "ratelimited" and row.claimed_until is None
        assert (row.next_attempt_at - warroom.clock.now()).total_seconds() >= 7, "Retry-After is honoured"
        assert len(warroom.fake.received("chat.postMessage", channel=MIRROR)) == 2 + attempt, "no early retry"
        warroom.clock.advance(seconds=7)

    wait_posted(warroom, entry_id)
    warroom.drain()
    assert len(warroom.fake.received("chat.postMessage", channel=MIRROR)) == 4, "the activation, two refused, one"
    assert len([t for t in mirror_texts(warroom) if "Investigating" in t]) == 1


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_a_missing_mirror_is_reported_once_and_entries_wait_in_order(warroom: Harness, error: str) -> None:
    warroom.fake.fail("chat.postMessage", Fault(error=error, times=10_000, channel=MIRROR))
    warroom.declare()
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    first = warroom.entries()[0].id or 0
    approve(warroom, first, by=DANA)
    warroom.command("update identified: A bad deploy broke card payments; we are rolling it back.")
    second = warroom.wait_until(lambda: warroom.entries()[1:])[0].id or 0
    approve(warroom, second, by=DANA, response="second")

    notice = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "can't be reached" in c.text)
    assert f"(`{error}`)" in notice[0].text and "/invite @Warroom" in notice[0].text
    assert notice[0].params.get("thread_ts") == warroom.card_ts(1), "in the card's thread, not the channel"
    for _ in range(3):  # Slack keeps refusing; Warroom keeps the entries and does not nag
        refused = len(warroom.fake.received("chat.postMessage", channel=MIRROR))
        warroom.clock.advance(seconds=61)
        warroom.drain()
        assert len(warroom.fake.received("chat.postMessage", channel=MIRROR)) > refused, "tried again, refused again"
    assert (
        len(warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: "can't be reached" in c.text))
        == 1
    )
    assert warroom.fake.messages.get(MIRROR) is None
    assert len([r for r in warroom.outbox() if r.channel_id == MIRROR and r.state == "pending"]) == 3

    warroom.fake.heal()  # someone invites the bot
    warroom.clock.advance(seconds=61)
    warroom.warroom.delivery.wake()

    warroom.wait_until(lambda: len(warroom.fake.messages.get(MIRROR, [])) == 3)
    texts = mirror_texts(warroom)
    assert "declared" in texts[0] and "Investigating" in texts[1] and "Identified" in texts[2], "in approval order"
    [again] = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "reachable again" in c.text)
    assert again.params.get("thread_ts") == warroom.card_ts(1)


def _mirror_keys(fake: FakeSlack) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in fake.messages.get(MIRROR, [])]


def test_a_crash_between_posting_and_recording_never_posts_twice(tmp_path: Path) -> None:
    fake = start_fake_slack()
    port = free_port()
    env = environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET, PORT=str(port), **SHORT_LEASE)
    engine = make_engine(env["DATABASE_URL"])
    slack = Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=fake.url, secret=SECRET)
    process = start(env, tmp_path)
    try:
        wait_healthy(port, process)
        slack.command("declare P1 Checkout down", user=LEAD, channel=WAR_ROOM)
        fake.wait_for("chat.postMessage", channel=MIRROR, timeout=10)
        fake.wait_for("chat.postMessage", channel=LEAD, timeout=10)  # the approval DM: all queued work is done
        with Session(engine) as session:
            entry_id = session.exec(select(Entry.id)).one()
        fake.fail("chat.postMessage", Fault(delay=60, channel=MIRROR))  # Slack posts it, the answer never comes

        slack.block_action(
            user=LEAD,
            channel=WAR_ROOM,
            response="approve",
            action={"type": "button", "action_id": "entry_approve", "value": str(entry_id)},
        )
        fake.wait_for("chat.postMessage", 2, channel=MIRROR, timeout=10)
        assert _mirror_keys(fake)[-1] == f"entry:{entry_id}:mirror"
        kill_group(process)  # dies before it could record the ts
        fake.heal()
        with Session(engine) as session:
            row = session.exec(select(OutboxMessage).where(OutboxMessage.message_key == f"entry:{entry_id}:mirror"))
            assert row.one().state == "pending"

        process = start(env, tmp_path)
        wait_healthy(port, process)

        wait_settled(engine, MIRROR, what="the entry")
        assert _mirror_keys(fake).count(f"entry:{entry_id}:mirror") == 1, "found by its metadata, not reposted"
        assert fake.received("conversations.replies", channel=MIRROR), "in the incident's thread, not the history"
        fake.wait_for(
            "chat.postMessage",
            channel=WAR_ROOM,
            timeout=10,
            # A post cut off by the kill reaches the fake with no parameters: it carries no key.
            where=lambda c: (
                ((c.params.get("metadata") or {}).get("event_payload") or {}).get("key") == f"entry:{entry_id}:war_room"
            ),
        )
    finally:
        if process.poll() is None:
            kill_group(process)
        engine.dispose()
        fake.stop()
