"""The communicator's flow: stale drafts are superseded, a rejection carries its reason, and the war room stays quiet.

Drafts, reminders and follow-ups go into the thread under the incident card; the channel itself shows only what
the whole room must see. Everything is driven through Slack's requests and read back from the fake Slack.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.fake_slack import Call
from tests.support.feed import approve, click, opened_view, wait_posted
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, WAR_ROOM, Harness, running


@pytest.fixture
def driven(database_url: str) -> Iterator[Harness]:
    """Warroom without background workers: the test ticks the scheduler and drains the outbox itself."""
    with running(database_url, background=False) as harness:
        yield harness


def _named(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")  # 14:02; the automatic Investigating draft is entry 1
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)


def _draft(warroom: Harness, text: str, *, by: str = ERIN, command: str = "update") -> int:
    before = len(warroom.entries())
    warroom.command(f"{command} {text}", user=by, response=f"draft-{before}")
    return warroom.wait_until(lambda: warroom.entries()[before:])[0].id or 0


def _current(warroom: Harness, channel: str, key: str) -> Call | None:
    """The latest version of a keyed message in `channel`: its last update, or the post itself."""
    ts = warroom.fake.ts_of(channel, key)
    if ts is None:
        return None
    updates = warroom.fake.received("chat.update", channel=channel, ts=ts)
    if updates:
        return updates[-1]
    where = lambda c: (c.params.get("metadata") or {}).get("event_payload", {}).get("key") == key  # noqa: E731
    return warroom.fake.received("chat.postMessage", where=where)[-1]


def _shows(warroom: Harness, channel: str, key: str, phrase: str) -> Call:
    """Wait until the keyed message in `channel` reads `phrase`; return that version."""

    def found() -> Call | None:
        call = _current(warroom, channel, key)
        return call if call is not None and phrase in call.everything else None

    return warroom.wait_until(found)


def _buttons(call: Call) -> list[str]:
    return [e["action_id"] for b in call.blocks if b["type"] == "actions" for e in b["elements"]]


def _to(warroom: Harness, hhmm: str) -> None:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    target = warroom.clock.now().replace(hour=hours, minute=minutes, second=0)
    warroom.clock.advance(seconds=(target - warroom.clock.now()).total_seconds())


def _keys_in(warroom: Harness, channel: str) -> list[str]:
    """The keys of the messages in `channel`, in order ('' for an unkeyed one)."""
    return [
        str(((m.get("metadata") or {}).get("event_payload") or {}).get("key", ""))
        for m in warroom.fake.messages.get(channel, [])
    ]


def _mirror_keys(warroom: Harness) -> list[str]:
    return _keys_in(warroom, MIRROR)


# -- superseded drafts -------------------------------------------------------------------------------------------


def test_a_newer_approved_update_supersedes_older_drafts_everywhere(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    _shows(warroom, warroom.fake.dm_channel(DANA), f"entry:{automatic}:dm:{DANA}", "waiting for your approval")
    older = _draft(warroom, "Card payments fail for some customers.")
    _to(warroom, "14:10")
    newer = _draft(warroom, "identified: A faulty deploy broke card payments; we are rolling it back.")

    approve(warroom, newer, by=DANA)
    wait_posted(warroom, newer)

    entries = {entry.id: entry for entry in warroom.entries()}
    for stale in (automatic, older):
        assert (entries[stale].state, entries[stale].superseded_by) == ("superseded", newer)
        card = _shows(warroom, WAR_ROOM, f"entry:{stale}:draft", "Superseded by the 14:10 UTC update")
        assert f"approved by <@{DANA}>" in card.everything and _buttons(card) == []
        copy = _shows(warroom, warroom.fake.dm_channel(DANA), f"entry:{stale}:dm:{DANA}", "has been superseded")
        assert "Superseded by the 14:10 UTC update" in copy.everything and _buttons(copy) == []
    lead_copy = _shows(warroom, warroom.fake.dm_channel(LEAD), f"entry:{automatic}:dm:{LEAD}", "superseded")
    assert _buttons(lead_copy) == []
    assert sorted(e.data["entry"] for e in warroom.events("superseded")) == [automatic, older]
    assert {e.data["superseded_by"] for e in warroom.events("superseded")} == {newer}
    warroom.command("timeline", user=DANA, response="timeline")
    story = warroom.fake.wait_for("chat.postMessage", where=lambda c: "Timeline of INC-1" in c.text)[0].text
    assert story.count(f"<@{DANA}> marked a draft superseded: a newer entry was approved") == 2

    for action, stale in (("entry_approve", automatic), ("entry_edit", older), ("entry_reject", older)):
        click(warroom, action, stale, by=DANA, response=f"late-{action}")
        [refusal] = warroom.fake.wait_response(f"late-{action}")
        assert refusal.params["response_type"] == "ephemeral"
        assert f"This draft was superseded at 14:10 UTC, when <@{DANA}> approved a newer update" in refusal.text
        assert "draft it with `/incident update &lt;text&gt;`" in refusal.text
    warroom.drain()
    assert warroom.fake.received("views.open") == [], "no modal opens on a superseded draft"
    assert [key for key in _mirror_keys(warroom) if key.startswith("entry:")] == [f"entry:{newer}:mirror"]
    assert not any("for some customers" in str(m["text"]) for m in warroom.fake.messages[MIRROR])
    assert [e.data["entry"] for e in warroom.events("approved")] == [newer]


def test_the_automatic_investigating_draft_cannot_be_approved_after_an_identified_entry(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    identified = _draft(warroom, "identified: A faulty deploy broke card payments; we are rolling it back.", by=DANA)
    approve(warroom, identified, by=DANA)
    wait_posted(warroom, identified)

    reply = warroom.slack.block_action(  # from Dana's DM copy, which she may still have open
        user=DANA,
        channel=warroom.fake.dm_channel(DANA),
        response="from-dm",
        action={"type": "button", "action_id": "entry_approve", "value": str(automatic), "block_id": "x"},
    )

    assert reply.status == 200
    assert "superseded" in warroom.fake.wait_response("from-dm")[0].text
    warroom.drain()
    assert warroom.incidents()[0].status == "identified"
    assert f"entry:{automatic}:mirror" not in _mirror_keys(warroom)
    assert not any("investigating a full outage" in str(m["text"]) for m in warroom.fake.messages[MIRROR])


def test_resolving_supersedes_every_pending_draft(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    update = _draft(warroom, "Card payments fail for some customers.")
    resolution = _draft(warroom, "A faulty deploy; rolled back at 15:05.", by=DANA, command="resolve")
    after = _draft(warroom, "monitoring: Payments recover; we are watching.")
    _to(warroom, "15:10")

    approve(warroom, resolution, by=DANA)
    wait_posted(warroom, resolution)

    states = {entry.id: (entry.state, entry.superseded_by) for entry in warroom.entries()}
    assert states == {
        automatic: ("superseded", resolution),
        update: ("superseded", resolution),
        resolution: ("approved", None),
        after: ("superseded", resolution),
    }, "every pending draft, the newer one too"
    for stale in (automatic, update, after):
        card = _shows(warroom, WAR_ROOM, f"entry:{stale}:draft", "Superseded by the 15:10 UTC resolution")
        assert _buttons(card) == []
        copy = _shows(warroom, warroom.fake.dm_channel(DANA), f"entry:{stale}:dm:{DANA}", "has been superseded")
        assert "Superseded by the 15:10 UTC resolution" in copy.everything and _buttons(copy) == []
    approve(warroom, after, by=DANA, response="after")
    refusal = warroom.fake.wait_response("after")[0].text
    assert f"superseded at 15:10 UTC, when <@{DANA}> approved the resolution" in refusal
    assert "INC-1 is resolved." in refusal
    warroom.drain()
    assert [key for key in _mirror_keys(warroom) if key.startswith("entry:")] == [f"entry:{resolution}:mirror"]


def test_a_communicator_named_later_takes_the_buttons_from_the_leads_copy(warroom: Harness) -> None:
    warroom.declare()
    automatic = warroom.entries()[0].id or 0
    lead_dm = warroom.fake.dm_channel(LEAD)
    assert _buttons(_shows(warroom, lead_dm, f"entry:{automatic}:dm:{LEAD}", "waiting for your approval"))

    warroom.command(f"communicator <@{DANA}|dana>")

    copy = _shows(warroom, lead_dm, f"entry:{automatic}:dm:{LEAD}", "is now for")
    assert f"now for <@{DANA}> to approve" in copy.text and "no longer need to act" in copy.text
    assert _buttons(copy) == []
    assert f"<@{DANA}> approves INC-1's updates now" in copy.everything
    dana = _shows(warroom, warroom.fake.dm_channel(DANA), f"entry:{automatic}:dm:{DANA}", "waiting for your approval")
    assert _buttons(dana) == ["entry_approve", "entry_edit", "entry_reject"]


def _at_once(*requests: Any) -> None:
    """Send requests at the same moment, as a double-clicking person's browser does."""
    start = threading.Barrier(len(requests))

    def send(request: Any) -> None:
        start.wait()
        request()

    threads = [threading.Thread(target=send, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_approvals_of_two_drafts_never_post_a_superseded_one(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    resolution = _draft(warroom, "A faulty deploy; rolled back.", by=DANA, command="resolve")
    newer = _draft(warroom, "monitoring: Payments recover; we are watching.")

    _at_once(
        lambda: click(warroom, "entry_approve", resolution, by=DANA, response="resolution"),
        lambda: click(warroom, "entry_approve", newer, by=DANA, response="newer"),
    )

    answers = [warroom.fake.wait_response("resolution")[0].text, warroom.fake.wait_response("newer")[0].text]
    assert sum(text.startswith("Approved") for text in answers) == 1, answers
    assert sum("This draft was superseded" in text for text in answers) == 1, answers
    states = {entry.id or 0: entry.state for entry in warroom.entries()}
    [approved] = [entry_id for entry_id, state in states.items() if state == "approved"]
    assert states[automatic] == "superseded"
    assert sorted(states.values()) == ["approved", "superseded", "superseded"]
    wait_posted(warroom, approved)
    warroom.drain()
    assert [key for key in _mirror_keys(warroom) if key.startswith("entry:")] == [f"entry:{approved}:mirror"]
    assert len(warroom.events("approved")) == 1


def test_a_double_click_on_two_drafts_approves_them_in_click_order(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    newer = _draft(warroom, "Card payments fail for all customers since 14:02 UTC.")

    click(warroom, "entry_approve", newer, by=DANA, response="newer")
    warroom.fake.wait_response("newer")
    click(warroom, "entry_approve", automatic, by=DANA, response="older")

    assert "This draft was superseded" in warroom.fake.wait_response("older")[0].text
    warroom.drain()
    assert [key for key in _mirror_keys(warroom) if key.startswith("entry:")] == [f"entry:{newer}:mirror"]


# -- no copies of one's own drafts ---------------------------------------------------------------------------


def _dm_keys(warroom: Harness, person: str) -> set[str]:
    """The keys of the keyed messages a person was sent by DM."""
    return {key for key in _keys_in(warroom, warroom.fake.dm_channel(person)) if key}


def test_the_communicator_gets_no_dm_copy_of_her_own_draft(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    own = _draft(warroom, "Card payments fail for some customers.", by=DANA)
    erins = _draft(warroom, "identified: A faulty deploy broke card payments.", by=ERIN)
    resolution = _draft(warroom, "A faulty deploy; rolled back.", by=DANA, command="resolve")
    warroom.drain()
    cards = {key for key in _keys_in(warroom, WAR_ROOM) if key.endswith(":draft")}
    assert {f"entry:{e}:draft" for e in (own, erins, resolution)} <= cards, "every draft still gets its card"

    copies = {key for key in _dm_keys(warroom, DANA) if key.startswith("entry:")}
    assert copies == {f"entry:{automatic}:dm:{DANA}", f"entry:{erins}:dm:{DANA}"}, "none of the two she wrote"
    assert not any(f"entry:{own}:" in key or f"entry:{resolution}:" in key for key in _dm_keys(warroom, LEAD))

    approve(warroom, own, by=DANA, response="own")  # her own draft, from its card: nothing to update by DM
    wait_posted(warroom, own)
    _shows(warroom, WAR_ROOM, f"entry:{own}:draft", "Approved by")
    warroom.drain()
    assert not any(f"entry:{own}:" in key for key in _dm_keys(warroom, DANA))


def test_the_lead_gets_no_copy_of_his_own_draft_and_a_communicator_named_later_gets_the_others(
    warroom: Harness,
) -> None:
    warroom.declare("P1 Checkout API returning 500s")  # the lead approves until a communicator is named
    automatic = warroom.entries()[0].id or 0
    leads = _draft(warroom, "identified: A faulty deploy broke card payments.", by=LEAD)
    danas = _draft(warroom, "Card payments fail for some customers.", by=DANA)
    warroom.drain()
    assert {key for key in _dm_keys(warroom, LEAD) if key.startswith("entry:")} == {
        f"entry:{automatic}:dm:{LEAD}",
        f"entry:{danas}:dm:{LEAD}",
    }, "the automatic draft and Dana's, not the one the lead just wrote"

    warroom.command(f"communicator <@{DANA}|dana>")

    dana_dm = warroom.fake.dm_channel(DANA)
    for entry_id in (automatic, leads):  # Warroom's draft and the lead's: hers to approve now
        copy = _shows(warroom, dana_dm, f"entry:{entry_id}:dm:{DANA}", "waiting for your approval")
        assert _buttons(copy) == ["entry_approve", "entry_edit", "entry_reject"]
    lead_copy = _shows(warroom, warroom.fake.dm_channel(LEAD), f"entry:{danas}:dm:{LEAD}", "is now for")
    assert _buttons(lead_copy) == []
    warroom.drain()
    assert f"entry:{danas}:dm:{DANA}" not in _dm_keys(warroom, DANA), "she wrote it: its card is enough"
    assert f"entry:{leads}:dm:{LEAD}" not in _dm_keys(warroom, LEAD)


# -- draft cards say what they do ------------------------------------------------------------------------------


def _headline(call: Call) -> str:
    return call.text.splitlines()[0]


def test_a_draft_card_says_what_it_does_and_never_takes_a_later_status(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    approve(warroom, automatic, by=DANA, response="first")
    wait_posted(warroom, automatic)
    first = _shows(warroom, WAR_ROOM, f"entry:{automatic}:draft", "Approved by")
    assert _headline(first).startswith("*Draft update for INC-1* · P1 · drafted by Warroom"), _headline(first)
    _to(warroom, "14:05")
    plain = _draft(warroom, "Card payments fail for some customers.")
    card = _shows(warroom, WAR_ROOM, f"entry:{plain}:draft", "Card payments fail")
    assert _headline(card).startswith(f"*Draft update for INC-1* · P1 · keeps Investigating · drafted by <@{ERIN}>")
    _to(warroom, "14:08")
    identified = _draft(warroom, "identified: A faulty deploy broke card payments.")
    card = _shows(warroom, WAR_ROOM, f"entry:{identified}:draft", "A faulty deploy")
    assert _headline(card).startswith(f"*Draft update for INC-1* · P1 · → Identified · drafted by <@{ERIN}>")

    approve(warroom, identified, by=DANA, response="identified")
    wait_posted(warroom, identified)

    assert warroom.incidents()[0].status == "identified"
    stale = _shows(warroom, WAR_ROOM, f"entry:{plain}:draft", "Superseded by")
    assert _headline(stale).startswith(f"*Draft update for INC-1* · P1 · drafted by <@{ERIN}> at 14:05 UTC")
    assert "Identified" not in _headline(stale) and "Investigating" not in _headline(stale)
    copy = _shows(warroom, warroom.fake.dm_channel(DANA), f"entry:{plain}:dm:{DANA}", "Superseded by")
    assert f"· P1 · drafted by <@{ERIN}> at 14:05 UTC" in copy.text
    done = _shows(warroom, WAR_ROOM, f"entry:{identified}:draft", "Approved by")
    assert " · → Identified · " in _headline(done)
    resolution = _draft(warroom, "A faulty deploy; rolled back.", by=DANA, command="resolve")
    card = _shows(warroom, WAR_ROOM, f"entry:{resolution}:draft", "rolled back")
    assert _headline(card).startswith(f"*Resolution for INC-1* · P1 · → Resolved · drafted by <@{DANA}>")


# -- reminders name the draft that waits -------------------------------------------------------------------------


def _link_to(ts: str) -> str:
    """The permalink block Slack's permalink makes of a war-room message's ts."""
    return f"<https://acme.slack.com/archives/{WAR_ROOM}/p{ts.replace('.', '')}|Open it in the channel>"


def test_the_heads_up_names_the_waiting_draft_and_links_to_its_card(warroom: Harness) -> None:
    _named(warroom)  # the first update is due 14:07
    _to(warroom, "14:03")
    erins = _draft(warroom, "Card payments fail for some customers.")
    card_ts = warroom.wait_until(lambda: warroom.fake.ts_of(WAR_ROOM, f"entry:{erins}:draft"))

    _to(warroom, "14:04")

    [dm] = warroom.fake.wait_for("chat.postMessage", channel=DANA, where=lambda c: "is due by" in c.text)
    assert (
        f"<@{ERIN}>'s draft from 14:03 UTC is waiting for your approval there "
        "(the newest of 2; approving it supersedes the rest)." in dm.text
    )
    assert _link_to(card_ts) in dm.everything
    [button] = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == "reminder_draft_update"


def test_the_overdue_reminder_names_the_waiting_draft_beside_no_new_information(warroom: Harness) -> None:
    _named(warroom)
    _to(warroom, "14:05")
    own = _draft(warroom, "Card payments fail for some customers.", by=DANA)
    card_ts = warroom.wait_until(lambda: warroom.fake.ts_of(WAR_ROOM, f"entry:{own}:draft"))

    _to(warroom, "14:07")

    [dm] = warroom.fake.wait_for("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text)
    assert (
        f"Your draft from 14:05 UTC is waiting for your approval in <#{WAR_ROOM}> (the newest of 2): approve it if "
        "it still holds. Otherwise, if nothing has changed, *No new information* drafts that in one click" in dm.text
    )
    assert _link_to(card_ts) in dm.everything
    [button] = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == "draft_no_new_information"


def test_the_overdue_reminder_names_warroom_s_automatic_draft(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    card_ts = warroom.wait_until(lambda: warroom.fake.ts_of(WAR_ROOM, f"entry:{automatic}:draft"))

    _to(warroom, "14:07")

    [dm] = warroom.fake.wait_for("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text)
    assert f"Warroom's automatic draft from 14:02 UTC is waiting for your approval in <#{WAR_ROOM}>: approve" in (
        dm.text
    )
    assert "newest of" not in dm.text
    assert _link_to(card_ts) in dm.everything


def test_with_no_draft_waiting_the_reminders_say_nothing_of_one(warroom: Harness) -> None:
    _named(warroom)
    approve(warroom, warroom.entries()[0].id or 0, by=DANA, response="first")  # next update due 14:17
    _to(warroom, "14:14")
    [heads_up] = warroom.fake.wait_for("chat.postMessage", channel=DANA, where=lambda c: "is due by" in c.text)
    _to(warroom, "14:17")
    [overdue] = warroom.fake.wait_for("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text)

    assert "waiting for your approval" not in heads_up.text + overdue.text
    assert "If nothing has changed, say so: *No new information* drafts it in one click" in overdue.text
    assert "Open it in the channel" not in heads_up.everything + overdue.everything


# -- rejection with a reason -------------------------------------------------------------------------------------


def _reject(warroom: Harness, entry_id: int, *, reason: str | None, count: int = 1) -> dict[str, Any]:
    click(warroom, "entry_reject", entry_id, by=DANA, response=f"reject-{entry_id}")
    view = opened_view(warroom, count)
    assert view["callback_id"] == "reject_draft"
    reply = warroom.slack.view_submission(
        user=DANA, view=view, values={"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
    )
    assert reply.status == 200 and reply.body == ""
    return view


def test_a_rejection_with_a_reason_tells_the_drafter_and_shows_on_the_card(warroom: Harness) -> None:
    _named(warroom)
    drafted = _draft(warroom, "Payments are broken, <!channel> please stand by.")
    warroom.clock.advance(minutes=3)  # 14:05

    view = _reject(warroom, drafted, reason="Say which payments fail & since when; no <!here> pings.")

    assert "Payments are broken, &lt;!channel&gt; please stand by." in str(view["blocks"]), "the draft, escaped"
    warroom.wait_until(lambda: warroom.entries()[1].state == "rejected")
    entry = warroom.entries()[1]
    assert entry.reason == "Say which payments fail & since when; no <!here> pings."
    [told] = warroom.fake.wait_for("chat.postMessage", channel=ERIN, where=lambda c: "was rejected" in c.text)
    assert (
        f"Your draft for INC-1 was rejected by <@{DANA}>*: “Say which payments fail &amp; since when; "
        "no &lt;!here&gt; pings.”" in told.text
    )
    assert ">Payments are broken, &lt;!channel&gt; please stand by." in told.text
    card = _shows(warroom, WAR_ROOM, f"entry:{drafted}:draft", "Rejected by")
    assert (
        f":x: Rejected by <@{DANA}> at 14:05 UTC · Reason: Say which payments fail &amp; since when" in card.everything
    )
    assert _buttons(card) == []
    [rejected] = warroom.events("rejected")
    assert rejected.data == {"entry": drafted, "reason": entry.reason}
    warroom.command("timeline", user=DANA, response="timeline")
    story = warroom.fake.wait_for("chat.postMessage", where=lambda c: "Timeline of INC-1" in c.text)[0].text
    assert f"<@{DANA}> rejected a draft: Say which payments fail &amp; since when; no &lt;!here&gt; pings." in story

    warroom.slack.view_submission(  # the same modal submitted twice: rejected once, Erin told once
        user=DANA, view=view, values={"reason": {"reason_input": {"type": "plain_text_input", "value": "again"}}}
    )
    warroom.fake.wait_for("chat.postEphemeral", where=lambda c: "already" in c.text or "rejected by" in c.text)
    warroom.drain()
    assert len(warroom.events("rejected")) == 1 and warroom.entries()[1].reason == entry.reason
    assert len(warroom.fake.received("chat.postMessage", channel=ERIN, where=lambda c: "was rejected" in c.text)) == 1


def test_a_rejection_without_a_reason_says_so_and_an_automatic_draft_tells_no_one(warroom: Harness) -> None:
    _named(warroom)
    automatic = warroom.entries()[0].id or 0
    drafted = _draft(warroom, "Card payments fail.")

    _reject(warroom, drafted, reason=None)
    _reject(warroom, automatic, reason="   ", count=2)

    warroom.wait_until(lambda: all(entry.state == "rejected" for entry in warroom.entries()))
    [told] = warroom.fake.wait_for("chat.postMessage", channel=ERIN, where=lambda c: "was rejected" in c.text)
    assert "No reason was given; ask them in <#CWARROOM1>." in told.text
    card = _shows(warroom, WAR_ROOM, f"entry:{automatic}:draft", "Rejected by")
    assert "Reason:" not in card.everything
    assert [entry.reason for entry in warroom.entries()] == [None, None]
    warroom.drain()
    told_anyone = warroom.fake.received("chat.postMessage", where=lambda c: "was rejected" in c.text)
    assert [call.channel for call in told_anyone] == [ERIN], "Warroom drafted the automatic one: nobody to tell"


def test_a_reason_too_long_is_refused_beside_the_field(warroom: Harness) -> None:
    _named(warroom)
    drafted = _draft(warroom, "Card payments fail.")
    click(warroom, "entry_reject", drafted, by=DANA)
    view = opened_view(warroom)
    [reason_block] = [b for b in view["blocks"] if b.get("block_id") == "reason"]
    assert reason_block["optional"] is True and reason_block["element"]["max_length"] == 300

    reply = warroom.slack.view_submission(
        user=DANA, view=view, values={"reason": {"reason_input": {"type": "plain_text_input", "value": "x" * 301}}}
    )

    assert reply.json() == {"response_action": "errors", "errors": {"reason": "Keep the reason to 300 characters."}}
    warroom.drain()
    assert warroom.entries()[1].state == "draft"


# -- less noise in the war room ----------------------------------------------------------------------------------


def test_a_whole_incident_keeps_the_channel_to_what_the_room_must_see(driven: Harness) -> None:
    warroom = driven
    incident = warroom.declare("P1 Checkout API returning 500s")  # 14:02, nobody is the communicator yet
    _to(warroom, "14:04")  # the heads-up (the lead, by DM) and "nobody owns" (the card's thread)
    warroom.tick()
    assert warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: "Nobody owns" in c.text)
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    approve(warroom, warroom.entries()[0].id or 0, by=DANA, response="first")  # next update by 14:19
    _to(warroom, "14:19")  # overdue: Dana, by DM
    warroom.tick()
    assert warroom.fake.received("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text)
    _to(warroom, "14:24")  # escalation: the card's thread, mentioning the lead
    warroom.tick()
    assert warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: "min overdue" in c.text)
    update = _draft(warroom, "identified: A faulty deploy broke card payments; we are rolling it back.")
    approve(warroom, update, by=DANA, response="second")
    warroom.command("severity P2")
    resolution = _draft(warroom, "A faulty deploy; rolled back at 15:05.", by=DANA, command="resolve")
    _to(warroom, "15:10")
    confirmation = approve(warroom, resolution, by=DANA, response="resolved")
    assert "follow-ups (customer email, credits, postmortem) are in the thread under the incident card" in (
        confirmation.text
    )
    warroom.tick()

    card_ts = warroom.card_ts(incident.id or 0)
    assert card_ts is not None
    top = [_kind(message) for message in warroom.fake.messages[WAR_ROOM] if _in_channel(message)]
    assert len(top) == len(warroom.fake.top_level(WAR_ROOM))
    assert top == ["card", "communicator named", "approved entry", "approved entry", "severity changed",
                   "approved entry"], top  # fmt: skip
    thread = warroom.fake.thread(WAR_ROOM, card_ts)
    said = "\n".join(thread)
    for phrase in ("Nobody owns communication", "min overdue", "Follow-ups for INC-1", "customer email"):
        assert phrase in said, phrase
    drafts = [text for text in thread if text.startswith(("*Draft update for INC-1*", "*Resolution for INC-1*"))]
    assert len(drafts) == 3, "the automatic draft, the update and the resolution, all in the thread"
    assert not any("Update overdue" in text for text in warroom.fake.messages[WAR_ROOM]), "overdue: Dana by DM"
    drafts_by_dm = warroom.fake.received(
        "chat.postMessage", channel=DANA, where=lambda c: "waiting for your approval" in c.text
    )
    assert len(drafts_by_dm) == 2, "the approver is asked by DM about each draft she did not write herself"
    follow_ups_by_dm = warroom.fake.received(
        "chat.postMessage", channel=DANA, where=lambda c: "Follow-ups for" in c.text or "is drafted" in c.text
    )
    assert follow_ups_by_dm == [], "Dana just resolved it, and the follow-ups are in the thread: no duplicate"
    assert warroom.fake.unthreaded == [], "every reply found its parent"


def _in_channel(message: dict[str, Any]) -> bool:
    """Whether the channel itself shows the message: not a reply, unless it was also sent to the channel."""
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"


def _kind(message: dict[str, Any]) -> str:
    """What kind of Warroom message a war-room post is, from its key or its words."""
    key = str(((message.get("metadata") or {}).get("event_payload") or {}).get("key", ""))
    text = str(message["text"])
    if key.endswith(":card"):
        return "card"
    if key.endswith(":war_room"):
        return "approved entry"
    if "is the communicator for INC-1" in text:
        return "communicator named"
    if "changed INC-1 from P1" in text:
        return "severity changed"
    return f"unexpected: {key} {text[:60]}"


def test_a_draft_that_escapes_past_slacks_limit_still_gets_its_card_and_its_reject_form(warroom: Harness) -> None:
    _named(warroom)
    drafted = _draft(warroom, "<" * 1000)  # 1,000 characters, 4,000 once escaped: past a section's 3,000

    card = warroom.fake.wait_for(
        "chat.postMessage", channel=WAR_ROOM, where=lambda c: f"entry:{drafted}:draft" in str(c.params["metadata"])
    )[0]
    assert "&lt;" * 100 in card.everything and "<<" not in card.everything
    click(warroom, "entry_reject", drafted, by=DANA)
    [section] = [b for b in opened_view(warroom)["blocks"] if b["type"] == "section"]
    assert len(section["text"]["text"]) == 3000
