"""What the domain says reaches people as they should read it: typed text escaped once, times in the team's zone,
and the communicator told whether the update due next is the first one or not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.playbook import load_playbook
from tests.support.feed import approve, opened_view, wait_posted
from tests.support.harness import DANA, LEAD, WAR_ROOM, Harness, running


@pytest.fixture
def berlin(database_url: str) -> Iterator[Harness]:
    """Warroom for a team whose playbook shows times in Berlin (CET in November), driven by the test."""
    playbook = load_playbook().model_copy(update={"timezone": "Europe/Berlin"})
    with running(database_url, playbook=playbook, background=False) as harness:
        yield harness


def test_the_timeline_gives_a_reminders_due_time_in_the_playbooks_zone(berlin: Harness) -> None:
    warroom = berlin
    warroom.declare("P1 Checkout API returning 500s")  # 14:02 UTC; the first update is due 14:07 UTC, 15:07 CET
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    warroom.clock.advance(minutes=2)  # 14:04 UTC: the heads-up
    warroom.tick()
    assert warroom.events("reminder_sent"), "the heads-up went out"

    warroom.command("timeline", user=DANA, response="timeline")
    warroom.wait_until(lambda: warroom.fake.wait_response("timeline"))
    warroom.drain()

    [posted] = warroom.fake.received("chat.postMessage", where=lambda c: "Timeline of INC-1" in c.text)
    assert "sent the heads-up reminder for the update due 15:07 CET" in posted.text
    assert " UTC" not in posted.text, "every time in the team's zone"


def test_a_communicator_named_after_an_update_went_out_is_told_the_next_one_is_due(warroom: Harness) -> None:
    warroom.declare("P2 Search is slow")  # 14:02; the lead approves until a communicator is named
    first = warroom.entries()[0].id or 0
    warroom.clock.advance(minutes=3)
    approve(warroom, first, by=LEAD, response="first")  # 14:05: P2's next update is due 30 min later
    wait_posted(warroom, first)

    warroom.command(f"communicator <@{DANA}|dana>")

    [dm] = warroom.fake.wait_for("chat.postMessage", channel=DANA)
    assert "*Due next:* the next public update, by *14:35 UTC* (in 30 min)." in dm.text
    assert "first public update" not in dm.text


def test_a_communicator_named_before_any_update_is_told_the_first_one_is_due(warroom: Harness) -> None:
    warroom.declare("P2 Search is slow")

    warroom.command(f"communicator <@{DANA}|dana>")

    [dm] = warroom.fake.wait_for("chat.postMessage", channel=DANA)
    assert "*Due next:* the first public update, by *14:07 UTC* (in 5 min)." in dm.text


def test_a_mistake_quoting_typed_markup_shows_it_as_typed_and_pings_nobody(warroom: Harness) -> None:
    warroom.declare()

    # Slack escapes what a person typed in a command: `INC-<!here>` arrives as `INC-&lt;!here&gt;`
    warroom.command("timeline INC-&lt;!here&gt; &amp; co", response="unknown")

    [answer] = warroom.fake.wait_response("unknown")
    assert answer.text == "There is no incident “INC-&lt;!here&gt; &amp; co”. Use a reference like INC-12."


def test_a_refusal_names_the_approver_as_a_mention(warroom: Harness) -> None:
    warroom.declare()
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    entry = warroom.entries()[0].id or 0

    answer = approve(warroom, entry, by=LEAD, response="refused")

    assert answer.text == (
        f"Only <@{DANA}>, the communicator, can approve, edit, reject or correct INC-1's updates. "
        "Send them your suggestion in the war room."
    )


def test_the_update_form_offers_the_status_the_incident_has(warroom: Harness) -> None:
    warroom.declare()
    warroom.command("update identified: The payment database is overloaded.", response="draft")
    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    approve(warroom, entry.id or 0, by=LEAD, response="approved")
    warroom.wait_until(lambda: warroom.incidents()[0].status == "identified")

    warroom.command("update", response="form")

    view = opened_view(warroom)
    [status] = [block for block in view["blocks"] if block["block_id"] == "phase"]
    assert status["element"]["initial_option"]["value"] == "identified"
    options = [option["value"] for option in status["element"]["options"]]
    assert options == ["investigating", "identified", "monitoring"], "resolving is /incident resolve's"
    [text] = [block for block in view["blocks"] if block["block_id"] == "text"]
    assert text["element"]["initial_value"], "prefilled from the severity's identified template"
    assert WAR_ROOM in view["private_metadata"]
