"""The public impact line: asked for at declaration, set by the communicator, public only once approved."""

from __future__ import annotations

import json
from typing import Any

from tests.support.feed import approve, wait_posted
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, WAR_ROOM, Harness
from tests.support.mirror import activation_text, settled, thread

IMPACT = "Checkout and card payments fail for all customers in the EU"


def _modal_values(impact: str, severity: str = "P1") -> dict[str, Any]:
    option = {"value": severity, "text": {"type": "plain_text", "text": severity}}
    return {
        "severity": {"severity_select": {"type": "static_select", "selected_option": option}},
        "title": {"title_input": {"type": "plain_text_input", "value": "payments-api 500s after deploy 4411"}},
        "impact": {"impact_input": {"type": "plain_text_input", "value": impact}},
        "communicator": {"communicator_select": {"type": "users_select", "selected_user": DANA}},
    }


def _declare_in_the_modal(warroom: Harness, impact: str) -> Any:
    warroom.command("declare")
    raw = warroom.fake.wait_for("views.open")[0].params["view"]
    view = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return warroom.slack.view_submission(user=LEAD, view=view, values=_modal_values(impact))


def _draft_cards(warroom: Harness, entry_id: int) -> list[str]:
    """The draft card's text as posted, then as updated, in the war room."""
    key = f"entry:{entry_id}:draft"
    ts = warroom.wait_until(lambda: warroom.fake.ts_of(WAR_ROOM, key))
    posted = [c.everything for c in warroom.fake.received("chat.postMessage", channel=WAR_ROOM) if key in str(c.params)]
    updated = [c.everything for c in warroom.fake.received("chat.update", channel=WAR_ROOM) if c.params["ts"] == ts]
    return posted + updated


def test_the_impact_line_from_the_declare_modal_is_approved_with_the_first_entry(warroom: Harness) -> None:
    assert _declare_in_the_modal(warroom, IMPACT).status == 200
    warroom.wait_until(lambda: warroom.entries())
    settled(warroom)

    before = activation_text(warroom, 1)
    assert IMPACT not in before, "a proposal never reaches the mirror before it is approved"
    assert "not confirmed yet" in before
    first = warroom.entries()[0]
    assert IMPACT in first.text, "the first draft uses the proposed line: approving it approves both"
    assert f"*Impact line, approved with this update:* {IMPACT}" in _draft_cards(warroom, first.id or 0)[-1]
    [proposed] = warroom.events("impact_proposed")
    assert (proposed.actor_id, proposed.data) == (LEAD, {"text": IMPACT})

    warroom.clock.advance(minutes=2)
    approve(warroom, first.id or 0, by=DANA)
    _, mirrored = wait_posted(warroom, first.id or 0)

    assert f"*Impact:* {IMPACT}" in mirrored["text"]
    activation = warroom.fake.wait_for("chat.update", channel=MIRROR, where=lambda c: IMPACT in c.text)
    assert activation[-1].params["ts"] == warroom.fake.ts_of(MIRROR, "incident:1:activation"), "updated in place"
    assert f"*Impact:* {IMPACT}" in activation_text(warroom, 1)
    [approved] = warroom.events("impact_approved")
    assert (approved.actor_id, approved.data) == (DANA, {"text": IMPACT})
    incident = warroom.incidents()[0]
    assert (incident.impact, incident.impact_proposed) == (IMPACT, None)


def test_declare_with_arguments_leaves_the_impact_line_to_the_communicator(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")
    settled(warroom)

    assert "not confirmed yet" in activation_text(warroom, 1)
    assert warroom.entries()[0].text.startswith("We are investigating a full outage: customers cannot use the service")
    assert warroom.incidents()[0].impact is None


def test_the_communicator_sets_the_line_at_once_and_the_activation_is_updated(warroom: Harness) -> None:
    warroom.declare()
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)

    warroom.command(f"impact {IMPACT}.", user=DANA, response="impact")

    [answer] = warroom.fake.wait_response("impact")
    assert answer.params["response_type"] == "ephemeral"
    assert f"Impact line for INC-1 approved: “{IMPACT}”" in answer.text
    warroom.wait_until(lambda: IMPACT in activation_text(warroom, 1))
    assert warroom.incidents()[0].impact == IMPACT, "stored without its full stop, so every template can end it"


def test_approving_with_no_impact_line_says_how_to_give_the_support_team_one(warroom: Harness) -> None:
    warroom.declare("P3 Search results lagging")  # with arguments: no impact line yet

    first = approve(warroom, warroom.entries()[0].id or 0, by=LEAD, response="first")

    assert "There is no public impact line yet, so the support team can't say what is affected" in first.text
    assert "`/incident impact &lt;what customers can't do&gt;`" in first.text
    warroom.command("impact Search results are up to 10 minutes old", user=LEAD)
    warroom.wait_until(lambda: warroom.incidents()[0].impact)
    warroom.command("update monitoring: Search results are fresh again for most customers.", user=ERIN)
    second = warroom.wait_until(lambda: [e for e in warroom.entries() if e.drafted_by == ERIN])[0]
    assert "no public impact line" not in approve(warroom, second.id or 0, by=LEAD, response="second").text


def test_a_line_set_or_changed_later_is_told_in_the_incidents_thread(warroom: Harness) -> None:
    warroom.declare()
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    approve(warroom, warroom.entries()[0].id or 0, by=DANA)
    settled(warroom)
    warroom.clock.advance(minutes=3)  # 14:05

    warroom.command(f"impact {IMPACT}", user=DANA)
    warroom.wait_until(lambda: any(":dart:" in text for text in thread(warroom, 1)))
    warroom.clock.advance(minutes=10)  # 14:15
    warroom.command("impact Card payments fail for customers in the EU; checkout works", user=DANA)
    warroom.wait_until(lambda: sum(":dart:" in text for text in thread(warroom, 1)) == 2)
    warroom.command("impact Card payments fail for customers in the EU; checkout works", user=DANA)  # the same again
    warroom.command(f"impact {IMPACT}", user=ERIN)  # a proposal: nothing public until approved
    settled(warroom)

    told = [text for text in thread(warroom, 1) if ":dart:" in text]
    assert told == [
        ":dart: *INC-1: what is affected is now confirmed at 14:05 UTC.*\n"
        f"*Impact:* {IMPACT}\n"
        "Tell customers what is affected in these words from now on.",
        ":dart: *INC-1: the impact line changed at 14:15 UTC.*\n"
        "*Impact:* Card payments fail for customers in the EU; checkout works\n"
        f"It said before: {IMPACT}\n"
        "Tell customers what is affected in these words from now on.",
    ], "told once per approved change, never for a proposal"
    shown = warroom.fake.received("chat.postMessage", channel=MIRROR, where=lambda c: ":dart:" in c.text)
    assert all(str(c.params.get("reply_broadcast")).lower() in ("true", "1") for c in shown), "shown in the channel"


def test_anyone_else_proposes_and_the_mirror_waits_for_the_approver(warroom: Harness) -> None:
    warroom.declare()
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    settled(warroom)

    warroom.command(f"impact {IMPACT}", user=ERIN, response="erin")

    assert f"It reaches the support team when <@{DANA}> approves the next update" in (
        warroom.fake.wait_response("erin")[0].text
    )
    first = warroom.entries()[0]
    warroom.wait_until(lambda: any(IMPACT in card for card in _draft_cards(warroom, first.id or 0)))
    settled(warroom)
    assert not [c for c in warroom.fake.received("chat.update", channel=MIRROR) if IMPACT in c.text]
    assert IMPACT not in activation_text(warroom, 1)
    assert warroom.incidents()[0].impact_proposed_by == ERIN

    approve(warroom, first.id or 0, by=DANA)
    wait_posted(warroom, first.id or 0)
    warroom.wait_until(lambda: IMPACT in activation_text(warroom, 1))
    assert [e.actor_id for e in warroom.events("impact_approved")] == [DANA]


def test_the_impact_line_is_one_short_sentence_and_escaped(warroom: Harness) -> None:
    warroom.declare()

    warroom.command("impact " + "Checkout fails " * 20, response="long")
    assert "keep it to one sentence of 200 or fewer" in warroom.fake.wait_response("long")[0].text
    warroom.command("impact Checkout fails. We are on it.", response="two")
    assert "one sentence" in warroom.fake.wait_response("two")[0].text
    warroom.command("impact", response="none")
    shown = warroom.fake.wait_response("none")[0].text
    assert (
        "INC-1's public impact line: not set yet." in shown and "/incident impact Checkout and card payments" in shown
    )

    warroom.command("impact Payments fail for <!channel> & <@UMALLORY1> in the U.S. and Canada", response="ok")
    warroom.fake.wait_response("ok")
    shown = warroom.wait_until(lambda: [t for t in [activation_text(warroom, 1)] if "U.S." in t])[0]
    assert "Payments fail for &lt;!channel&gt; &amp; &lt;@UMALLORY1&gt; in the U.S. and Canada" in shown
    assert "<!channel>" not in shown and "<@UMALLORY1>" not in shown
    told = warroom.wait_until(lambda: thread(warroom, 1))
    assert told == [
        ":dart: *INC-1: what is affected is now confirmed at 14:02 UTC.*\n"
        "*Impact:* Payments fail for &lt;!channel&gt; &amp; &lt;@UMALLORY1&gt; in the U.S. and Canada\n"
        "Tell customers what is affected in these words from now on."
    ], "the thread is told, escaped, as the activation is updated"


def test_a_bad_impact_line_in_the_modal_is_shown_beside_the_field(warroom: Harness) -> None:
    reply = _declare_in_the_modal(warroom, "Checkout fails. Payments too.")

    assert reply.json()["response_action"] == "errors"
    assert "one sentence" in reply.json()["errors"]["impact"]
    warroom.drain()
    assert warroom.incidents() == []
    assert [c.method for c in warroom.fake.calls if c.method != "auth.test"] == ["conversations.info", "views.open"]
