"""Update on a clock: the communicator is reminded before each committed update, told when it is overdue,
and the lead is told when it slips further. Each reminder exactly once.

Time is moved by hand, and the scheduler and the delivery are driven by the test (`tick()`), not by background
threads: after each tick everything owed has reached the fake Slack, so "exactly once" is asserted, not hoped for.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.fake_slack import Call
from tests.support.feed import approve, click, opened_view
from tests.support.harness import DANA, ERIN, LEAD, WAR_ROOM, Harness, running, start_fake_slack


@pytest.fixture
def warroom(database_url: str) -> Iterator[Harness]:
    """Warroom without background workers: each test ticks the scheduler and drains the outbox itself."""
    with running(database_url, background=False) as harness:
        yield harness


def _named(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")  # 14:02; the first update is due 14:07
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)


def _to(warroom: Harness, hhmmss: str) -> None:
    hours, minutes, seconds = (int(part) for part in hhmmss.split(":"))
    target = warroom.clock.now().replace(hour=hours, minute=minutes, second=seconds)
    warroom.clock.advance(seconds=(target - warroom.clock.now()).total_seconds())


def _dms(warroom: Harness, user: str, phrase: str) -> list[Call]:
    return warroom.fake.received("chat.postMessage", channel=user, where=lambda c: phrase in c.text)


def _room(warroom: Harness, phrase: str) -> list[Call]:
    return warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: phrase in c.text)


def _in_card_thread(warroom: Harness, call: Call) -> bool:
    """Whether a war-room post went into the thread under the incident card, out of the channel's way."""
    card = warroom.card_ts(warroom.incidents()[0].id or 0)
    return card is not None and call.params.get("thread_ts") == card and not call.params.get("reply_broadcast")


def test_the_communicator_gets_a_heads_up_before_the_update_is_due(warroom: Harness) -> None:
    _named(warroom)
    _to(warroom, "14:03:59")
    warroom.tick()
    assert _dms(warroom, DANA, "is due by") == []

    _to(warroom, "14:04:00")
    warroom.tick()

    [dm] = _dms(warroom, DANA, "is due by")
    assert "*INC-1: the next public update is due by 14:07 UTC* (3 min left)" in dm.text
    assert "(3 min left) in <#CWARROOM1>" in dm.text
    assert "Warroom's automatic draft from 14:02 UTC is waiting for your approval there." in dm.text
    [button] = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert (button["text"]["text"], button["action_id"]) == ("Draft update", "reminder_draft_update")
    warroom.tick()
    _to(warroom, "14:05:30")
    warroom.tick()
    assert _dms(warroom, DANA, "is due by") == [dm], "each reminder once"


def test_draft_update_in_the_heads_up_opens_the_prefilled_modal(warroom: Harness) -> None:
    _named(warroom)
    _to(warroom, "14:04:00")
    warroom.tick()
    assert len(_dms(warroom, DANA, "is due by")) == 1

    click(warroom, "reminder_draft_update", 1, by=DANA, channel="DDANA0001")

    view = opened_view(warroom)
    assert view["callback_id"] == "draft_update"
    assert view["blocks"][1]["element"]["initial_value"].startswith("We are investigating a full outage")


def test_an_overdue_update_is_flagged_with_a_one_click_no_news_draft(warroom: Harness) -> None:
    _named(warroom)
    _to(warroom, "14:07:00")
    warroom.tick()

    [dm] = _dms(warroom, DANA, "overdue")
    assert "*Update overdue: committed for 14:07 UTC* (INC-1)" in dm.text
    [button] = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == "draft_no_new_information"
    assert _dms(warroom, DANA, "is due by") == [], "no heads-up for an update that is already overdue"

    click(warroom, "draft_no_new_information", 1, by=ERIN, response="nn1")
    assert "still needs the communicator's approval" in warroom.fake.wait_response("nn1")[0].text
    click(warroom, "draft_no_new_information", 1, by=DANA, response="nn2")
    assert "already waiting for approval" in warroom.fake.wait_response("nn2")[0].text
    no_news = [e for e in warroom.entries() if "no new information" in e.text]
    assert len(no_news) == 1 and no_news[0].state == "draft" and no_news[0].drafted_by == ERIN
    warroom.tick()
    assert _dms(warroom, DANA, "Update overdue") == [dm]
    assert _room(warroom, "Update overdue") == [], "only the communicator can act on it: told by DM, not twice"


def test_the_lead_is_told_once_when_the_update_slips_further(warroom: Harness) -> None:
    _named(warroom)
    _to(warroom, "14:11:59")
    warroom.tick()
    assert _room(warroom, "is 4 min overdue") == [] and _dms(warroom, LEAD, "overdue") == []

    _to(warroom, "14:12:00")
    warroom.tick()

    [room] = _room(warroom, "min overdue")
    assert f"<@{LEAD}> INC-1's public update, committed for 14:07 UTC, is 5 min overdue." in room.text
    assert f"<@{DANA}> is the communicator" in room.text
    assert _in_card_thread(warroom, room), "in the card's thread, where the mention still notifies the lead"
    _to(warroom, "14:30:00")
    warroom.tick()
    assert _room(warroom, "min overdue") == [room] and _dms(warroom, LEAD, "min overdue") == []
    kinds = [e.data["reminder"] for e in warroom.events("reminder_sent")]
    assert sorted(kinds) == ["escalation", "overdue"]


def test_without_a_communicator_the_lead_is_reminded_and_the_room_told(warroom: Harness) -> None:
    warroom.declare()
    _to(warroom, "14:04:00")
    warroom.tick()

    [dm] = _dms(warroom, LEAD, "is due by")
    assert "nobody is the communicator yet" in dm.text
    [room] = _room(warroom, "Nobody owns")
    assert "*Nobody owns communication for INC-1 yet.*" in room.text and f"<@{LEAD}> gets the reminders" in room.text
    assert _in_card_thread(warroom, room)
    warroom.tick()
    assert _dms(warroom, LEAD, "is due by") == [dm] and _room(warroom, "Nobody owns") == [room], "told once"


def test_an_approved_entry_commits_the_next_time_and_cancels_the_old_one(warroom: Harness) -> None:
    _named(warroom)
    _to(warroom, "14:05:00")
    approve(warroom, warroom.entries()[0].id or 0, by=DANA)  # next update by 14:20

    _to(warroom, "14:16:59")
    warroom.tick()
    assert _dms(warroom, DANA, "overdue") == [], "the 14:07 commitment was met"
    _to(warroom, "14:17:00")
    warroom.tick()
    [dm] = _dms(warroom, DANA, "due by 14:20 UTC")
    assert "(3 min left)" in dm.text


def test_a_severity_change_keeps_the_committed_time_and_changes_the_cadence_after(warroom: Harness) -> None:
    _named(warroom)
    _to(warroom, "14:05:00")
    approve(warroom, warroom.entries()[0].id or 0, by=DANA)  # P1: next by 14:20
    _to(warroom, "14:10:00")
    warroom.command("severity P3")
    warroom.wait_until(lambda: warroom.incidents()[0].severity == "P3")
    assert warroom.incidents()[0].next_update_due_at.strftime("%H:%M") == "14:20", "customers were told 14:20"

    warroom.command("update We are still working on card payments; no new information.")
    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    _to(warroom, "14:15:00")
    confirmation = approve(warroom, entry.id or 0, by=DANA, response="second")

    assert "Next update due by 15:15 UTC" in confirmation.text, "P3's 60 min cadence from now on"


def test_resolving_stops_the_reminders(warroom: Harness) -> None:
    _named(warroom)
    warroom.command("resolve A bad deploy; rolled back.")
    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]
    approve(warroom, resolution.id or 0, by=DANA)
    warroom.wait_until(lambda: warroom.incidents()[0].resolved_at)

    _to(warroom, "15:00:00")
    warroom.tick()

    assert warroom.events("reminder_sent") == []
    assert _dms(warroom, DANA, "due by") == [] and _dms(warroom, DANA, "overdue") == []


def test_a_restart_sends_what_fell_due_while_down_once(database_url: str) -> None:
    fake = start_fake_slack()
    try:
        with running(database_url, fake=fake, background=False) as before:
            _named(before)
            clock = before.clock
        clock.advance(minutes=6)  # 14:08: the 14:07 update fell due while Warroom was down
        with running(database_url, fake=fake, clock=clock, background=False) as after:
            after.tick()
            assert len(fake.received("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text)) == 1
        with running(database_url, fake=fake, clock=clock, background=False) as again:
            again.tick()
        assert len(fake.received("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text)) == 1
        assert fake.received("chat.postMessage", channel=DANA, where=lambda c: "is due by" in c.text) == []
    finally:
        fake.stop()


def test_two_replicas_ticking_at_the_same_moment_send_each_reminder_once(database_url: str) -> None:
    fake = start_fake_slack()
    try:
        with (
            running(database_url, fake=fake, background=False) as one,
            running(database_url, fake=fake, clock=one.clock, background=False) as two,
            ThreadPoolExecutor(max_workers=2) as replicas,
        ):
            _named(one)
            for moment in ("14:04:00", "14:07:00", "14:12:00"):
                _to(one, moment)
                ticks = [replicas.submit(replica.warroom.ticker.tick_now) for replica in (one, two)]
                sent = [tick.result(timeout=10) for tick in ticks]
                assert sorted(sent) == [0, 1], f"one reminder at {moment}, sent by one replica"
                one.drain()
                two.drain()
            kinds = sorted(e.data["reminder"] for e in one.events("reminder_sent"))
        assert kinds == ["escalation", "heads_up", "overdue"]
        assert len(fake.received("chat.postMessage", channel=DANA, where=lambda c: "is due by" in c.text)) == 1
        assert len(fake.received("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text)) == 1
        assert len(fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: "min overdue" in c.text)) == 1
    finally:
        fake.stop()
