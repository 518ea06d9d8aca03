"""Who people are is asked of Slack once a minute at most: a burst of nominations makes one users.info a person."""

from __future__ import annotations

from tests.support.fake_slack import Fault
from tests.support.harness import DANA, ERIN, Harness


def _nominate(warroom: Harness, who: str) -> None:
    warroom.command(f"communicator <@{who}>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id == who)


def _asked(warroom: Harness, who: str) -> int:
    return len(warroom.fake.received("users.info", user=who))


def test_a_second_lookup_within_a_minute_asks_slack_nothing_and_one_after_it_asks_again(warroom: Harness) -> None:
    warroom.declare()

    _nominate(warroom, DANA)
    _nominate(warroom, ERIN)
    warroom.clock.advance(seconds=59)
    _nominate(warroom, DANA)

    assert (_asked(warroom, DANA), _asked(warroom, ERIN)) == (1, 1), "Dana was remembered for the minute"

    warroom.clock.advance(seconds=2)  # Dana's answer is 61 s old, Erin's 61 s too
    _nominate(warroom, ERIN)

    assert (_asked(warroom, DANA), _asked(warroom, ERIN)) == (1, 2), "Erin was asked again once the minute was up"


def test_a_lookup_slack_failed_is_not_remembered(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.fail("users.info", Fault(status=500, error="internal_error", times=2))  # and the client's one retry

    warroom.command(f"communicator <@{DANA}>", response="failed")
    [told] = warroom.fake.wait_response("failed", timeout=10)
    assert "unexpected error" in told.text

    _nominate(warroom, DANA)

    assert warroom.incidents()[0].communicator_id == DANA
