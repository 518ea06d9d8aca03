"""Where a war room can be: a channel Warroom is in, never a DM or a group DM; and who an ephemeral can reach."""

from __future__ import annotations

import pytest

from tests.support.harness import DANA, LEAD, MIRROR, Harness

GROUP_DM = "GMPDM0001"


def _sent(warroom: Harness) -> list[str]:
    """The methods Warroom called on Slack, in order, other than looking itself up."""
    return [c.method for c in warroom.fake.calls if c.method != "auth.test"]


@pytest.mark.parametrize("text", ["declare P1 Checkout down", "declare"])
def test_declaring_in_a_dm_is_refused_because_a_war_room_must_be_a_channel(warroom: Harness, text: str) -> None:
    warroom.command(text, channel=warroom.fake.dm_channel(LEAD))

    [answer] = warroom.fake.wait_response("cmd")
    assert "must be a channel" in answer.text
    warroom.drain()
    assert warroom.incidents() == []
    assert _sent(warroom) == ["response:cmd"], "no modal, no card, no mirror notice: only the answer"


@pytest.mark.parametrize("granted", [False, True])
def test_declaring_in_a_group_dm_is_refused_because_a_war_room_must_be_a_channel(
    warroom: Harness, granted: bool
) -> None:
    warroom.fake.add_group_dm(GROUP_DM, [LEAD, DANA], member=granted)
    if granted:  # were mpim:read granted and Warroom added to it, Slack would say is_mpim, not missing_scope
        warroom.fake.scopes.add("mpim:read")

    warroom.command("declare P1 Checkout down", channel=GROUP_DM)

    [answer] = warroom.fake.wait_response("cmd")
    assert "must be a channel" in answer.text and "group DM" in answer.text
    [check] = warroom.fake.received("conversations.info")
    assert check.params["channel"] == GROUP_DM
    warroom.drain()
    assert warroom.incidents() == []
    assert _sent(warroom) == ["conversations.info", "response:cmd"], "only the look at the channel and the answer"


def test_an_ephemeral_for_a_lead_who_left_the_war_room_is_dropped_and_holds_up_nothing(warroom: Harness) -> None:
    room = "CLEFTROOM"
    warroom.fake.add_channel(room, "checkout-outage", people={DANA})  # the lead left just after declaring

    warroom.command("declare P1 Checkout down", channel=room)

    warroom.fake.wait_for("chat.postMessage", channel=MIRROR)
    [refused] = warroom.fake.wait_for("chat.postEphemeral", channel=room, user=LEAD)
    prompts = warroom.wait_until(lambda: [r for r in warroom.outbox() if r.user_id == LEAD and r.state == "failed"])
    assert [p.last_error for p in prompts] == ["user_not_in_channel"] and refused.params["user"] == LEAD
    warroom.wait_until(lambda: all(r.state != "pending" for r in warroom.outbox()))
    assert all(r.state == "delivered" for r in warroom.outbox() if r.user_id is None)
