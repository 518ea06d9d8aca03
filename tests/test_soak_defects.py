"""What a fault soak found, each made by the fake Slack: unreachable war rooms, late answers, crashes, two workers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.delivery import outbox
from bot.delivery.worker import DeliveryWorker
from bot.render.blocks import text_message
from bot.slack.client import delivery_client
from bot.store.db import make_engine
from bot.store.models import OutboxMessage
from tests.support.fake_slack import FakeSlack, Fault
from tests.support.feed import opened_view
from tests.support.harness import DANA, LEAD, MIRROR, OTHER_ROOM, SECRET, WAR_ROOM, FakeClock, Harness, running
from tests.support.harness import start_fake_slack as _fake
from tests.support.processes import SHORT_LEASE, environment, free_port, kill_group, start, wait_healthy, wait_settled
from tests.support.slack_requests import Slack

HIDDEN_ROOM = "CHIDDEN01"


def _keys(fake: FakeSlack, channel: str) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in fake.messages.get(channel, [])]


@pytest.mark.parametrize("private", [False, True])
def test_declaring_where_warroom_was_not_invited_is_refused_at_once_with_how_to_invite(
    warroom: Harness, private: bool
) -> None:
    warroom.fake.add_channel(HIDDEN_ROOM, "payments-outage", private=private, member=False)

    warroom.command("declare P1 Payments down", channel=HIDDEN_ROOM)

    [answer] = warroom.fake.wait_response("cmd")
    assert "/invite @Warroom" in answer.text and ("private" in answer.text) == private
    warroom.drain()
    assert warroom.incidents() == []
    assert warroom.fake.received("chat.postMessage") == []
    [check] = warroom.fake.received("conversations.info")
    assert check.params["channel"] == HIDDEN_ROOM


def test_the_declare_modal_is_not_opened_in_a_channel_warroom_cant_see(warroom: Harness) -> None:
    warroom.fake.add_channel(HIDDEN_ROOM, "payments-outage", private=True, member=False)

    warroom.command("declare", channel=HIDDEN_ROOM)

    [answer] = warroom.fake.wait_response("cmd")
    assert "/invite @Warroom" in answer.text
    warroom.drain()
    assert warroom.fake.received("views.open") == [], "refused before anyone fills the modal in"


def test_the_declare_modal_submitted_after_warroom_was_removed_answers_by_dm(warroom: Harness) -> None:
    warroom.fake.add_channel(HIDDEN_ROOM, "payments-outage", private=True, member=True)
    warroom.command("declare", channel=HIDDEN_ROOM)
    view = opened_view(warroom)
    warroom.fake.remove_bot(HIDDEN_ROOM)
    values = {
        "severity": {"severity_select": {"type": "static_select", "selected_option": {"value": "P1"}}},
        "title": {"title_input": {"type": "plain_text_input", "value": "Payments down"}},
    }

    reply = warroom.slack.view_submission(user=LEAD, view=view, values=values)

    assert reply.status == 200
    [answer] = warroom.fake.wait_for("chat.postMessage", channel=LEAD)
    assert "/invite @Warroom" in answer.text
    assert warroom.incidents() == []


def test_declaring_after_the_invite_works(warroom: Harness) -> None:
    warroom.fake.add_channel(HIDDEN_ROOM, "payments-outage", private=True, member=False)
    warroom.command("declare P1 Payments down", channel=HIDDEN_ROOM)
    warroom.fake.wait_response("cmd")

    warroom.fake.invite_bot(HIDDEN_ROOM)
    incident = warroom.declare("P1 Payments down", channel=HIDDEN_ROOM, response="again")

    assert incident.channel_id == HIDDEN_ROOM and warroom.card_ts(incident.id or 0)


def test_a_war_room_slack_refuses_never_holds_up_the_leads_other_messages(warroom: Harness) -> None:
    # Warroom was in the channel when the incident was declared, and was removed before the card went out.
    warroom.fake.fail("chat.postMessage", Fault(error="not_in_channel", times=10_000, channel=WAR_ROOM))
    warroom.command("declare P1 Checkout down")

    notice = warroom.fake.wait_for("chat.postMessage", channel=LEAD, where=lambda c: "can't post in" in c.text)
    assert f"<#{WAR_ROOM}>" in notice[0].text and "/invite @Warroom" in notice[0].text
    assert "`not_in_channel`" in notice[0].text
    first = warroom.wait_until(lambda: warroom.incidents())[0]
    card = warroom.wait_until(lambda: [r for r in warroom.outbox() if r.message_key == f"incident:{first.id}:card"])

    def posts() -> list[OutboxMessage]:
        return [r for r in warroom.outbox() if r.channel_id == WAR_ROOM and r.user_id is None]

    warroom.wait_until(lambda: all(r.state == "failed" for r in posts()))
    assert card[0].last_error == "not_in_channel"

    second = warroom.declare("P2 Search is slow", channel=OTHER_ROOM, response="second")

    def lead_dms_delivered() -> bool:
        return all(r.state == "delivered" for r in warroom.outbox() if r.channel_id == LEAD)

    warroom.wait_until(lead_dms_delivered)
    lead_keys = _keys(warroom.fake, warroom.fake.dm_channel(LEAD))
    assert any(key.startswith("entry:") and ":dm:" in key for key in lead_keys), "the first draft DM, unlinked"
    draft_dms = [r for r in warroom.outbox() if r.channel_id == LEAD and r.message_key]
    assert {r.incident_id for r in draft_dms} == {first.id, second.id}, "both incidents' draft DMs arrived"
    warroom.drain()
    notices = warroom.fake.received("chat.postMessage", channel=LEAD, where=lambda c: "can't post in" in c.text)
    assert len(notices) == 1, "the lead is told once"
    assert [e.kind for e in warroom.events("war_room_unreachable")] == ["war_room_unreachable"]


def test_an_unkeyed_message_is_posted_once_when_slacks_answer_comes_after_the_timeout(database_url: str) -> None:
    fake = _fake()
    clock = FakeClock()
    try:
        with running(database_url, fake=fake, clock=clock) as warroom:
            warroom.warroom.delivery.stop()  # this test drives a worker whose client gives up after 1 s
            warroom.command("declare P1 Checkout down")
            warroom.wait_until(lambda: warroom.outbox())
            engine = make_engine(database_url)
            client = delivery_client(token="xoxb-test-token", base_url=fake.api_url, timeout=1)
            worker = DeliveryWorker(engine=engine, clock=clock, client=client, wait_for=frozenset({MIRROR}))
            worker.drain()
            posted_before = len(fake.messages[MIRROR])
            with Session(engine) as session, session.begin():  # a message with no key of its own
                unkeyed = outbox.enqueue(
                    session, text="Agents: stand by.", blocks=text_message("Agents: stand by.").blocks,
                    incident_id=1, channel_id=MIRROR, at=clock.now(),
                )  # fmt: skip
                session.flush()
                row_id = unkeyed.id
            fake.fail("chat.postMessage", Fault(delay=2, times=1, channel=MIRROR))  # posted; the answer comes late
            worker.drain()
            with Session(engine) as session:
                row = session.get(OutboxMessage, row_id)
                assert row is not None and row.message_key is None and row.state == "pending"
            assert len(fake.messages[MIRROR]) == posted_before + 1, "Slack has it although Warroom never heard back"

            clock.advance(seconds=7)
            worker.drain()

            with Session(engine) as session:
                row = session.get(OutboxMessage, row_id)
                assert row is not None and row.state == "delivered" and row.ts == fake.messages[MIRROR][-1]["ts"]
            assert len(fake.messages[MIRROR]) == posted_before + 1
            assert fake.received("conversations.history", channel=MIRROR, include_all_metadata="1")
            engine.dispose()
    finally:
        fake.stop()


def test_a_429_put_back_by_one_worker_is_not_retaken_by_another_before_retry_after(database_url: str) -> None:
    fake = _fake()
    clock = FakeClock()
    try:
        with running(database_url, fake=fake, clock=clock) as warroom:
            warroom.warroom.delivery.stop()  # two workers of our own, interleaved the way the soak caught them
            warroom.command("declare P1 Checkout down")
            warroom.wait_until(lambda: warroom.outbox())
            engine = make_engine(database_url)
            client = delivery_client(token="xoxb-test-token", base_url=fake.api_url)
            first = DeliveryWorker(engine=engine, clock=clock, client=client, wait_for=frozenset({MIRROR}))
            fake.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "2"}, channel=MIRROR))
            with Session(engine) as session:
                listed = outbox.ready(session, now=clock.now())  # the second worker lists what is due...
            first.drain()  # ...meanwhile the first takes the mirror's row, gets a 429 and puts it back
            [row] = [r for r in warroom.outbox() if r.channel_id == MIRROR]
            assert row.last_error == "ratelimited" and row.state == "pending"
            assert (row.next_attempt_at - clock.now()).total_seconds() >= 2

            with Session(engine) as session, session.begin():
                retaken = outbox.claim(session, listed, now=clock.now(), lease=timedelta(seconds=60))
            assert row.id not in retaken, "the second worker honours the Retry-After the first was given"

            clock.advance(seconds=1.9)
            first.drain()
            assert len(fake.received("chat.postMessage", channel=MIRROR)) == 1, "no retry before 2 s"
            clock.advance(seconds=0.2)
            first.drain()
            assert len(fake.received("chat.postMessage", channel=MIRROR)) == 2
            assert len(fake.messages[MIRROR]) == 1
            engine.dispose()
    finally:
        fake.stop()


def test_a_crash_between_posting_a_dm_and_recording_it_never_posts_it_twice(tmp_path: Path) -> None:
    fake = _fake()
    port = free_port()
    env = environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET, PORT=str(port), **SHORT_LEASE)
    engine = make_engine(env["DATABASE_URL"])
    slack = Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=fake.url, secret=SECRET)
    dana_dm = fake.dm_channel(DANA)
    process = start(env, tmp_path)
    try:
        wait_healthy(port, process)
        slack.command("declare P1 Checkout down", user=LEAD, channel=WAR_ROOM)
        fake.wait_for("chat.postMessage", channel=LEAD, timeout=10)  # the first draft's copy: declared and settled
        slack.command(f"communicator <@{DANA}|dana>", user=LEAD, channel=WAR_ROOM)
        fake.wait_for("chat.postMessage", 2, channel=DANA, timeout=10)  # the briefing and the first draft's copy
        fake.fail("chat.postMessage", Fault(delay=60, channel=DANA))  # Slack posts it; the answer never comes

        slack.command("update identified: A bad deploy broke card payments.", user=LEAD, channel=WAR_ROOM)
        fake.wait_for("chat.postMessage", 3, channel=DANA, timeout=10)
        posted = _keys(fake, dana_dm)[-1]
        assert posted.startswith("entry:") and posted.endswith(f":dm:{DANA}")
        kill_group(process)  # dies before it could record the ts
        fake.heal()
        with Session(engine) as session:
            row = session.exec(select(OutboxMessage).where(OutboxMessage.message_key == posted)).one()
            assert row.state == "pending"

        process = start(env, tmp_path)
        wait_healthy(port, process)

        wait_settled(engine, DANA, what="the DM")
        assert _keys(fake, dana_dm).count(posted) == 1, "found in the DM's history by its metadata, not reposted"
        assert fake.received("conversations.open", users=DANA)
        assert fake.received("conversations.history", channel=dana_dm)
        with Session(engine) as session:
            row = session.exec(select(OutboxMessage).where(OutboxMessage.message_key == posted)).one()
        [landed] = [m for m in fake.messages[dana_dm] if m["metadata"]["event_payload"]["key"] == posted]
        assert row.ts == landed["ts"]
    finally:
        if process.poll() is None:
            kill_group(process)
        engine.dispose()
        fake.stop()


def test_removing_warroom_from_a_war_room_drops_its_messages_and_tells_the_lead_once(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.remove_bot(WAR_ROOM)

    warroom.command("severity P2")

    [notice] = warroom.fake.wait_for("chat.postMessage", channel=LEAD, where=lambda c: "can't post in" in c.text)
    assert "`not_in_channel`" in notice.text
    warroom.fake.wait_for("chat.postMessage", channel=MIRROR, where=lambda c: "P2" in c.text)  # the mirror goes on
    warroom.command("severity P3", response="again")
    warroom.fake.wait_for("chat.postMessage", channel=MIRROR, where=lambda c: "P3" in c.text)
    warroom.drain()
    refused = [r for r in warroom.outbox() if r.channel_id == WAR_ROOM and r.state == "failed"]
    assert {r.last_error for r in refused} == {"not_in_channel"} and len(refused) >= 4, "card updates and notices"
    assert len(warroom.fake.received("chat.postMessage", channel=LEAD, where=lambda c: "can't post in" in c.text)) == 1
