"""After the outage, right: the highest severity held decides credits, the audit and the resolved post; the audit
waits for what is not yet due; the customer email reads like a person wrote it; internal identifiers are flagged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.incidents.wording import internal_identifiers
from bot.playbook import CustomerEmail, Playbook, PlaybookError, Wording, load_playbook
from tests.support import followups
from tests.support.fake_slack import Call
from tests.support.feed import approve, click, opened_view, text_values, wait_posted
from tests.support.harness import DANA, LEAD, MIRROR, WAR_ROOM, Harness, running

IMPACT = "Checkout and card payments fail for all customers in the EU"
ACTIONS = ("followup_credits_offered", "followup_credits_not_owed")


@pytest.fixture
def driven(database_url: str) -> Iterator[Harness]:
    """Warroom without background workers: the test ticks the scheduler and drains the outbox itself."""
    with running(database_url, background=False) as harness:
        yield harness


@pytest.fixture
def signed(database_url: str) -> Iterator[Harness]:
    """Warroom with a reply-to address in the playbook, and Dana's profile naming her and her title."""
    playbook = load_playbook()
    playbook = playbook.model_copy(
        update={
            "customer_email": CustomerEmail(
                reply_to="support@example.com", remind_before=playbook.customer_email.remind_before
            )
        }
    )
    with running(database_url, playbook=playbook) as harness:
        user = harness.fake.users[DANA]
        user["name"], user["real_name"] = "dana.w", "Dana Whitfield"
        user["profile"].update(display_name="dana.w", real_name="Dana Whitfield", title="Head of Support")
        yield harness


def _audit_in_war_room(warroom: Harness, where: str = "Trust audit for INC-1") -> str:
    if not warroom.background:
        warroom.drain()
    posted = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: where in c.text)
    updates = warroom.fake.received("chat.update", channel=WAR_ROOM, where=lambda c: "Trust audit for" in c.text)
    return (updates or posted)[-1].text


def _email_saying(warroom: Harness, words: str) -> str | None:
    """The drafted email as shown now, once it says `words`."""
    shown = followups.email(warroom)
    return shown if words in shown else None


def _email_only(shown: str) -> str:
    """The email itself: the text between the code fences of the message that shows it."""
    match = re.search(r"```\n(.*)\n```", shown, flags=re.DOTALL)
    assert match, shown
    return match.group(1)


# -- the highest severity held ------------------------------------------------------------------------------


def test_a_p1_breach_lowered_to_p2_still_owes_credits_posts_the_audit_and_resolves_as_p1(warroom: Harness) -> None:
    followups.named(warroom)  # P1 declared 14:02; the P1 SLA is 30 min
    followups.first_update(warroom)
    warroom.clock.advance(minutes=43)  # 14:47: 45 min at P1
    warroom.command("severity P2", response="lowered")
    warroom.wait_until(lambda: warroom.events("severity_changed"))
    followups.resolve(warroom, minutes=23)  # 15:10, 23 min at P2: far inside P2's 4 h

    checklist = followups.checklist(warroom)
    assert "*Credits:* *owed: 45 min at P1 against the P1 SLA of 30 min*" in checklist
    assert all(action in checklist for action in ACTIONS), "owed: a decision exists, so its buttons are there"
    resolved = [m for m in warroom.fake.messages[MIRROR] if "Resolved" in str(m["text"])]
    assert resolved and "P1 Full outage at its worst, P2 at the end · Resolved" in str(resolved[-1]["text"]), (
        "the highest severity held, and the one it ended at"
    )
    audit = _audit_in_war_room(warroom)
    assert (
        "⏳ *Did we offer credits for SLA violations?*\n      owed: 45 min at P1 against the P1 SLA of 30 min" in audit
    )
    email = _email_only(followups.email(warroom))
    assert "This outage broke our service commitment to you, so our service credit policy applies to you." in email
    assert "P2" not in email and "Partial degradation" not in email, "never the internal severity label"


def test_nothing_owed_shows_the_figures_and_no_buttons(warroom: Harness) -> None:
    followups.named(warroom, "P2 Search is slow")
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=38)  # 40 min in all, against P2's 4 h

    checklist = followups.checklist(warroom)
    assert "*Credits:* not owed: 40 min at P2 against the P2 SLA of 4 h. Nothing to offer." in checklist
    assert not any(action in checklist for action in ACTIONS)
    warroom.drain()
    assert warroom.fake.received("chat.postMessage", where=lambda c: "Trust audit" in c.text) == [], "P2 only"

    click(warroom, "followup_credits_offered", 1, by=DANA, response="stale")
    assert "There is nothing to decide for INC-1's credits: not owed: 40 min at P2" in (
        warroom.fake.wait_response("stale")[0].text
    )
    assert warroom.events("credits_decided") == []


def test_a_severity_without_an_sla_says_so(warroom: Harness) -> None:
    followups.named(warroom, "P3 Search is slow for some users")
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=40)

    checklist = followups.checklist(warroom)
    assert "*Credits:* no SLA for P3. Nothing to offer." in checklist
    assert not any(action in checklist for action in ACTIONS)


# -- the audit's three states -------------------------------------------------------------------------------


def _handled_p1(warroom: Harness) -> None:
    followups.named(warroom)
    followups.first_update(warroom)
    for n in range(4):
        followups.update(warroom, f"We continue to work on card payments, update {n}.", minutes=14, response=f"u{n}")
    followups.resolve(warroom, minutes=10)  # 15:10; the email and the credits are due by 17:10


def _failed_email_audits(warroom: Harness) -> list[Call]:
    return warroom.fake.received("chat.update", where=lambda c: "❌ *Did we send a customer email" in c.text)


def test_the_audit_waits_for_what_is_not_yet_due_then_fails_it_at_the_deadline(driven: Harness) -> None:
    _handled_p1(driven)

    audit = _audit_in_war_room(driven)
    assert "Trust audit for INC-1: 3 of 6, 3 not yet due" in audit
    assert "⏳ *Did we send a customer email within 2 h?*\n      not sent yet; due by 17:10 UTC" in audit
    assert "⏳ *Did we offer credits for SLA violations?*\n      owed: 1 h 8 min at P1" in audit
    assert "offer them by 17:10 UTC" in audit
    assert "❌" not in audit, "nothing is failed before it is due"
    driven.clock.advance(hours=1, minutes=59)  # 17:09
    driven.tick()
    assert _failed_email_audits(driven) == [], "not before the deadline"

    driven.clock.advance(minutes=2)  # 17:11: the deadline passed; the tick settles the audit
    driven.tick()
    [settled] = _failed_email_audits(driven)
    assert settled.channel == WAR_ROOM
    assert "❌ *Did we send a customer email within 2 h?*\n      not marked sent by 17:10 UTC, the deadline" in (
        settled.text
    )
    assert "❌ *Did we offer credits for SLA violations?*\n      not offered by 17:10 UTC; owed: 1 h 8 min" in (
        settled.text
    )
    assert "Trust audit for INC-1: 3 of 6, 1 not yet due" in settled.text, "the postmortem link is due by tomorrow"
    assert driven.incidents()[0].audit_settled_at is not None
    checklist = followups.checklist(driven)
    assert "it was due by 17:10 UTC: send it now" in checklist
    assert "They were due by 17:10 UTC: offer them now" in checklist

    driven.tick()
    driven.clock.advance(minutes=5)
    driven.tick()
    assert _failed_email_audits(driven) == [settled], "settled once"

    driven.clock.advance(hours=22)  # the first postmortem reminder: a missing link stops being pending
    driven.tick()
    [late] = driven.fake.received("chat.update", channel=WAR_ROOM, where=lambda c: "❌ *Will we publish" in c.text)
    assert "Trust audit for INC-1: 3 of 6" in late.text and "not yet due" not in late.text


def test_done_before_the_deadline_settles_to_passed(warroom: Harness) -> None:
    _handled_p1(warroom)
    warroom.clock.advance(minutes=20)  # 15:30
    followups.write_prevention(warroom)
    click(warroom, "followup_email_sent", 1, by=DANA, response="sent")
    click(warroom, "followup_credits_offered", 1, by=DANA, response="offered")
    warroom.wait_until(lambda: warroom.events("email_sent") and warroom.events("credits_decided"))

    def settled() -> str | None:
        audit = _audit_in_war_room(warroom)
        return audit if "✅ *Did we offer credits" in audit and "✅ *Did we send" in audit else None

    audit = warroom.wait_until(settled)
    assert "✅ *Did we send a customer email within 2 h?*\n      sent 20 min after resolution; limit 2 h" in audit
    assert "✅ *Did we offer credits for SLA violations?*\n      offered; owed: 1 h 8 min at P1" in audit
    assert "Trust audit for INC-1: 5 of 6, 1 not yet due" in audit


# -- the customer email -------------------------------------------------------------------------------------


def test_the_customer_email_reads_like_a_person_wrote_it(signed: Harness) -> None:
    warroom = signed
    followups.named(warroom)
    warroom.command(f"impact {IMPACT}", user=DANA, response="impact")
    warroom.wait_until(lambda: warroom.incidents()[0].impact)
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=66)  # 15:10

    shown = followups.email(warroom)
    assert "```" in shown, "shown in a code block, to copy verbatim"
    email = _email_only(shown)
    assert email.startswith(
        "Subject: What happened on Sunday 22 November, and what we are doing about it\n"
        "Reply-To: support@example.com\n\nDear customer,\n\n"
    )
    assert "Hello," not in email
    assert "*" not in email, "plain text: no Slack mrkdwn in a customer's inbox"
    assert (
        "On Sunday 22 November, from 14:02 UTC to 15:10 UTC (1 h 8 min), our service was disrupted. "
        "We are sorry for the trouble this caused you.\n\n"
        f"What was affected: {IMPACT}.\n\nWhat happened: "
    ) in email, "the impact line once, labelled, after an intro in the past tense"
    assert email.count(IMPACT) == 1, "the impact line is not repeated"
    assert "Who was affected" not in email
    assert not re.search(r"if you (or your customers )?were affected", email, re.IGNORECASE), "no conditions"
    assert "Full outage" not in email and "P1" not in email
    resolution = next(e for e in warroom.entries() if e.kind == "resolution")
    assert resolution.text.startswith("Service is fully restored. We are sorry")
    assert "What we fixed: Service is fully restored.\n" in email, "the resolved post's words, less its apology"
    assert email.count("sorry") == 1, "one apology, not two"
    assert "What we are doing to prevent it: [Write one sentence on what you are changing" in email
    assert "replies come to support@example.com" in email
    assert email.endswith("Kind regards,\nDana Whitfield\nHead of Support")
    assert "dana.w" not in email, "the real name, never the handle"


def test_mark_sent_is_refused_until_the_prevention_sentence_replaces_the_placeholder(signed: Harness) -> None:
    warroom = signed
    followups.named(warroom)
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=66)
    [posted] = warroom.fake.wait_for(
        "chat.postMessage", channel=WAR_ROOM, where=lambda c: "customer email for" in c.text
    )
    assert "Write prevention sentence" in followups.checklist(warroom)

    click(warroom, "followup_email_sent", 1, by=DANA, response="too_soon")
    refusal = warroom.fake.wait_response("too_soon")[0]
    assert "customer email still says “[Write one sentence" in refusal.text
    assert "Press *Write prevention sentence*" in refusal.text
    assert refusal.params.get("response_type", "ephemeral") == "ephemeral"
    assert warroom.incidents()[0].email_sent_at is None

    click(warroom, "followup_email_prevention", 1, by=DANA, response="open")
    view = opened_view(warroom)
    assert view["callback_id"] == "email_prevention"
    empty = {"prevention": {"prevention_input": {"type": "plain_text_input", "value": "   "}}}
    errors = warroom.slack.view_submission(user=DANA, view=view, values=empty).json()["errors"]
    assert "Write what you are changing" in errors["prevention"]
    full = {"prevention": {"prevention_input": {"type": "plain_text_input", "value": followups.PREVENTION}}}
    assert warroom.slack.view_submission(user=DANA, view=view, values=full).status == 200

    updated = warroom.wait_until(lambda: _email_saying(warroom, followups.PREVENTION))
    assert f"What we are doing to prevent it: {followups.PREVENTION}" in _email_only(updated)
    assert "[Write one sentence" not in updated
    edits = warroom.fake.received("chat.update", channel=WAR_ROOM, where=lambda c: followups.PREVENTION in c.text)
    assert edits[-1].params["ts"] == posted.params.get("ts") or any(
        m.get("ts") == edits[-1].params["ts"] for m in warroom.fake.messages.get(WAR_ROOM, [])
    ), "the email is updated in place"
    assert warroom.incidents()[0].email_prevention == followups.PREVENTION
    click(warroom, "followup_email_sent", 1, by=DANA, response="sent")
    warroom.wait_until(lambda: warroom.incidents()[0].email_sent_at)


def test_correcting_the_cause_before_sending_rewrites_the_email(warroom: Harness) -> None:
    followups.named(warroom)
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=66, cause="A configuration change exhausted the pool.")
    followups.email(warroom)
    resolution = next(e for e in warroom.entries() if e.kind == "resolution")

    click(warroom, "entry_correct", resolution.id or 0, by=DANA, response="correct")
    view = opened_view(warroom)
    cause = "A configuration change at 14:00 left too few connections for checkout & <EU> payments."
    warroom.slack.view_submission(user=DANA, view=view, values=text_values(resolution.text, cause=cause))

    shown = "too few connections for checkout &amp; &lt;EU&gt; payments."
    email = warroom.wait_until(lambda: _email_saying(warroom, shown))
    assert f"What happened: A configuration change at 14:00 left {shown}" in _email_only(email), "escaped for Slack"
    assert f"What happened: {cause}" in (warroom.incidents()[0].email_text or ""), "the email itself stays plain"


def test_reply_to_must_be_a_real_address(tmp_path: Path) -> None:
    for bad, reason in (("support", "is not an email address"), ("noreply@example.com", "noreply")):
        path = tmp_path / f"{reason[:5]}.yml"
        path.write_text(f"severities: {{P1: {{label: Outage, cadence: 15m}}}}\ncustomer_email: {{reply_to: '{bad}'}}\n")
        with pytest.raises(PlaybookError, match=rf"customer_email\.reply_to: .*{reason}"):
            load_playbook(path)
    assert Playbook.model_validate({"severities": {"P1": {"label": "x", "cadence": "1m"}}}).customer_email.greeting == (
        "Dear customer,"
    )


# -- the cause is written for customers ---------------------------------------------------------------------


def test_internal_identifiers_in_the_cause_and_entries_are_flagged(warroom: Harness) -> None:
    followups.named(warroom)
    warroom.command("update Payments fail since deploy #4512; commit 3f2a9c1d is being rolled back on db-prod-03.")
    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    card = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "deploy #4512" in c.text)[
        -1
    ].everything
    assert "Internal identifier (a deploy or release number): “deploy #4512” means nothing to customers." in card
    assert "Internal identifier (a commit hash): “3f2a9c1d”" in card
    assert "Internal identifier (a server name): “db-prod-03”" in card
    assert "“the payments database”" in card, "says what to write instead"
    approve(warroom, entry.id or 0, by=DANA, response="still_allowed")  # a warning, never a block
    wait_posted(warroom, entry.id or 0)

    warroom.command("resolve Release 2026.11.3 overloaded 10.0.3.12 (see JIRA-123 and INC-1).", response="resolve")
    resolution = warroom.fake.wait_for(
        "chat.postMessage", channel=WAR_ROOM, where=lambda c: "Resolution for INC-1" in c.text
    )[-1].everything
    assert "In the cause: Internal identifier (a deploy or release number): “Release 2026.11.3”" in resolution
    assert "In the cause: Internal identifier (an IP address): “10.0.3.12”" in resolution
    assert "In the cause: Internal identifier (a ticket ID): “JIRA-123” means nothing to customers." in resolution
    assert "“INC-1”" not in resolution, "INC-n is our public reference"
    assert LEAD  # the lead drafted it; the communicator sees the warning before approving


def test_the_identifier_check_leaves_customers_words_alone() -> None:
    ordinary = "Checkout failed for EU customers from 14:02 UTC (see INC-12); SHA-256 and UTF-8 are unaffected."
    assert internal_identifiers(ordinary, Wording()) == []
    flagged = internal_identifiers("PR #881 on web-7 and pay.svc.internal (OPS-4411), build 9912.", Wording())
    assert [warning.split(":")[0] for warning in flagged] == [
        "Internal identifier (a deploy or release number)",
        "Internal identifier (a server name)",
        "Internal identifier (a ticket ID)",
    ]
    assert "“PR #881”, “build 9912”" in flagged[0] and "“web-7”, “pay.svc.internal”" in flagged[1]


def test_internal_identifiers_that_reach_the_customer_email_are_flagged_until_corrected(warroom: Harness) -> None:
    followups.named(warroom)
    followups.first_update(warroom)
    followups.resolve(
        warroom, minutes=66, cause="A faulty deploy #4512 overloaded db-prod-03."
    )  # approved: warned, not blocked
    deploy = "Internal identifier (a deploy or release number): “deploy #4512” means nothing to customers."
    fix = "Correct the resolved entry's cause (its *Correct* button) before you send."

    shown = followups.email(warroom)
    intro = shown.split("```")[0]
    assert f":warning: In the cause: {deploy}" in intro, "on the drafted email, before anyone copies it"
    assert "In the cause: Internal identifier (a server name): “db-prod-03”" in intro
    assert fix in intro
    assert "deploy #4512" in _email_only(shown), "warned, never rewritten behind the communicator's back"
    checklist = followups.checklist(warroom)
    assert f":warning: In the cause: {deploy}" in checklist and fix in checklist, "on the checklist's email line"

    click(warroom, "followup_email_sent", 1, by=DANA, response="too_soon")
    refusal = warroom.fake.wait_response("too_soon")[0].text
    assert "still says “[Write one sentence" in refusal
    assert f":warning: In the cause: {deploy}" in refusal, "the refusal names everything to fix before sending"
    assert refusal.count(fix) == 2, "the deploy and the server, each with how to fix it"

    followups.write_prevention(warroom, "We now test every release against peak load before it reaches web-7.")
    server = "In the prevention sentence: Internal identifier (a server name): “web-7” means nothing to customers."
    warroom.wait_until(lambda: server in followups.email(warroom).split("```")[0])
    assert "Press *Change prevention sentence* first." in followups.email(warroom)

    resolution = next(e for e in warroom.entries() if e.kind == "resolution")
    click(warroom, "entry_correct", resolution.id or 0, by=DANA, response="correct")
    cause = "A faulty release overloaded the payments database."
    warroom.slack.view_submission(
        user=DANA, view=opened_view(warroom, 2), values=text_values(resolution.text, cause=cause)
    )
    warroom.wait_until(lambda: _email_saying(warroom, cause))
    warroom.wait_until(lambda: "deploy #4512" not in followups.checklist(warroom))
    assert "deploy #4512" not in followups.email(warroom) and "db-prod-03" not in followups.email(warroom)
    assert server in followups.checklist(warroom), "what is still flagged stays on the checklist"

    click(warroom, "followup_email_sent", 1, by=DANA, response="sent")
    note = warroom.fake.wait_response("sent")[0]
    assert note.params.get("response_type") == "ephemeral"
    assert "Marked INC-1's customer email as sent. The wording check still flags what it said:" in note.text
    assert f":warning: {server}" in note.text
    assert "Change prevention sentence" not in note.text, "no advice to fix what already went out"
    assert "answer in words they know" in note.text
    assert warroom.incidents()[0].email_sent_at is not None, "a warning, never a block"
    sent = warroom.wait_until(
        lambda: followups.checklist(warroom) if "✅ *Customer email:* sent" in followups.checklist(warroom) else None
    )
    assert "web-7" not in sent, "nothing left to fix once it is sent"


def test_a_clean_email_is_marked_sent_without_a_note(signed: Harness) -> None:
    warroom = signed
    followups.named(warroom)
    followups.first_update(warroom)
    followups.resolve(warroom, minutes=66)
    followups.write_prevention(warroom)
    assert ":warning:" not in followups.email(warroom) and ":warning:" not in followups.checklist(warroom)

    click(warroom, "followup_email_sent", 1, by=DANA, response="sent")
    warroom.wait_until(lambda: warroom.incidents()[0].email_sent_at)
    warroom.wait_until(lambda: "✅ *Customer email:* sent" in followups.checklist(warroom))
    warroom.drain()
    assert warroom.fake.responses("sent") == [], "the checklist's ✅ is the confirmation: nothing to warn about"
