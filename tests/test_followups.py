"""After the outage: the checklist, the customer email, credits, the postmortem, the audit and the timeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import followups
from tests.support.fake_slack import Call
from tests.support.feed import approve, click, opened_view, wait_posted
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, OTHER_ROOM, WAR_ROOM, Harness, running


@pytest.fixture
def driven(database_url: str) -> Iterator[Harness]:
    """Warroom without background workers: the test ticks the scheduler and drains the outbox itself."""
    with running(database_url, background=False) as harness:
        yield harness


def _well_handled(warroom: Harness) -> None:
    """A P1 handled by the book: first update in 2 min, every update on time, resolved after 68 min."""
    followups.named(warroom)
    warroom.clock.advance(minutes=2)  # 14:04
    approve(warroom, warroom.entries()[0].id or 0, by=DANA, response="first")  # next by 14:19
    wait_posted(warroom, warroom.entries()[0].id or 0)
    for n, minutes in enumerate((14, 14, 14, 14)):  # 14:18, 14:32, 14:46, 15:00
        followups.update(
            warroom, f"We continue to work on card payments, update {n}.", minutes=minutes, response=f"u{n}"
        )
    followups.resolve(warroom, minutes=10)  # 15:10


def test_resolving_posts_the_follow_up_checklist(warroom: Harness) -> None:
    _well_handled(warroom)

    checklist = followups.checklist(warroom)
    assert "Follow-ups for INC-1: resolved 15:10 UTC after 1 h 8 min" in checklist
    assert "*Customer email:* drafted above; send it by 17:10 UTC" in checklist
    assert "*Credits:* *owed: 1 h 8 min at P1 against the P1 SLA of 30 min*. Offer them by 17:10 UTC" in checklist
    assert "service credit of 10%" in checklist, "the policy is shown, so credits go out before anyone asks"
    assert "*Postmortem:* promised in the resolved post" in checklist
    for action in (
        "followup_email_prevention",
        "followup_email_sent",
        "followup_credits_offered",
        "followup_credits_not_owed",
        "followup_postmortem_link",
    ):
        assert action in checklist


def test_the_customer_email_is_drafted_signed_by_a_person(warroom: Harness) -> None:
    _well_handled(warroom)

    [room] = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "customer email" in c.text)
    assert room.params.get("thread_ts") == warroom.card_ts(1), "in the card's thread, beside the checklist"
    assert warroom.fake.received("chat.postMessage", channel=DANA, where=lambda c: "customer email for" in c.text) == []
    text = room.text
    assert "Send it by *17:10 UTC*, within 2 h of resolution" in text
    assert "from 14:02 UTC to 15:10 UTC (1 h 8 min)" in text
    assert "What happened: A configuration change exhausted the pool." in text
    assert "Who was affected: everyone who used our service between 14:02 UTC and 15:10 UTC." in text
    assert "What we fixed: Service is fully restored." in text
    assert "What we are doing to prevent it: [Write one sentence on what you are changing" in text
    assert (
        "This outage broke our service commitment to you, so our service credit policy applies to you. "
        "The policy says: Every affected customer" in text
    )
    assert text.rstrip().removesuffix("```").rstrip().endswith("Kind regards,\nDana"), "signed by the communicator"
    assert "noreply@" not in text


def test_each_follow_up_click_is_recorded_and_the_checklist_updates_in_place(warroom: Harness) -> None:
    _well_handled(warroom)
    posted = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "Follow-ups for" in c.text)
    warroom.clock.advance(minutes=40)  # 15:50
    followups.write_prevention(warroom)

    click(warroom, "followup_email_sent", 1, by=DANA, response="email")
    click(warroom, "followup_credits_offered", 1, by=LEAD, response="credits")
    warroom.wait_until(lambda: warroom.events("email_sent") and warroom.events("credits_decided"))

    update = warroom.wait_until(
        lambda: [
            c
            for c in warroom.fake.received("chat.update", channel=WAR_ROOM, where=lambda c: "Follow-ups for" in c.text)
            if "Credits:* offered" in c.text and "Customer email:* sent" in c.text
        ]
    )
    assert update[-1].params["ts"] == next(
        m["ts"] for m in warroom.fake.messages[WAR_ROOM] if "Follow-ups for" in str(m["text"])
    )
    assert f"✅ *Customer email:* sent, marked by <@{DANA}> at 15:50 UTC" in update[-1].text
    assert f"✅ *Credits:* offered, recorded by <@{LEAD}> at 15:50 UTC" in update[-1].text
    assert warroom.events("credits_decided")[0].data == {"decision": "offered"}
    assert len(posted) == 1

    click(warroom, "followup_credits_not_owed", 1, by=DANA, response="again")
    assert "already recorded as offered" in warroom.fake.wait_response("again")[0].text
    click(warroom, "followup_email_sent", 1, by=ERIN, response="erin")
    assert "Only the communicator or the incident lead" in warroom.fake.wait_response("erin")[0].text


def _no_link_reminders(warroom: Harness) -> list[Call]:
    return warroom.fake.received("chat.postMessage", where=lambda c: "postmortem has no link yet" in c.text)


def test_the_postmortem_link_is_asked_for_and_reminded_daily_until_recorded(driven: Harness) -> None:
    _well_handled(driven)
    driven.clock.advance(hours=23, minutes=59)
    driven.tick()
    assert _no_link_reminders(driven) == [], "not before a day has passed"
    driven.clock.advance(minutes=2)
    driven.tick()

    reminders = _no_link_reminders(driven)
    assert sorted(c.channel or "" for c in reminders) == sorted([DANA, LEAD]), "one each"
    driven.tick()
    driven.clock.advance(hours=1)
    driven.tick()
    assert _no_link_reminders(driven) == reminders, "once a day"

    click(driven, "followup_postmortem_link", 1, by=DANA)
    view = opened_view(driven)
    bad = {"url": {"url_input": {"type": "url_text_input", "value": "the doc"}}}
    assert "full link" in driven.slack.view_submission(user=DANA, view=view, values=bad).json()["errors"]["url"]
    good = {"url": {"url_input": {"type": "url_text_input", "value": "https://wiki.example.com/pm/inc-1"}}}
    assert driven.slack.view_submission(user=DANA, view=view, values=good).status == 200
    driven.wait_until(lambda: driven.incidents()[0].postmortem_url)

    driven.clock.advance(hours=48)
    driven.tick()
    assert _no_link_reminders(driven) == reminders, "a recorded link ends the reminders"
    assert "✅ *Postmortem:* https://wiki.example.com/pm/inc-1" in followups.checklist(driven)


def _email_reminders(warroom: Harness) -> list[Call]:
    return warroom.fake.received("chat.postMessage", channel=DANA, where=lambda c: "is due by 17:10" in c.text)


def test_the_communicator_is_reminded_before_the_customer_email_runs_out(driven: Harness) -> None:
    _well_handled(driven)
    driven.clock.advance(minutes=89)  # 16:39
    driven.tick()
    assert _email_reminders(driven) == []

    driven.clock.advance(minutes=1)  # 16:40: 30 min left
    driven.tick()

    [dm] = _email_reminders(driven)
    assert "*The customer email for INC-1 is due by 17:10 UTC* (30 min left)" in dm.text
    driven.tick()
    driven.clock.advance(minutes=10)
    driven.tick()
    assert _email_reminders(driven) == [dm], "reminded once"


def test_a_short_incident_needs_no_customer_email(warroom: Harness) -> None:
    followups.named(warroom, "P3 Search is slow")
    warroom.clock.advance(minutes=3)
    approve(warroom, warroom.entries()[0].id or 0, by=DANA, response="first")
    followups.resolve(warroom, minutes=9)  # 12 min in all

    checklist = followups.checklist(warroom)
    assert "*Customer email:* not needed; it lasted 12 min, under 30 min." in checklist
    assert "*Postmortem:* not needed for P3." in checklist
    assert warroom.fake.received("chat.postMessage", where=lambda c: "customer email for" in c.text) == []


def test_a_well_handled_p1_passes_all_six_questions(warroom: Harness) -> None:
    _well_handled(warroom)
    warroom.clock.advance(minutes=30)
    followups.write_prevention(warroom)
    click(warroom, "followup_email_sent", 1, by=DANA, response="email")
    click(warroom, "followup_credits_offered", 1, by=DANA, response="credits")
    warroom.wait_until(lambda: warroom.events("email_sent") and warroom.events("credits_decided"))
    click(warroom, "followup_postmortem_link", 1, by=DANA)
    good = {"url": {"url_input": {"type": "url_text_input", "value": "https://wiki.example.com/pm/inc-1"}}}
    warroom.slack.view_submission(user=DANA, view=opened_view(warroom, 2), values=good)
    warroom.wait_until(lambda: warroom.incidents()[0].postmortem_url)

    warroom.command("audit", response="audit")

    [answer] = warroom.fake.wait_response("audit")
    seen = answer.text
    assert "Trust audit for INC-1: 6 of 6" in seen
    assert "❌" not in seen
    assert "posted 2 min after declaration; limit 5 min" in seen
    assert "all 6 updates came by the time committed before them" in seen
    assert "the cause: “A configuration change exhausted the pool.”" in seen
    assert "sent 30 min after resolution; limit 2 h" in seen
    assert "offered; owed: 1 h 8 min at P1 against the P1 SLA of 30 min" in seen
    assert "scheduled: https://wiki.example.com/pm/inc-1" in seen
    for metric in (
        "Time to first update: *2 min*",
        "Updates: *6*",
        "Updates on time: *6 of 6 (100%)*",
        "Duration: *1 h 8 min*",
        "Time to customer email: *30 min*",
        "Longest gap",
    ):
        assert metric in seen
    warroom.fake.wait_for("chat.update", channel=WAR_ROOM, where=lambda c: "Trust audit for INC-1: 6 of 6" in c.text)


def test_a_badly_handled_incident_shows_exactly_which_questions_fail_and_why(warroom: Harness) -> None:
    followups.named(warroom)
    warroom.clock.advance(minutes=7)  # 14:09: two minutes past the 14:07 commitment
    approve(warroom, warroom.entries()[0].id or 0, by=DANA, response="first")  # next by 14:24
    followups.update(warroom, "Still working on card payments.", minutes=25, response="late")  # 14:34: ten minutes late
    followups.resolve(warroom, minutes=30, cause="A bad deploy.")  # 15:04, after 62 min
    warroom.clock.advance(hours=3)

    warroom.command("audit INC-1", channel=OTHER_ROOM, response="audit")

    seen = warroom.fake.wait_response("audit")[0].text
    assert "Trust audit for INC-1: 1 of 6, 1 not yet due" in seen
    assert (
        "❌ *Did we post an “Investigating” update within 5 min?*\n      posted 7 min after declaration; limit 5 min"
        in seen
    )
    assert "❌ *Did we update on schedule?*" in seen and "3 of 3 late" in seen
    assert "the update due 14:07 UTC came 2 min late" in seen and "the update due 14:24 UTC came 10 min late" in seen
    assert "the update due 14:49 UTC came 15 min late" in seen
    assert "✅ *Did the resolved post include a cause and a timeline?*" in seen
    assert "❌ *Did we send a customer email within 2 h?*\n      not marked sent by 17:04 UTC, the deadline" in seen
    assert (
        "❌ *Did we offer credits for SLA violations?*\n      not offered by 17:04 UTC; "
        "owed: 1 h 2 min at P1 against the P1 SLA of 30 min" in seen
    )
    assert "⏳ *Will we publish a postmortem?*\n      not linked yet; expected by 2026-11-23 15:04 UTC" in seen
    assert "Updates on time: *0 of 3 (0%)*" in seen and "Time to customer email: *not sent*" in seen


def test_audit_mistakes_are_explained(warroom: Harness) -> None:
    warroom.command("audit INC-99", response="missing")
    assert "There is no incident “INC-99”" in warroom.fake.wait_response("missing")[0].text
    warroom.command("audit", channel=OTHER_ROOM, response="none")
    assert "This channel has no incident" in warroom.fake.wait_response("none")[0].text


def test_the_timeline_is_posted_and_attached_as_markdown(warroom: Harness) -> None:
    _well_handled(warroom)

    warroom.command("timeline", response="timeline")

    assert "on its way here" in warroom.fake.wait_response("timeline")[0].text
    [posted] = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "Timeline of" in c.text)
    text = posted.text
    for phrase in (
        "declared P1 · Full outage: Checkout API returning 500s",
        f"<@{LEAD}> named <@{DANA}> the communicator",
        "drafted an update",
        "approved (investigating)",
        "resolved it; cause: A configuration change",
        "drafted the customer email",
    ):
        assert phrase in text
    assert "2026-11-22 14:02:00 · " in text
    [upload] = warroom.fake.wait_for("upload")
    assert upload.params["content"].startswith("# INC-1 timeline: Checkout API returning 500s")
    assert "| When | What |" in upload.params["content"]
    assert f"{LEAD} named {DANA} the communicator" in upload.params["content"], "plain IDs in the file"
    [complete] = warroom.fake.wait_for("files.completeUploadExternal")
    assert complete.params["channel_id"] == WAR_ROOM


def test_an_open_incident_leaves_the_questions_only_resolution_can_answer_pending(warroom: Harness) -> None:
    followups.named(warroom, "P2 Search is slow")
    warroom.clock.advance(minutes=3)
    approve(warroom, warroom.entries()[0].id or 0, by=DANA, response="first")
    warroom.clock.advance(minutes=10)

    warroom.command("audit", response="audit")

    seen = warroom.fake.wait_response("audit")[0].text
    assert "✅ *Did we post an “Investigating” update within 5 min?*\n      posted 3 min after declaration" in seen
    assert "⏳ *Did the resolved post include a cause and a timeline?*\n      the incident is still open" in seen
    assert "⏳ *Did we send a customer email within 2 h?*\n      due within 2 h of resolution; the incident is" in seen
    credits = "✅ *Did we offer credits for SLA violations?*\n      not owed: 13 min at P2 against the P2 SLA of 4 h"
    assert credits in seen
    assert "Trust audit for INC-1: 3 of 6, 3 not yet due" in seen
    assert "Duration: *13 min so far*" in seen


def test_the_timeline_only_ever_goes_to_the_war_room(warroom: Harness) -> None:
    followups.named(warroom)

    warroom.command("timeline INC-1", channel=MIRROR, user=ERIN, response="elsewhere")

    assert "INC-1's timeline is on its way to its war room" in warroom.fake.wait_response("elsewhere")[0].text
    warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "Timeline of INC-1" in c.text)
    [complete] = warroom.fake.wait_for("files.completeUploadExternal")
    assert complete.params["channel_id"] == WAR_ROOM
    warroom.drain()
    assert not any("Checkout" in str(m["text"]) for m in warroom.fake.messages.get(MIRROR, []))


def test_an_absurd_incident_number_is_a_clear_mistake(warroom: Harness) -> None:
    warroom.command("audit INC-99999999999999999999999", response="huge")
    assert "There is no incident" in warroom.fake.wait_response("huge")[0].text
