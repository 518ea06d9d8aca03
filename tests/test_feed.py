"""Drafts become approved, timestamped entries in the war room and the mirror; only the approver decides."""

from __future__ import annotations

from tests.support.feed import approve, click, opened_view, text_values, wait_posted
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, WAR_ROOM, Harness


def _declare_with_communicator(warroom: Harness, text: str = "P1 Checkout API returning 500s") -> int:
    incident = warroom.declare(text)
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
    return incident.id or 0


def _draft_card(warroom: Harness, entry_id: int, count: int = 1) -> list:  # type: ignore[type-arg]
    return warroom.fake.wait_for(
        "chat.postMessage",
        count,
        channel=WAR_ROOM,
        where=lambda c: c.params["metadata"]["event_payload"]["key"] == f"entry:{entry_id}:draft",
    )


def test_the_first_draft_writes_itself_from_the_severity_template(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")

    [entry] = warroom.entries()
    assert entry.state == "draft" and entry.drafted_by is None
    assert entry.text.startswith("We are investigating a full outage: customers cannot use the service.")
    assert "Checkout API" not in entry.text, "the internal title is not put in customers' words"
    [card] = _draft_card(warroom, entry.id or 0)
    headline = "Draft update for INC-1* · P1 · keeps Investigating · drafted by Warroom from the P1 template"
    assert headline in card.everything
    buttons = [e["action_id"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["entry_approve", "entry_edit", "entry_reject"]
    [dm] = warroom.fake.wait_for("chat.postMessage", channel=LEAD)  # no communicator yet: the lead may approve
    assert "waiting for your approval" in dm.text
    assert "https://acme.slack.com/archives/CWARROOM1/p" in dm.everything, "the DM links to the draft card"
    assert not warroom.fake.received("chat.postMessage", channel=MIRROR, where=lambda c: "investigating" in c.text)


def test_anyone_in_the_war_room_can_draft_and_the_communicator_is_told(warroom: Harness) -> None:
    _declare_with_communicator(warroom)

    warroom.command("update Card payments fail for all customers since 14:02 UTC.", user=ERIN, response="d")

    assert "Drafted" in warroom.fake.wait_response("d")[0].text
    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    assert (entry.drafted_by, entry.text) == (ERIN, "Card payments fail for all customers since 14:02 UTC.")
    [card] = _draft_card(warroom, entry.id or 0)
    assert f"drafted by <@{ERIN}>" in card.everything
    assert f"Only <@{DANA}> (the communicator) can approve" in card.everything
    warroom.fake.wait_for(
        "chat.postMessage",
        channel=DANA,
        where=lambda c: "waiting for your approval" in c.text and f"entry:{entry.id}:dm" in str(c.params["metadata"]),
    )


def test_approving_posts_the_entry_to_the_war_room_and_the_mirror(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    entry = warroom.entries()[0]
    warroom.clock.advance(minutes=5)  # 14:07

    confirmation = approve(warroom, entry.id or 0, by=DANA)

    assert "Next update due by 14:22 UTC" in confirmation.text
    war_room, mirror = wait_posted(warroom, entry.id or 0)
    for message in (war_room, mirror):
        assert message["text"].startswith("*INC-1 · 14:07 UTC · P1 Full outage · Investigating*")
        assert "We are investigating a full outage: customers cannot use the service." in message["text"]
        assert "*Next update by 14:22 UTC*" in message["text"]
    updates = warroom.fake.wait_for("chat.update", channel=WAR_ROOM, where=lambda c: "Approved by" in c.everything)
    assert f":white_check_mark: Approved by <@{DANA}> at 14:07 UTC" in updates[0].everything
    assert "entry_approve" not in updates[0].everything, "a decided draft keeps no buttons"
    [approved] = warroom.events("approved")
    assert approved.actor_id == DANA and approved.data["text"] == entry.text
    incident = warroom.incidents()[0]
    assert incident.next_update_due_at.strftime("%H:%M") == "14:22"


def test_only_the_communicator_can_use_the_buttons(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    entry_id = warroom.entries()[0].id or 0

    for action in ("entry_approve", "entry_reject", "entry_edit"):
        click(warroom, action, entry_id, by=LEAD, response=action)
        [answer] = warroom.fake.wait_response(action)
        assert answer.params["response_type"] == "ephemeral"
        assert f"Only <@{DANA}>, the communicator, can approve" in answer.text

    warroom.drain()
    assert warroom.entries()[0].state == "draft"
    assert warroom.fake.received("views.open") == []
    assert warroom.events("approved") == [] and warroom.events("rejected") == []


def test_the_lead_approves_until_a_communicator_is_named(warroom: Harness) -> None:
    warroom.declare()
    entry_id = warroom.entries()[0].id or 0

    refusal = approve(warroom, entry_id, by=ERIN, response="erin")
    assert f"Only <@{LEAD}>, the incident lead (no communicator yet)" in refusal.text

    approve(warroom, entry_id, by=LEAD)
    wait_posted(warroom, entry_id)


def test_a_double_click_posts_the_entry_once(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    entry_id = warroom.entries()[0].id or 0

    click(warroom, "entry_approve", entry_id, by=DANA, response="one")
    click(warroom, "entry_approve", entry_id, by=DANA, response="two")

    answers = [warroom.fake.wait_response("one")[0].text, warroom.fake.wait_response("two")[0].text]
    assert sum("already approved" in text for text in answers) == 1
    wait_posted(warroom, entry_id)
    warroom.drain()
    assert len(warroom.fake.messages[MIRROR]) == 2  # the activation notice and the one entry
    assert len(warroom.events("approved")) == 1


def test_an_identified_update_moves_the_status(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    warroom.command("update identified: A bad deploy at 14:00 broke card payments; we are rolling it back.")
    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    assert entry.phase == "identified"

    approve(warroom, entry.id or 0, by=DANA)

    _, mirror = wait_posted(warroom, entry.id or 0)
    assert "· Identified*" in mirror["text"]
    assert warroom.incidents()[0].status == "identified"
    card = warroom.fake.wait_for(
        "chat.update", channel=WAR_ROOM, where=lambda c: "Identified" in c.everything and c.text.startswith("INC-1")
    )
    assert card


def test_edit_opens_the_draft_and_saving_replaces_it(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    entry_id = warroom.entries()[0].id or 0

    click(warroom, "entry_edit", entry_id, by=DANA)
    view = opened_view(warroom)
    assert view["callback_id"] == "edit_draft"
    assert view["blocks"][0]["element"]["initial_value"].startswith("We are investigating a full outage")

    new_text = "Checkout fails for all card payments since 14:02 UTC. We are investigating."
    reply = warroom.slack.view_submission(user=DANA, view=view, values=text_values(new_text))

    assert reply.status == 200 and reply.body == ""
    warroom.wait_until(lambda: warroom.entries()[0].text == new_text)
    updated = warroom.fake.wait_for("chat.update", channel=WAR_ROOM, where=lambda c: new_text in c.everything)
    assert f"edited by <@{DANA}>" in updated[0].everything
    [edited] = warroom.events("edited")
    assert edited.data["new"] == new_text


def test_a_rejected_draft_can_never_be_approved(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    entry_id = warroom.entries()[0].id or 0
    warroom.clock.advance(minutes=1)

    click(warroom, "entry_reject", entry_id, by=DANA, response="reject")
    view = opened_view(warroom)
    assert view["callback_id"] == "reject_draft"
    warroom.slack.view_submission(user=DANA, view=view, values={"reason": {"reason_input": {"value": None}}})
    warroom.wait_until(lambda: warroom.entries()[0].state == "rejected")
    refusal = approve(warroom, entry_id, by=DANA, response="late")

    assert f"rejected by <@{DANA}> at 14:03 UTC" in refusal.text
    card = warroom.fake.wait_for("chat.update", channel=WAR_ROOM, where=lambda c: "Rejected by" in c.everything)
    assert f":x: Rejected by <@{DANA}> at 14:03 UTC" in card[0].everything
    warroom.drain()
    assert len(warroom.fake.messages[MIRROR]) == 1, "only the activation notice"
    assert warroom.entries()[0].state == "rejected"


def test_correcting_an_entry_updates_both_copies_in_place(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    entry_id = warroom.entries()[0].id or 0
    approve(warroom, entry_id, by=DANA)
    war_room, mirror = wait_posted(warroom, entry_id)
    warroom.clock.advance(minutes=4)

    click(warroom, "entry_correct", entry_id, by=DANA)
    view = opened_view(warroom)
    assert view["callback_id"] == "correct_entry"
    fixed = "Checkout card payments fail for all customers since 14:02 UTC. We are investigating."
    warroom.slack.view_submission(user=DANA, view=view, values=text_values(fixed))

    updates = warroom.fake.wait_for("chat.update", 2, where=lambda c: fixed in c.text)
    assert {(c.channel, c.params["ts"]) for c in updates} == {(WAR_ROOM, war_room["ts"]), (MIRROR, mirror["ts"])}
    assert all("_(corrected 14:06 UTC)_" in c.text for c in updates)
    [corrected] = warroom.events("corrected")
    assert corrected.actor_id == DANA and corrected.data["new"] == fixed
    entries = [m for m in warroom.fake.messages[MIRROR] if "corrected at" not in str(m["text"])]
    assert len(entries) == 2, "corrected in place, not posted again (the correction note is its own message)"


def test_the_wording_check_warns_but_does_not_block(warroom: Harness) -> None:
    _declare_with_communicator(warroom)

    warroom.command(
        "update We are experiencing technical difficulties. It was AWS's fault. "
        "We expect to be resolved in 15 minutes. Sorry about that."
    )

    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    [card] = _draft_card(warroom, entry.id or 0)
    seen = card.everything
    assert "Wording check" in seen
    assert "Vague: “technical difficulties”" in seen
    assert "Blames a third party (“AWS” with “fault”)" in seen
    assert "Promises a fix time (“resolved in 15 minutes”)" in seen
    assert "4 sentences" in seen
    approve(warroom, entry.id or 0, by=DANA)
    wait_posted(warroom, entry.id or 0)


def test_update_with_no_text_opens_a_prefilled_modal(warroom: Harness) -> None:
    _declare_with_communicator(warroom, "P3 Search is slow")

    warroom.command("update", user=ERIN)

    view = opened_view(warroom)
    assert view["callback_id"] == "draft_update"
    assert view["blocks"][0]["element"]["initial_option"]["value"] == "investigating"
    prefill = view["blocks"][1]["element"]["initial_value"]
    assert prefill.startswith("We're looking into intermittent errors: most requests work"), "P3 is conversational"
    warroom.slack.view_submission(
        user=ERIN, view=view, values=text_values("Search is slow for some users.", phase="monitoring")
    )
    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    assert (entry.phase, entry.text, entry.drafted_by) == ("monitoring", "Search is slow for some users.", ERIN)


def test_resolving_posts_the_resolved_entry_with_its_timeline_and_closes(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    warroom.clock.advance(minutes=68)  # 15:10

    warroom.command("resolve A configuration change at 14:00 exhausted the database connection pool.", response="r")

    assert "Resolution drafted" in warroom.fake.wait_response("r")[0].text
    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]
    approve(warroom, resolution.id or 0, by=DANA)
    _, mirror = wait_posted(warroom, resolution.id or 0)
    text = mirror["text"]
    assert text.startswith("*INC-1 · 15:10 UTC · P1 Full outage · Resolved*")
    assert "Service is fully restored. We are sorry for the disruption" in text
    assert "*Started* 2026-11-22 14:02 UTC · *Ended* 2026-11-22 15:10 UTC · *Duration* 1 h 8 min" in text
    assert "*Cause:* A configuration change at 14:00 exhausted the database connection pool." in text
    assert "We will publish a post-incident review" in text
    incident = warroom.incidents()[0]
    assert incident.resolved_at is not None and incident.status == "resolved"
    warroom.command("update Still there?", response="after")
    assert "There is no open incident" in warroom.fake.wait_response("after")[0].text


def test_a_p3_resolution_makes_no_postmortem_promise(warroom: Harness) -> None:
    _declare_with_communicator(warroom, "P3 Search is slow")
    warroom.command("resolve A slow index rebuild.")
    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]

    approve(warroom, resolution.id or 0, by=DANA)

    _, mirror = wait_posted(warroom, resolution.id or 0)
    assert "post-incident review" not in mirror["text"]


def test_feed_mistakes_are_explained(warroom: Harness) -> None:
    _declare_with_communicator(warroom)
    for n, (text, expected) in enumerate(
        (
            ("resolve", "Say what caused it"),
            ("update resolved: done", "use `/incident resolve"),
            ("update " + "x" * 1001, "1001 characters"),
        )
    ):
        warroom.command(text, response=f"m{n}")
        assert expected in warroom.fake.wait_response(f"m{n}")[0].text
    assert len(warroom.entries()) == 1
