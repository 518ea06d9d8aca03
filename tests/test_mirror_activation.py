"""The activation notice: urgency in proportion to severity, the briefing in full only where it adds something,
and escalations addressed to real people."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.playbook import Briefing, EscalateTo, PlaybookError, load_playbook
from bot.store.models import MirrorBriefing
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, OTHER_ROOM, FakeClock, Harness, running, start_fake_slack
from tests.support.mirror import activation_text, activation_ts, settled

THIRD_ROOM = "CTHIRD001"
CONTACTS = EscalateTo(group="S0ESCALATE", people=[ERIN, DANA], email="escalations@example.com")


def test_a_p1_activates_outage_handling_and_a_p3_is_a_heads_up(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")
    warroom.declare("P3 Search is flaky", channel=OTHER_ROOM)
    settled(warroom)

    p1, p3 = activation_text(warroom, 1), activation_text(warroom, 2)
    assert p1.startswith(
        ":rotating_light: *INC-1 declared: P1 · Full outage. Support team lead: activate outage handling now.*"
    )
    assert "Tag and queue outage emails for the surge team, route enterprise accounts to priority handling" in p1
    assert p3.startswith(
        ":information_source: *Heads-up: INC-2, P3 · Intermittent issues.* No need to activate outage handling."
    )
    assert "answer from the latest update in this thread and tell them we are monitoring it" in p3
    assert ":rotating_light:" not in p3 and "activate outage handling now" not in p3.lower()
    for text in (p1, p3):
        assert "Never promise a fix time." in text
        assert f"*Escalations for INC-{1 if text is p1 else 2} go to* the incident lead, <@{LEAD}>." in text


def test_a_p2_is_measured(warroom: Harness) -> None:
    warroom.declare("P2 Checkout is slow")

    text = activation_text(warroom, 1)
    assert text.startswith(":warning: *INC-1 declared: P2 · Partial degradation.* Expect more contact than usual")
    assert "Activate outage handling if the volume climbs." in text


def test_the_briefing_is_posted_once_then_linked_and_again_when_it_changes(database_url: str) -> None:
    fake = start_fake_slack()
    fake.add_channel(THIRD_ROOM, "third-room")
    clock = FakeClock()
    try:
        with running(database_url, fake=fake, clock=clock) as warroom:
            warroom.declare("P1 Checkout API returning 500s")
            warroom.declare("P2 Search is slow", channel=OTHER_ROOM)
            warroom.command("impact Search results load slowly for some customers", channel=OTHER_ROOM, response="i")
            warroom.fake.wait_response("i")
            warroom.wait_until(lambda: "load slowly" in activation_text(warroom, 2))
            settled(warroom)
            first, second = activation_text(warroom, 1), activation_text(warroom, 2)
            permalink = f"https://acme.slack.com/archives/{MIRROR}/p{activation_ts(warroom, 1).replace('.', '')}"
            second_calls = [
                c
                for method in ("chat.postMessage", "chat.update")
                for c in fake.received(method, channel=MIRROR)
                if c.text.startswith(":warning: *INC-2")
            ]

        assert "*Agents may offer without approval:*" in first and "*Escalate at once" in first
        assert "Agents may offer" not in second and "Escalate at once" not in second
        assert "The briefing posted with INC-1 still stands: what agents may offer without approval" in second
        assert len(second_calls) == 2, "posted, then updated in place when its impact line was approved"
        assert all(permalink in str(c.blocks) for c in second_calls), "each links to the activation carrying it"

        changed = load_playbook()
        changed = changed.model_copy(update={"briefing": Briefing(escalate_to=CONTACTS)})
        with running(database_url, fake=fake, clock=clock, playbook=changed) as warroom:
            warroom.declare("P1 Payments are down", channel=THIRD_ROOM)
            settled(warroom)
            third = activation_text(warroom, 3)
            with Session(warroom.engine) as session:
                carriers = list(
                    session.exec(select(MirrorBriefing.incident_id).order_by(col(MirrorBriefing.posted_at)))
                )
    finally:
        fake.stop()

    assert "*Agents may offer without approval:*" in third, "the briefing changed: posted in full again"
    assert "still stands" not in third
    assert (
        "*Escalations go to:* <!subteam^S0ESCALATE> <@UERIN0001> <@UDANA0001> "
        "(email <mailto:escalations@example.com|escalations@example.com>)" in third
    )
    assert "the incident lead" not in third
    assert sorted(carriers) == [1, 3]


def test_a_briefing_whose_message_is_gone_does_not_stop_the_next_activation(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")
    settled(warroom)
    warroom.fake.delete_message(MIRROR, activation_ts(warroom, 1))  # deleted by someone, or by a retention policy

    warroom.declare("P2 Search is slow", channel=OTHER_ROOM)
    settled(warroom)

    posted = [c for c in warroom.fake.received("chat.postMessage", channel=MIRROR) if c.text.startswith(":warning:")]
    assert len(posted) == 1, "posted once, not given up on"
    assert "Open it in the channel" not in str(posted[0].blocks), "without a link to a message that is gone"


@pytest.mark.parametrize(
    ("escalate_to", "problem"),
    [
        ("{group: escalations}", "briefing.escalate_to.group: 'escalations' is not a Slack user group ID"),
        ("{people: ['@dana']}", "briefing.escalate_to.people: '@dana' is not a Slack user ID; expected one like U0"),
        ("{email: escalations}", "briefing.escalate_to.email: 'escalations' is not an email address"),
        ("{}", "briefing.escalate_to: name at least one of group (S…), people ([U…]) or email"),
        ("{team: S0123}", "briefing.escalate_to.team: unknown key"),
    ],
)
def test_a_bad_escalate_to_is_refused_with_the_key_and_what_was_expected(
    tmp_path: Path, escalate_to: str, problem: str
) -> None:
    path = tmp_path / "playbook.yml"
    path.write_text(
        f"severities:\n  P1: {{label: Full outage, cadence: 15m}}\nbriefing:\n  escalate_to: {escalate_to}\n"
    )

    with pytest.raises(PlaybookError) as raised:
        load_playbook(path)

    assert f"{path}: {problem}" in str(raised.value)


def test_the_briefing_digest_changes_with_its_content() -> None:
    shipped = load_playbook().briefing
    assert shipped.digest() == Briefing().digest()
    assert Briefing(escalate_to=CONTACTS).digest() != shipped.digest()
    assert Briefing(authority=["Nothing"]).digest() != shipped.digest()
