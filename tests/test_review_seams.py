"""Where the parts of issue 9 meet: the highest severity held decides every follow-up, reminders included."""

from __future__ import annotations

from tests.support.feed import click
from tests.support.harness import DANA, LEAD, MIRROR, Harness
from tests.test_after_outage import _first_update
from tests.test_followups import _checklist, _named, _resolve


def test_a_p1_lowered_to_p3_is_still_reminded_of_the_postmortem_its_resolved_post_promised(warroom: Harness) -> None:
    _named(warroom)
    _first_update(warroom)
    warroom.clock.advance(minutes=10)
    warroom.command("severity P3", response="lowered")
    warroom.wait_until(lambda: warroom.events("severity_changed"))
    _resolve(warroom, minutes=30)
    resolved = warroom.fake.wait_for("chat.postMessage", channel=MIRROR, where=lambda c: "· Resolved*" in c.text)
    assert "P1 Full outage" in resolved[-1].text and "post-incident review" in resolved[-1].text
    assert "*Postmortem:* promised in the resolved post" in _checklist(warroom)

    warroom.clock.advance(hours=24, minutes=1)

    reminders = warroom.fake.wait_for(
        "chat.postMessage", 2, timeout=5, where=lambda c: "postmortem has no link yet" in c.text
    )
    assert {c.channel for c in reminders} == {DANA, LEAD}


def test_only_the_communicator_writes_the_customer_emails_prevention_sentence(warroom: Harness) -> None:
    _named(warroom)
    _first_update(warroom)
    _resolve(warroom, minutes=40)
    _checklist(warroom)

    click(warroom, "followup_email_prevention", 1, by=LEAD, response="lead")

    [refused] = warroom.fake.wait_response("lead")
    assert f"Only <@{DANA}>, the communicator, writes what INC-1's customer email says" in refused.text
    assert warroom.fake.received("views.open") == []
    assert warroom.incidents()[0].email_prevention is None
