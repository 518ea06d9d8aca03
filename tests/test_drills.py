"""Drills: `/incident drill P1 <title>` runs the whole flow for real, every message says DRILL, nothing reaches
customers or the metrics, a real incident stands a drill down, and the drill report scores the rehearsal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from bot.store.models import Incident, drills, real_incidents
from tests.support import followups
from tests.support.fake_slack import Call
from tests.support.feed import click, opened_view
from tests.support.harness import DANA, LEAD, MIRROR, OTHER_ROOM, START, WAR_ROOM, Harness, running

CHAT = ("chat.postMessage", "chat.update", "chat.postEphemeral")
TITLE = "Checkout API returning 500s"


@pytest.fixture
def driven(database_url: str) -> Iterator[Harness]:
    """Warroom without background workers: the test ticks the scheduler and drains the outbox itself."""
    with running(database_url, background=False) as harness:
        yield harness


def _chat(warroom: Harness) -> list[Call]:
    """Every message Warroom posted, updated or posted ephemerally, in Slack's order."""
    return sorted((c for method in CHAT for c in warroom.fake.received(method)), key=lambda c: c.at)


def _start(warroom: Harness, *, drill: bool, response: str = "start") -> Incident:
    """Declare (or drill) a P1 in the war room and wait for its card."""
    warroom.command(f"{'drill' if drill else 'declare'} P1 {TITLE}", response=response)
    incident = warroom.wait_until(lambda: next(iter(warroom.incidents()[-1:]), None))
    warroom.wait_until(lambda: warroom.card_ts(incident.id or 0))
    return incident


def _latest(warroom: Harness, words: str, channel: str = WAR_ROOM) -> str:
    """The newest text of the message in `channel` that says `words` (posted once, maybe updated in place)."""
    calls = [c for c in _chat(warroom) if c.channel == channel and words in c.text]
    assert calls, f"nothing in {channel} says {words!r}"
    return calls[-1].text


def _whole_story(warroom: Harness, *, drill: bool) -> None:
    """Declare at 14:02, name Dana at 14:03, acknowledge at 14:04, be reminded, update a minute late, resolve,
    then the follow-ups: prevention sentence, credits, email marked sent, a postmortem reminder, the timeline."""
    _start(warroom, drill=drill)
    warroom.clock.advance(minutes=1)
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    followups.first_update(warroom, minutes=1)  # 14:04; the next is due 14:19
    warroom.clock.advance(minutes=13)  # 14:17: the heads-up
    warroom.tick()
    warroom.clock.advance(minutes=3)  # 14:20: overdue, and the mirror told the update is late
    warroom.tick()
    followups.update(warroom, "identified: A configuration change rejects card payments.", minutes=0, response="u")
    followups.resolve(warroom, minutes=14, cause="A configuration change rejected card payments.")  # 14:34
    warroom.drain()
    followups.write_prevention(warroom)
    click(warroom, "followup_credits_offered", 1, by=DANA, response="credits")
    click(warroom, "followup_email_sent", 1, by=DANA, response="sent")
    warroom.wait_until(lambda: warroom.events("email_sent") and warroom.events("credits_decided"))
    warroom.clock.advance(hours=24, minutes=1)  # the postmortem reminder, and the audit settled
    warroom.tick()
    warroom.command("timeline", response="timeline")
    warroom.fake.wait_response("timeline")
    warroom.drain()


def test_every_message_of_a_whole_drill_says_drill_and_its_report_scores_it(driven: Harness) -> None:
    _whole_story(driven, drill=True)

    messages = _chat(driven)
    kinds = {(c.method, "DM" if (c.channel or "").startswith("U") else c.channel) for c in messages}
    assert {("chat.postMessage", WAR_ROOM), ("chat.postMessage", MIRROR), ("chat.postMessage", "DM")} <= kinds
    assert {("chat.update", WAR_ROOM), ("chat.update", MIRROR), ("chat.postEphemeral", WAR_ROOM)} <= kinds
    unmarked = [c.everything for c in messages if "DRILL" not in c.text or "DRILL" not in json.dumps(c.blocks)]
    assert unmarked == [], "every message of a drill, text and blocks, says DRILL"
    reminders = [c.text for c in messages if "INC-1" in c.text and c.channel in (DANA, LEAD)]
    assert [any(words in text for text in reminders) for words in ("is due by", "Update overdue", "postmortem")] == [
        True,
        True,
        True,
    ], "the heads-up, the overdue reminder and the postmortem reminder, DRILL like the rest"
    [upload] = driven.fake.received("files.completeUploadExternal")
    assert "DRILL" in json.dumps(upload.params)

    activation = driven.fake.received("chat.postMessage", channel=MIRROR)[0].text
    assert "INC-1 is a DRILL, a rehearsal: no customer is affected" in activation
    assert "do not send customer emails about it" in activation and "promise nothing" in activation
    assert "DRILL: do not send." in followups.email(driven)

    report = _latest(driven, "Drill report for INC-1")  # posted on resolution, updated in place by the follow-ups
    assert report.startswith("DRILL — Drill report for INC-1 (P1): 4 of 6 checks passed\n✅ *Did we post an")
    assert "❌ *Did we update on schedule?*\n      1 of 3 late: the update due 14:19 UTC came 1 min late" in report
    assert "❌ *Will we publish a postmortem?*\n      promised, but no postmortem link is recorded yet" in report
    assert "Time to acknowledge publicly (the first approved update): *2 min, in time (limit 5 min)*" in report
    assert "Time to name the communicator: *1 min*" in report
    assert "Time to the first approved update the team wrote: *18 min*" in report
    assert "Cadence kept: *2 of 3 updates on time; the worst came 1 min late (due 14:19 UTC)*" in report
    assert "Declared, ended: *2026-11-22 14:02 UTC, 14:34 UTC (32 min)*" in report
    assert "Trust audit for INC-1" not in "\n".join(c.text for c in messages), "the report carries the audit"

    driven.command("drills", response="drills")
    [listed] = driven.fake.wait_response("drills")
    assert listed.params["response_type"] == "ephemeral"
    assert "*INC-1* · 2026-11-22 14:02 UTC · P1 · Full outage · Checkout API returning 500s" in listed.text
    assert "Resolved · *4 of 6 checks passed*" in listed.text


def test_a_real_incident_run_the_same_way_never_says_drill(driven: Harness) -> None:
    _whole_story(driven, drill=False)

    messages = _chat(driven)
    assert len(messages) > 30
    assert [c.everything for c in messages if "DRILL" in c.everything] == []
    assert "Drill report" not in "\n".join(c.text for c in messages)
    assert "Trust audit for INC-1" in "\n".join(c.text for c in messages)


def test_a_drill_is_never_customer_facing_and_only_real_incidents_are_counted(warroom: Harness) -> None:
    _start(warroom, drill=True)
    warroom.command("declare P2 Search is slow", channel=OTHER_ROOM, user=DANA)
    warroom.wait_until(lambda: len(warroom.incidents()) == 2)

    drill, real = warroom.incidents()
    assert (drill.drill, drill.customer_facing) == (True, False)
    assert (real.drill, real.customer_facing) == (False, True)
    with Session(warroom.engine) as session:
        assert [i.id for i in session.exec(real_incidents())] == [real.id]
        assert [i.id for i in session.exec(drills())] == [drill.id]

    warroom.command("list", response="list")
    [listed] = warroom.fake.wait_response("list")
    counted, _, apart = listed.text.partition("Drills running (1)")
    assert "Open incidents (1)" in counted and "*INC-2* · P2" in counted and "INC-1" not in counted
    assert "DRILL *INC-1* · P1 · Full outage · <#CWARROOM1>" in apart


def test_a_real_incident_declared_over_a_drill_stands_the_drill_down(warroom: Harness) -> None:
    _start(warroom, drill=True)
    warroom.clock.advance(minutes=3)

    warroom.command("declare P1 Payments really are down", response="real")
    warroom.wait_until(lambda: len(warroom.incidents()) == 2 and warroom.card_ts(2))

    drill, real = warroom.incidents()
    assert (drill.status, drill.resolved_at) == ("stood down", START + timedelta(minutes=3))
    assert (real.drill, real.resolved_at, real.channel_id) == (False, None, WAR_ROOM)
    assert [e.incident_id for e in warroom.events("drill_stood_down")] == [drill.id]
    said = "INC-1 is stood down (14:05 UTC): a real incident was declared in its war room"
    warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: said in c.text)
    [mirrored] = warroom.fake.wait_for("chat.postMessage", channel=MIRROR, where=lambda c: said in c.text)
    assert mirrored.text.startswith("DRILL — ")
    warroom.command("update Card payments fail", response="upd")
    warroom.wait_until(lambda: [e for e in warroom.entries() if e.incident_id == real.id and e.drafted_by])
    real_messages = [c for c in _chat(warroom) if "INC-2" in c.text]
    assert real_messages and all("DRILL" not in c.everything for c in real_messages)
    warroom.command("audit INC-1", response="audit")
    assert warroom.fake.wait_response("audit")[0].text.startswith("DRILL — Trust audit for INC-1: ")


def test_a_drill_cannot_start_beside_an_open_incident_or_drill(warroom: Harness) -> None:
    warroom.declare()
    warroom.command(f"drill P1 {TITLE}", response="beside")
    [answer] = warroom.fake.wait_response("beside")
    assert answer.params["response_type"] == "ephemeral"
    assert "INC-1, a real incident, is already open in this channel. Run the drill in another channel" in answer.text

    warroom.command(f"drill P2 {TITLE}", channel=OTHER_ROOM, response="first")
    warroom.wait_until(lambda: len(warroom.incidents()) == 2)
    warroom.command(f"drill P2 {TITLE}", channel=OTHER_ROOM, response="second")
    assert "INC-2, a drill, is already open in this channel" in warroom.fake.wait_response("second")[0].text
    assert len(warroom.incidents()) == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("drill P9 Checkout down", "“P9” is not a severity. Use one of `P1` (Full outage)"),
        ("drill P1", "A drill needs a title that says what is broken, e.g. `/incident drill P1 Checkout API"),
        ("drill Checkout down", "“Checkout” is not a severity"),
    ],
)
def test_a_bad_drill_command_says_what_was_wrong_and_how(warroom: Harness, text: str, says: str) -> None:
    warroom.command(text, response="bad")
    [answer] = warroom.fake.wait_response("bad")
    assert answer.params["response_type"] == "ephemeral"
    assert says in answer.text and "/incident drill P1" in answer.text
    assert warroom.incidents() == []


def test_drill_alone_opens_the_form_marked_as_a_drill_and_submitting_it_starts_one(warroom: Harness) -> None:
    warroom.command("drill")
    view = opened_view(warroom)
    assert view["title"]["text"] == "Start a DRILL" and "This is a DRILL" in json.dumps(view["blocks"])

    option = {"value": "P2", "text": {"type": "plain_text", "text": "P2"}}
    values: dict[str, Any] = {
        "severity": {"severity_select": {"type": "static_select", "selected_option": option}},
        "title": {"title_input": {"type": "plain_text_input", "value": "Search is slow"}},
        "communicator": {"communicator_select": {"type": "users_select", "selected_user": DANA}},
    }
    assert warroom.slack.view_submission(user=LEAD, view=view, values=values).status == 200

    incident = warroom.wait_until(lambda: next(iter(warroom.incidents()), None))
    assert (incident.drill, incident.severity, incident.communicator_id) == (True, "P2", DANA)
    [dm] = warroom.fake.wait_for("chat.postMessage", channel=DANA)
    assert dm.text.startswith("DRILL — ")
    warroom.command("help", response="help")
    assert "`/incident drill P1 Checkout API returning 500s`" in warroom.fake.wait_response("help")[0].text


def test_drills_lists_the_newest_twenty_with_their_scores_and_counts_the_older(warroom: Harness) -> None:
    warroom.command("drills", response="none")
    assert "No drills yet. Start one with `/incident drill P1" in warroom.fake.wait_response("none")[0].text
    with Session(warroom.engine) as session:  # a year of past drills, one a fortnight, and one real incident
        for number in range(22):
            at = START - timedelta(days=14 * (22 - number))
            drill = Incident(
                channel_id=f"CDRILL{number:03d}", title=f"Drill {number}", severity="P2", status="resolved",
                lead_id=LEAD, declared_at=at, next_update_due_at=at, resolved_at=at + timedelta(minutes=30),
                drill=number != 5,
            )  # fmt: skip
            session.add(drill)
        session.commit()

    warroom.command("drills", response="list")
    [listed] = warroom.fake.wait_response("list")
    lines = listed.text.splitlines()
    assert lines[0] == "*Drills (21)*, newest first"
    assert lines[1].startswith("• *INC-22* · ") and "Drill 21" in lines[1]
    assert len([line for line in lines if line.startswith("• ")]) == 20
    assert "Drill 5 " not in listed.text and "Drill 0 " not in listed.text, "the real one, and the oldest drill"
    assert lines[-1] == "…and 1 older drill."
    assert "checks passed" in lines[1] and "no update was ever approved" not in listed.text
