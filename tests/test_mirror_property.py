"""Property: whatever people click, in whatever order, the mirror only ever shows approved text.

That holds for the entries, the impact line (a proposal never shows before the approver approved it), and the
notices the mirror hears on its own: a late update, a correction, the stand-down. Each of those is a fixed
template filled with approved content, never free text from the war room.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.incidents import keys
from bot.render.text import escape
from tests.support.fake_slack import Call
from tests.support.harness import DANA, MIRROR, Harness, running
from tests.support.property_flows import Run, channels, play, steps


@pytest.fixture
def warroom(database_url: str) -> Iterator[Harness]:
    """Warroom without background workers: each wait delivers what is owed, and `late` runs the ticks itself."""
    with running(database_url, background=False) as harness:
        yield harness


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps, finish=st.booleans())
def test_the_mirror_never_receives_text_that_was_not_approved(
    warroom: Harness,
    script: list[tuple],  # type: ignore[type-arg]
    finish: bool,
) -> None:
    channel = f"CPROP{next(channels):04d}"
    warroom.fake.add_channel(channel, channel.lower())
    incident = warroom.declare("P2 Property outage", channel=channel)
    run = Run(warroom=warroom, channel=channel, incident_id=incident.id or 0)
    warroom.command(f"communicator <@{DANA}|dana>", channel=channel)
    warroom.wait_until(lambda: [i for i in warroom.incidents() if i.id == incident.id and i.communicator_id])
    run.entry_ids = [e.id or 0 for e in warroom.entries() if e.incident_id == incident.id]

    play(run, script, finish=finish)

    warroom.wait_until(lambda: all(r.state != "pending" for r in warroom.outbox() if r.incident_id == incident.id))
    entries = {e.id: e for e in warroom.entries() if e.incident_id == incident.id}
    approved = {entry_id for entry_id, e in entries.items() if e.state == "approved"}
    in_mirror = {}
    for message in warroom.fake.messages.get(MIRROR, []):
        key = message["metadata"]["event_payload"]["key"]
        if key.startswith("entry:") and int(key.split(":")[1]) in entries:
            in_mirror[int(key.split(":")[1])] = message["text"]
        elif not key.startswith("entry:"):
            assert "Property outage" not in message["text"], "the internal title never reaches the mirror"
    assert set(in_mirror) == approved, "exactly the approved entries, each once"
    for entry_id, text in in_mirror.items():
        body = text.split("\n\n", 1)[1].rsplit("\n*Next update by", 1)[0].split("\n*Started*", 1)[0]
        assert body == escape(entries[entry_id].text), "the mirror shows exactly the approved (or corrected) text"
        for token in ("<!channel>", "<@UMALLORY1>", "<!here>"):
            assert token not in text
    _only_approved_and_fixed_notices(warroom, incident.id or 0, finished=finish)


LATE = re.compile(
    r":hourglass: \*INC-\d+: the update committed for \d\d:\d\d UTC is late\.\*\n(?:\*Impact:\* .*\n)?"
    r"(?:No update has been approved yet: tell customers only that we know about the problem and are working on it\."
    r"|The last approved update still stands: keep answering from it\.) Do not speculate, and do not give customers "
    r"a new time\. The next update will be posted in this thread\."
)
CORRECTION = re.compile(
    r":pencil2: \*INC-\d+: corrected at \d\d:\d\d UTC\.\* The \d\d:\d\d UTC update now reads:\n"
    r">(?P<text>.*)\n(?:\*Cause:\* .*\n)?(?:\*Impact:\* .*\n)?"
    r"If you quoted the earlier wording to customers, use this from now on\."
)
STAND_DOWN = re.compile(
    r":white_check_mark: \*INC-\d+ is resolved \(\d\d:\d\d UTC\)\. Outage handling can stand down\.\*\n"
    r"(?:\*Impact, now resolved:\* .*\n)?"
    r"Answer questions about it from the resolved post above, in the same words\. Late replies and follow-up "
    r"questions can go back to the usual queue\.\n"
    r"(?:No service credits are owed for INC-\d+ \([^)]*\)\. Credits agents already gave under their own authority "
    r"stand; offer no new ones, and pass any request for a credit on as an escalation\.\n)?"
    r"(?:Still to come in this thread: [a-z ,;]+\.|Nothing more will be posted about INC-\d+\.)"
)
IMPACT_CHANGED = re.compile(
    r":dart: \*INC-\d+: (?:the impact line changed|what is affected is now confirmed) at \d\d:\d\d UTC\.\*\n"
    r"\*Impact:\* .*\n(?:It said before: .*\n)?Tell customers what is affected in these words from now on\."
)
_IMPACT_LINE = re.compile(r"^\*Impact(?:, now resolved)?:\* (.*)$", re.MULTILINE)


def _only_approved_and_fixed_notices(warroom: Harness, incident_id: int, *, finished: bool) -> None:
    """Every message the incident's mirror thread was sent is an entry, the activation or a fixed notice."""
    approved = {escape(e.data["text"]) for e in warroom.events("impact_approved") if e.incident_id == incident_id}
    corrected = {escape(e.data["new"]) for e in warroom.events("corrected") if e.incident_id == incident_id}
    overdue = [
        e for e in warroom.events("reminder_sent") if e.incident_id == incident_id and e.data["reminder"] == "overdue"
    ]
    sent = [
        call
        for method in ("chat.postMessage", "chat.update")
        for call in warroom.fake.received(method, channel=MIRROR)
        if _ref(call.text) == f"INC-{incident_id}"
    ]
    late = []
    for call in sent:
        for shown in _IMPACT_LINE.findall(call.text):
            assert shown in approved, f"an impact line the approver never approved reached the mirror: {shown!r}"
        key = _key(warroom, call)
        if key.startswith("entry:"):
            continue  # an entry: checked against the approved text above
        if key == keys.activation(incident_id):
            assert "Property outage" not in call.text, "the internal title never reaches the mirror"
        elif key == keys.mirror_notice(incident_id, keys.MirrorNotice.STAND_DOWN):
            assert STAND_DOWN.fullmatch(call.text), call.text
        elif call.text.startswith(":dart:"):
            assert IMPACT_CHANGED.fullmatch(call.text), call.text
        elif call.text.startswith(":hourglass:"):
            assert LATE.fullmatch(call.text), call.text
            late.append(call)
        elif call.text.startswith(":pencil2:"):
            match = CORRECTION.fullmatch(call.text)
            assert match and match.group("text") in corrected, call.text
        else:
            assert key.startswith("entry:"), f"an unexpected message reached the mirror: {call.text!r}"
    assert len(late) == len(overdue), "each missed update is told to the mirror once"
    assert finished == any(
        _key(warroom, c) == keys.mirror_notice(incident_id, keys.MirrorNotice.STAND_DOWN) for c in sent
    ), "the stand-down comes with the resolution, and only then"


def _ref(text: str) -> str | None:
    """The incident a mirror message is about: the first reference in it (a linked briefing names another)."""
    found = re.search(r"INC-\d+", text)
    return found.group(0) if found else None


def _key(warroom: Harness, call: Call) -> str:
    """The key a post carried in its metadata; for an update, the key of the message it updated."""
    metadata = call.params.get("metadata")
    if call.method == "chat.update":
        updated = next(m for m in warroom.fake.messages[MIRROR] if m["ts"] == call.params.get("ts"))
        metadata = updated.get("metadata")
    payload = (json.loads(metadata) if isinstance(metadata, str) else metadata or {}).get("event_payload") or {}
    return str(payload.get("key", ""))
