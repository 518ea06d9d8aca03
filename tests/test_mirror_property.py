"""Property: whatever people click, in whatever order, the mirror only ever shows approved text."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render.text import escape
from tests.support.feed import click, text_values
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, Harness

PEOPLE = (DANA, ERIN, LEAD)  # Dana is the communicator; the others may draft but not decide
_channels = itertools.count(1)
_responses = itertools.count(1)

words = st.sampled_from(
    [
        "Checkout",
        "fails",
        "<!channel>",
        "&",
        "<@UMALLORY1>",
        "payments",
        "restored",
        "slow",
        "AWS's fault",
        "since 14:02",
        "*bold*",
        "we",
        "investigate",
    ]
)
texts = st.lists(words, min_size=1, max_size=8).map(lambda parts: " ".join(parts) + ".")
steps = st.lists(
    st.one_of(
        st.tuples(st.just("draft"), texts, st.sampled_from(PEOPLE)),
        st.tuples(st.just("edit"), texts, st.sampled_from(PEOPLE), st.integers(0, 9)),
        st.tuples(st.just("correct"), texts, st.sampled_from(PEOPLE), st.integers(0, 9)),
        st.tuples(st.just("approve"), st.sampled_from(PEOPLE), st.integers(0, 9)),
        st.tuples(st.just("reject"), st.sampled_from(PEOPLE), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=7,
)


@dataclass
class Run:
    """One incident in its own channel, driven through Slack's requests."""

    warroom: Harness
    channel: str
    incident_id: int = 0
    entry_ids: list[int] = field(default_factory=list)

    def respond_name(self) -> str:
        return f"p{next(_responses)}"

    def click(self, action: str, who: str, index: int) -> None:
        if not self.entry_ids:
            return
        entry_id = self.entry_ids[index % len(self.entry_ids)]
        name = self.respond_name()
        opened_before = len(self.warroom.fake.received("views.open"))
        click(self.warroom, action, entry_id, by=who, response=name, channel=self.channel)
        self.warroom.wait_until(
            lambda: self.warroom.fake.responses(name) or len(self.warroom.fake.received("views.open")) > opened_before
        )

    def revise(self, action: str, text: str, who: str, index: int) -> None:
        opened = len(self.warroom.fake.received("views.open"))
        self.click(action, who, index)
        calls = self.warroom.fake.received("views.open")
        if len(calls) == opened:
            return  # refused, and told so
        raw = calls[-1].params["view"]
        view = json.loads(raw) if isinstance(raw, str) else dict(raw)
        kind = "edited" if action == "entry_edit" else "corrected"
        before = len(self.warroom.events(kind))
        self.warroom.slack.view_submission(user=who, view=view, values=text_values(text))
        self.warroom.wait_until(lambda: len(self.warroom.events(kind)) > before)

    def draft(self, text: str, who: str) -> None:
        name = self.respond_name()
        self.warroom.command(f"update {text}", user=who, channel=self.channel, response=name)
        self.warroom.fake.wait_response(name)
        mine = [e.id or 0 for e in self.warroom.entries() if e.incident_id == self.incident_id]
        self.entry_ids = mine


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps)
def test_the_mirror_never_receives_text_that_was_not_approved(warroom: Harness, script: list[tuple]) -> None:  # type: ignore[type-arg]
    channel = f"CPROP{next(_channels):04d}"
    warroom.fake.add_channel(channel, channel.lower())
    incident = warroom.declare("P2 Property outage", channel=channel)
    run = Run(warroom=warroom, channel=channel, incident_id=incident.id or 0)
    warroom.command(f"communicator <@{DANA}|dana>", channel=channel)
    warroom.wait_until(lambda: [i for i in warroom.incidents() if i.id == incident.id and i.communicator_id])
    run.entry_ids = [e.id or 0 for e in warroom.entries() if e.incident_id == incident.id]

    for step in script:
        if step[0] == "draft":
            run.draft(step[1], step[2])
        elif step[0] in ("edit", "correct"):
            run.revise(f"entry_{step[0]}", step[1], step[2], step[3])
        else:
            run.click(f"entry_{step[0]}", step[1], step[2])

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
        body = text.split("\n\n", 1)[1].rsplit("\n*Next update by", 1)[0]
        assert body == escape(entries[entry_id].text), "the mirror shows exactly the approved (or corrected) text"
        for token in ("<!channel>", "<@UMALLORY1>"):
            assert token not in text
