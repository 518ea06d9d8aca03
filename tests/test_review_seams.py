"""Where the parts of issue 9 meet: the highest severity held decides every follow-up, reminders included."""

from __future__ import annotations

from tests.support import followups
from tests.support.feed import click
from tests.support.harness import DANA, LEAD, MIRROR, Harness


def test_a_p1_lowered_to_p3_is_still_reminded_of_the_postmortem_its_resolved_post_promised(warroom: Harness) -> None:
    followups.named(warroom)
    followups.first_update(warroom)
    warroom.clock.advance(minutes=10)
    warroom.command("severity P3", response="lowered")
    warroom.wait_until(lambda: warroom.events("severity_changed"))
    followups.resolve(warroom, minutes=30)
    resolved = warroom.fake.wait_for("chat.postMessage", channel=MIRROR, where=lambda c: "· Resolved*" in c.text)
    assert "P1 Full outage" in resolved[-1].text and "post-incident review" in resolved[-1].text
    assert "*Postmortem:* promised in the resolved post" in followups.checklist(warroom)

    warroom.clock.advance(hours=24, minutes=1)

    reminders = warroom.fake.wait_for(
        "chat.postMessage", 2, timeout=5, where=lambda c: "postmortem has no link yet" in c.text
    )
    assert {c.channel for c in reminders} == {DANA, LEAD}


def test_only_the_communicator_writes_the_customer_emails_prevention_sentence(warroom: Harness) -> None:
    followups.named(warroom)
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=40)
    followups.checklist(warroom)

    click(warroom, "followup_email_prevention", 1, by=LEAD, response="lead")

    [refused] = warroom.fake.wait_response("lead")
    assert f"Only <@{DANA}>, the communicator, writes what INC-1's customer email says" in refused.text
    assert warroom.fake.received("views.open") == []
    assert warroom.incidents()[0].email_prevention is None


POLICY = "Every affected customer receives a service credit"


def test_credits_recorded_as_not_owed_leave_the_unsent_customer_email_offering_none(warroom: Harness) -> None:
    followups.named(warroom)
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=40)  # 42 min at P1 against its 30 min SLA: owed by the rule
    assert POLICY in followups.email(warroom)

    click(warroom, "followup_credits_not_owed", 1, by=DANA, response="notowed")

    shown = warroom.wait_until(lambda: (lambda text: text if POLICY not in text else None)(followups.email(warroom)))
    assert "service commitment" not in shown
    told = warroom.fake.wait_for(
        "chat.postMessage", channel=MIRROR, where=lambda c: "no further service credits" in c.text
    )
    assert len(told) == 1


def test_credits_a_sent_email_offered_cant_be_recorded_as_not_owed(warroom: Harness) -> None:
    followups.named(warroom)
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=40)
    followups.write_prevention(warroom)
    click(warroom, "followup_email_sent", 1, by=DANA, response="sent")
    warroom.wait_until(lambda: warroom.events("email_sent"))

    click(warroom, "followup_credits_not_owed", 1, by=DANA, response="notowed")

    [refused] = warroom.fake.wait_response("notowed")
    assert "customer email, sent at" in refused.text and "already offered customers the credits" in refused.text
    assert warroom.incidents()[0].credits is None
    assert (
        warroom.fake.received(
            "chat.postMessage", channel=MIRROR, where=lambda c: "no further service credits" in c.text
        )
        == []
    )
