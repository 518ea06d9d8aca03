"""Each incident is its own thread in the mirror: concurrent incidents never mix, and every notice names its own."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.feed import approve, click, opened_view, text_values, wait_posted
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, OTHER_ROOM, WAR_ROOM, Harness, running
from tests.support.mirror import activation_text, activation_ts, settled, thread, wait_in_thread

CHECKOUT = "Checkout and card payments fail for all customers in the EU"
SEARCH = "Search results load slowly for some customers"


@pytest.fixture
def driven(database_url: str) -> Iterator[Harness]:
    """Warroom without background workers: the test ticks the scheduler and drains the outbox itself."""
    with running(database_url, background=False) as harness:
        yield harness


def _open(warroom: Harness, text: str, *, channel: str, impact: str, communicator: str) -> int:
    incident = warroom.declare(text, channel=channel)
    warroom.command(f"communicator <@{communicator}|x>", channel=channel)
    warroom.wait_until(lambda: [i for i in warroom.incidents() if i.id == incident.id and i.communicator_id])
    warroom.command(f"impact {impact}", user=communicator, channel=channel, response=f"impact-{channel}")
    warroom.fake.wait_response(f"impact-{channel}")
    return incident.id or 0


def _approve_first(warroom: Harness, incident_id: int, *, by: str) -> None:
    entry = next(e for e in warroom.entries() if e.incident_id == incident_id)
    approve(warroom, entry.id or 0, by=by, response=f"first-{incident_id}")
    warroom.wait_until(lambda: warroom.fake.ts_of(MIRROR, f"entry:{entry.id}:mirror"))


def test_two_incidents_at_once_each_keep_to_their_own_thread(warroom: Harness) -> None:
    checkout = _open(warroom, "P1 Checkout API returning 500s", channel=WAR_ROOM, impact=CHECKOUT, communicator=DANA)
    search = _open(warroom, "P3 Search cluster degraded", channel=OTHER_ROOM, impact=SEARCH, communicator=ERIN)
    warroom.clock.advance(minutes=2)
    _approve_first(warroom, checkout, by=DANA)
    _approve_first(warroom, search, by=ERIN)
    warroom.command("severity P2", user=ERIN, channel=OTHER_ROOM)
    warroom.command("update identified: Card payments in the EU are rejected by a bad configuration.", user=DANA)
    second = warroom.wait_until(lambda: [e for e in warroom.entries() if e.incident_id == checkout][1:])[0]
    approve(warroom, second.id or 0, by=DANA)
    wait_posted(warroom, second.id or 0)
    settled(warroom)

    own = {checkout: ("INC-1", CHECKOUT, "INC-2", SEARCH), search: ("INC-2", SEARCH, "INC-1", CHECKOUT)}
    for incident_id, (ref, impact, other_ref, other_impact) in own.items():
        replies = thread(warroom, incident_id)
        assert replies, f"{ref} has its own thread"
        for reply in replies:
            assert re.match(rf"\S* ?\*{ref}[ :·]", reply), f"every reply names {ref} first: {reply!r}"
            assert f"*Impact:* {impact}" in reply, "and carries its approved impact line"
            assert other_ref not in reply and other_impact not in reply, "and nothing of the other incident"
    # the impact line confirmed, the first entry, then the second entry or the severity change
    assert len(thread(warroom, checkout)) == 3 and len(thread(warroom, search)) == 3
    assert ":dart:" in thread(warroom, checkout)[0] and "severity changed" in thread(warroom, search)[2]
    assert "Checkout API" not in str(warroom.fake.messages[MIRROR]) and "Search cluster" not in str(
        warroom.fake.messages[MIRROR]
    ), "the internal titles stay in the war rooms"

    for row in warroom.outbox():
        if row.channel_id == MIRROR and row.message_key != f"incident:{row.incident_id}:activation":
            assert row.thread_key == f"incident:{row.incident_id}:activation", "each reply goes to its own incident"
    top = warroom.fake.top_level(MIRROR)  # the parents, and the replies also sent to the channel
    assert top.index(activation_text(warroom, checkout)) < top.index(activation_text(warroom, search))
    assert "INC-1 declared" in top[0] and "INC-2 (declared P3, now): P2" in activation_text(warroom, search), (
        "the activations are the channel's parents, each speaking for its incident's severity now"
    )
    assert all(any(ref in t.split("\n")[0] for ref in ("INC-1", "INC-2")) for t in top)


def test_a_missed_update_is_told_to_the_mirror_once(driven: Harness) -> None:
    warroom = driven
    incident_id = _open(warroom, "P1 Checkout API returning 500s", channel=WAR_ROOM, impact=CHECKOUT, communicator=DANA)
    warroom.clock.advance(minutes=2)  # 14:04
    _approve_first(warroom, incident_id, by=DANA)  # next update by 14:19
    warroom.clock.advance(minutes=14)  # 14:18
    warroom.tick()
    assert [t for t in thread(warroom, incident_id) if "is late" in t] == [], "not late yet"

    warroom.clock.advance(minutes=2)  # 14:20
    warroom.tick()
    [late] = [t for t in thread(warroom, incident_id) if "is late" in t]
    warroom.tick()
    warroom.clock.advance(minutes=10)  # still late; escalated to the lead, but the mirror has heard it
    warroom.tick()

    assert late == (
        ":hourglass: *INC-1: the update committed for 14:19 UTC is late.*\n"
        f"*Impact:* {CHECKOUT}\n"
        "The last approved update still stands: keep answering from it. Do not speculate, and do not give customers "
        "a new time. The next update will be posted in this thread."
    )
    assert [t for t in thread(warroom, incident_id) if "is late" in t] == [late], "told once"
    assert late in warroom.fake.top_level(MIRROR), "also shown in the channel: agents quoting the old time see it"


def test_a_first_update_that_never_came_is_told_without_pretending_one_stands(warroom: Harness) -> None:
    incident_id = warroom.declare().id or 0

    warroom.clock.advance(minutes=6)  # the first update was due by 14:07

    [late] = wait_in_thread(warroom, incident_id, "is late")
    assert "No update has been approved yet: tell customers only that we know about the problem" in late
    assert "*Impact:*" not in late, "no line was approved"


def test_a_correction_is_told_in_the_thread_and_the_war_room(warroom: Harness) -> None:
    incident_id = _open(warroom, "P1 Checkout API returning 500s", channel=WAR_ROOM, impact=CHECKOUT, communicator=DANA)
    warroom.clock.advance(minutes=2)
    _approve_first(warroom, incident_id, by=DANA)
    entry_id = warroom.entries()[0].id or 0
    warroom.clock.advance(minutes=3)  # 14:07

    click(warroom, "entry_correct", entry_id, by=DANA)
    fixed = "Card payments in the EU fail <!here>; cards issued elsewhere work."
    warroom.slack.view_submission(user=DANA, view=opened_view(warroom), values=text_values(fixed))

    [note] = wait_in_thread(warroom, incident_id, "corrected at")
    assert note == (
        ":pencil2: *INC-1: corrected at 14:07 UTC.* The 14:04 UTC update now reads:\n"
        ">Card payments in the EU fail &lt;!here&gt;; cards issued elsewhere work.\n"
        f"*Impact:* {CHECKOUT}\n"
        "If you quoted the earlier wording to customers, use this from now on."
    )
    entry = next(t for t in thread(warroom, incident_id) if "· Investigating*" in t)
    assert "_(corrected 14:07 UTC)_" in entry and "&lt;!here&gt;" in entry, "the entry itself is updated in place"
    card = warroom.card_ts(incident_id) or ""
    (
        warroom.wait_until(lambda: note in warroom.fake.thread(WAR_ROOM, card)),
        "the war room hears it, in the card's thread",
    )


def test_the_mirror_hears_the_end_of_the_story_through_stand_down(warroom: Harness) -> None:
    incident_id = _open(warroom, "P1 Checkout API returning 500s", channel=WAR_ROOM, impact=CHECKOUT, communicator=DANA)
    warroom.clock.advance(minutes=2)
    _approve_first(warroom, incident_id, by=DANA)
    for n in range(3):  # on time, every 14 min: 14:18, 14:32, 14:46
        warroom.clock.advance(minutes=14)
        warroom.command(f"update We continue to roll back the change, step {n}.", user=DANA, response=f"u{n}")
        entry = warroom.wait_until(lambda: [e for e in warroom.entries() if e.state == "draft"])[-1]
        approve(warroom, entry.id or 0, by=DANA, response=f"a{n}")
        wait_posted(warroom, entry.id or 0)
    warroom.clock.advance(minutes=4)  # 14:50: 48 min at P1, beyond its 30 min SLA
    warroom.command("resolve A configuration change to card payments rejected them.", user=DANA)
    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]
    approve(warroom, resolution.id or 0, by=DANA, response="resolved")

    [stand_down] = wait_in_thread(warroom, incident_id, "stand down")
    assert stand_down.startswith(":white_check_mark: *INC-1 is resolved (14:50 UTC). Outage handling can stand down.*")
    assert f"*Impact, now resolved:* {CHECKOUT}" in stand_down
    assert "Answer questions about it from the resolved post above, in the same words." in stand_down
    assert (
        "Still to come in this thread: the credit decision, with the words to use; the customer email, word for "
        "word, once it is sent; the postmortem link." in stand_down
    )
    assert stand_down in warroom.fake.top_level(MIRROR), "the whole channel sees the stand-down"
    parent = warroom.wait_until(lambda: [t for t in [activation_text(warroom, incident_id)] if "is resolved" in t])[0]
    assert parent.startswith(
        ":white_check_mark: *INC-1 is resolved (14:50 UTC): P1 · Full outage.* Outage handling can stand down"
    ), "the thread's parent says it is over, for whoever scans the channel"
    assert f"*Impact, now resolved:* {CHECKOUT}" in parent and "Tag and queue outage emails" not in parent
    replies = thread(warroom, incident_id)
    assert replies.index(stand_down) == replies.index(next(t for t in replies if "· Resolved*" in t)) + 1

    click(warroom, "followup_credits_offered", incident_id, by=DANA, response="credits")
    [credits] = wait_in_thread(warroom, incident_id, "credits are being offered")
    assert (
        "When customers write about it, tell them this, in these words: "
        "Every affected customer receives a service credit of 10%"
    ) in credits
    click(warroom, "followup_email_prevention", incident_id, by=DANA, response="prevention")
    prevention = "We now test every payment configuration change in one region first."
    values = {"prevention": {"prevention_input": {"type": "plain_text_input", "value": prevention}}}
    warroom.slack.view_submission(user=DANA, view=opened_view(warroom), values=values)
    warroom.wait_until(lambda: prevention in (warroom.incidents()[0].email_text or ""))
    warroom.clock.advance(minutes=20)  # 15:10
    click(warroom, "followup_email_sent", incident_id, by=DANA, response="sent")
    [email] = wait_in_thread(warroom, incident_id, "customer email went out")
    assert email.startswith(":email: *INC-1: the customer email went out* (marked sent at 15:10 UTC).")
    body = "\n".join(line[1:] for line in email.split("\n") if line.startswith(">"))
    assert body.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") == warroom.incidents()[0].email_text
    click(warroom, "followup_postmortem_link", incident_id, by=LEAD, response="pm")
    url = {"url": {"url_input": {"type": "url_text_input", "value": "https://wiki.example.com/pm/inc-1?a=1&b=<2>"}}}
    warroom.slack.view_submission(user=LEAD, view=opened_view(warroom, 2), values=url)
    [postmortem] = wait_in_thread(warroom, incident_id, "post-incident review is linked")
    assert "https://wiki.example.com/pm/inc-1?a=1&amp;b=&lt;2&gt;" in postmortem

    settled(warroom)
    assert thread(warroom, incident_id)[-4:] == [stand_down, credits, email, postmortem], "in the order they happened"
    for later in (credits, email, postmortem):
        assert later not in warroom.fake.top_level(MIRROR), "follow-ups stay in the thread, as the stand-down said"
        assert f"*Impact, now resolved:* {CHECKOUT}" in later
    assert activation_ts(warroom, incident_id)


def test_nothing_owed_is_said_at_stand_down_with_no_decision_promised(warroom: Harness) -> None:
    incident_id = _open(warroom, "P3 Search is slow", channel=WAR_ROOM, impact=SEARCH, communicator=DANA)
    warroom.clock.advance(minutes=2)
    _approve_first(warroom, incident_id, by=DANA)
    warroom.clock.advance(minutes=10)
    warroom.command("resolve A slow index rebuild.", user=DANA)
    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]
    approve(warroom, resolution.id or 0, by=DANA, response="resolved")

    [stand_down] = wait_in_thread(warroom, incident_id, "is resolved")
    assert stand_down.startswith(":white_check_mark: *INC-1 is resolved (14:14 UTC).* Nothing more to do for it.")
    assert (
        "No service credits are owed for INC-1 (no SLA for P3). "
        "Credits agents already gave under their own authority stand"
    ) in stand_down
    assert "Nothing more will be posted about INC-1." in stand_down, "a short P3 owes no email and no postmortem"
