"""`/incident list` and `/incident help`."""

from __future__ import annotations

from tests.support.harness import DANA, LEAD, OTHER_ROOM, Harness


def test_help_shows_usage_and_the_playbook_severities(warroom: Harness) -> None:
    for text, response in (("help", "h1"), ("", "h2")):
        warroom.command(text, response=response)
        [answer] = warroom.fake.wait_response(response)
        assert answer.params["response_type"] == "ephemeral"
        assert "/incident declare P1 Checkout API returning 500s" in answer.text
        assert "/incident severity P2" in answer.text and "/incident list" in answer.text
        assert "`P1` Full outage" in answer.text and "`P3` Intermittent issues" in answer.text


def test_list_shows_open_incidents_with_their_channels(warroom: Harness) -> None:
    warroom.command("list", response="empty")
    assert "No incidents are open" in warroom.fake.wait_response("empty")[0].text

    warroom.declare("P1 Checkout API returning 500s")
    warroom.declare("P3 Slow <search>", channel=OTHER_ROOM, user=DANA)
    warroom.command("list", response="two", channel=OTHER_ROOM)

    [answer] = warroom.fake.wait_response("two")
    assert answer.params["response_type"] == "ephemeral"
    assert "Open incidents (2)" in answer.text
    assert "*INC-1* · P1 · Full outage · <#CWARROOM1>" in answer.text
    assert f"by <@{LEAD}>" in answer.text
    assert "*INC-2* · P3 · Intermittent issues · <#COTHER001>" in answer.text
    assert "Slow &lt;search&gt;" in answer.text
