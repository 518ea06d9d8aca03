"""Signatures are checked, and text people typed never becomes a mention or a broadcast."""

from __future__ import annotations

import time

import pytest

from tests.support.fake_slack import Call
from tests.support.harness import OTHER_ROOM, WAR_ROOM, Harness
from tests.support.slack_requests import sign

BROADCASTS = ["<!channel>", "<!here>", "<!subteam^S1|x>", "<!everyone>", "<@UMALLORY1>", "<#C999|x>"]


def _body(warroom: Harness) -> str:
    return warroom.slack.command_body("help", user="ULEAD0001", channel=WAR_ROOM, response="sig")


def test_a_request_with_a_wrong_signature_is_refused_with_401(warroom: Harness) -> None:
    body = _body(warroom)
    stamp = str(int(time.time()))

    reply = warroom.slack.post(body, timestamp=stamp, signature=sign("not-the-secret", stamp, body))

    assert reply.status == 401
    warroom.drain()
    assert [c.method for c in warroom.fake.calls if c.method != "auth.test"] == [], "nothing from it reached Slack"


def test_a_request_older_than_five_minutes_is_refused_with_401(warroom: Harness) -> None:
    body = _body(warroom)
    stale = str(int(time.time()) - 301)

    reply = warroom.slack.post(body, timestamp=stale, signature=sign(warroom.slack.secret, stale, body))

    assert reply.status == 401


def test_a_tampered_body_is_refused_with_401(warroom: Harness) -> None:
    body = _body(warroom)
    stamp = str(int(time.time()))
    signature = sign(warroom.slack.secret, stamp, body)

    reply = warroom.slack.post(body.replace("help", "list"), timestamp=stamp, signature=signature)

    assert reply.status == 401


def test_a_correctly_signed_request_is_acked(warroom: Harness) -> None:
    reply = warroom.slack.post(_body(warroom))

    assert reply.status == 200
    warroom.fake.wait_response("sig")


def _everything_slack_received(warroom: Harness) -> list[Call]:
    warroom.drain()
    return [c for c in warroom.fake.calls if c.method not in ("auth.test", "users.info", "views.open")]


@pytest.mark.parametrize("broadcast", ["<!channel>", "<!here>", "<!subteam^S1|x>"])
def test_a_title_can_never_broadcast_or_mention(warroom: Harness, broadcast: str) -> None:
    title = f"Checkout {broadcast} & <@UMALLORY1> <#C999|x> <!everyone> down"
    warroom.declare(f"P1 {title}")
    warroom.command(f"declare P2 {title}", response="dup")  # the refusal quotes the open incident's title
    warroom.command("list", channel=OTHER_ROOM, response="list")
    warroom.fake.wait_response("dup")
    warroom.fake.wait_response("list")

    calls = _everything_slack_received(warroom)
    assert any("&lt;" in c.everything for c in calls)
    for call in calls:
        for token in BROADCASTS:
            assert token not in call.everything, (call.method, call.everything)
    assert warroom.incidents()[0].title == title


def test_command_text_is_unescaped_once_and_escaped_once(warroom: Harness) -> None:
    # Slack sends what a person typed as `A &amp; B &lt;!here&gt;`; it must show as typed, not double-escaped.
    warroom.declare("P1 A &amp; B &lt;!here&gt;")

    [card] = warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: c.text.startswith("INC-"))
    assert "A &amp; B &lt;!here&gt;" in card.everything
    assert "&amp;amp;" not in card.everything and "<!here>" not in card.everything
    assert warroom.incidents()[0].title == "A & B <!here>"


def test_a_display_name_cannot_broadcast_either(warroom: Harness) -> None:
    warroom.fake.add_user("UEVIL0001", "<!channel> bot", is_bot=True)
    warroom.declare()

    warroom.command("communicator <@UEVIL0001|evil>", response="evil")

    [answer] = warroom.fake.wait_response("evil")
    assert "&lt;!channel&gt; bot is a bot" in answer.text
    assert "<!channel>" not in answer.text
