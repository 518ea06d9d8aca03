"""Every mistake gets an ephemeral answer saying what was wrong and how to do it right; nothing is written."""

from __future__ import annotations

import pytest

from tests.support.harness import BOTTY, GONE, LEAD, OTHER_ROOM, Harness

DECLARE_MISTAKES = [
    ("declare P7 Checkout down", ["“P7” is not a severity", "`P1` (Full outage)", "`P2`", "`P3`"]),
    ("declare P1", ["needs a title", "/incident declare P1"]),
    ("declare P1 " + "x" * 151, ["151 characters", "150 or fewer"]),
]


@pytest.mark.parametrize(("text", "expected"), DECLARE_MISTAKES, ids=["unknown-severity", "no-title", "long-title"])
def test_a_declare_mistake_is_explained_and_nothing_is_written(
    warroom: Harness, text: str, expected: list[str]
) -> None:
    reply = warroom.command(text, response="oops")

    assert reply.body == ""  # acked at once; the answer follows on response_url
    [answer] = warroom.fake.wait_response("oops")
    assert answer.params["response_type"] == "ephemeral"
    for phrase in expected:
        assert phrase in answer.text
    warroom.drain()
    assert warroom.incidents() == [] and warroom.events() == [] and warroom.outbox() == []
    assert warroom.fake.received("chat.postMessage") == []


@pytest.mark.parametrize("text", ["severity P2", "communicator <@UDANA0001|dana>"])
def test_a_command_in_a_channel_with_no_incident_is_explained(warroom: Harness, text: str) -> None:
    warroom.command(text, channel=OTHER_ROOM, response="none")

    [answer] = warroom.fake.wait_response("none")
    assert "There is no open incident in <#COTHER001>" in answer.text
    assert "/incident declare P1" in answer.text and "/incident list" in answer.text
    assert warroom.events() == []


@pytest.mark.parametrize(
    ("nominee", "expected"),
    [
        ("<@UNOBODY99|ghost>", "can't find that user"),
        (f"<@{GONE}|gone>", "has been deactivated"),
        (f"<@{BOTTY}|deploybot>", "is a bot"),
        ("dana", "Mention the person to nominate"),
        ("", "Mention the person to nominate"),
    ],
    ids=["unknown", "deleted", "bot", "not-a-mention", "nobody"],
)
def test_nominating_someone_who_cannot_be_communicator_is_refused(
    warroom: Harness, nominee: str, expected: str
) -> None:
    warroom.declare()
    events_before = len(warroom.events())

    warroom.command(f"communicator {nominee}", response="nominate")

    [answer] = warroom.fake.wait_response("nominate")
    assert expected in answer.text
    assert "/incident communicator @" in answer.text or "approve" in answer.text or "active member" in answer.text
    assert warroom.incidents()[0].communicator_id is None
    assert len(warroom.events()) == events_before


def test_an_unknown_severity_in_a_change_names_the_valid_ones(warroom: Harness) -> None:
    warroom.declare()

    warroom.command("severity SEV0", response="sev")

    [answer] = warroom.fake.wait_response("sev")
    assert "“SEV0” is not a severity" in answer.text and "`P2` (Partial degradation)" in answer.text
    assert warroom.incidents()[0].severity == "P1"


def test_an_unknown_subcommand_answers_with_usage(warroom: Harness) -> None:
    warroom.command("explode now", response="what")

    [answer] = warroom.fake.wait_response("what")
    assert "I don't know `explode`" in answer.text
    assert "/incident declare P1" in answer.text and "/incident communicator @person" in answer.text


def test_an_unexpected_failure_is_admitted_not_hidden(warroom: Harness) -> None:
    from tests.support.fake_slack import Fault

    warroom.declare()
    warroom.fake.fail("users.info", Fault(status=200, error="invalid_auth", times=5))

    warroom.command(f"communicator <@{LEAD}|lee>", response="boom")

    [answer] = warroom.fake.wait_response("boom")
    assert "unexpected error" in answer.text and "reference" in answer.text
    assert "Traceback" not in answer.text
