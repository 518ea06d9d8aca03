"""Random incident flows for the property tests: what people type and click, driven through Slack's requests."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from hypothesis import strategies as st

from bot.incidents import keys
from tests.support.feed import click, text_values
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, Harness

PEOPLE = (DANA, ERIN, LEAD)  # Dana is the communicator; the others may draft but not decide
channels = itertools.count(1)
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
        st.tuples(st.just("impact"), texts, st.sampled_from(PEOPLE)),
        st.tuples(st.just("late")),
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

    def reject(self, who: str, index: int) -> None:
        """Reject: the form opens only for the approver, who submits it with a reason full of mentions."""
        opened = len(self.warroom.fake.received("views.open"))
        self.click("entry_reject", who, index)
        calls = self.warroom.fake.received("views.open")
        if len(calls) == opened:
            return  # refused, and told so
        raw = calls[-1].params["view"]
        view = json.loads(raw) if isinstance(raw, str) else dict(raw)
        before = len(self.warroom.events("rejected"))
        reason = {"type": "plain_text_input", "value": "No: <!channel> <@UMALLORY1> wrote it"}
        self.warroom.slack.view_submission(user=who, view=view, values={"reason": {"reason_input": reason}})
        self.warroom.wait_until(lambda: len(self.warroom.events("rejected")) > before)

    def impact(self, text: str, who: str) -> None:
        """`/incident impact …`: approved at once for Dana (the communicator), a proposal for anyone else."""
        name = self.respond_name()
        self.warroom.command(f"impact {text}", user=who, channel=self.channel, response=name)
        self.warroom.fake.wait_response(name)

    def late(self) -> None:
        """Let the committed update time pass, and wait for the overdue reminder of that due time."""
        incident = next(i for i in self.warroom.incidents() if i.id == self.incident_id)
        due = incident.next_update_due_at
        self.warroom.clock.advance(seconds=max(0.0, (due - self.warroom.clock.now()).total_seconds()) + 60)
        self.warroom.tick()
        self.warroom.wait_until(
            lambda: [
                e
                for e in self.warroom.events("reminder_sent")
                if e.incident_id == self.incident_id and e.data == {"reminder": "overdue", "due": due.isoformat()}
            ]
        )

    def resolve(self) -> None:
        """Dana drafts and approves the resolution; the stand-down follows."""
        name = self.respond_name()
        self.warroom.command("resolve A configuration change <!here> & co.", user=DANA, channel=self.channel)
        resolution = self.warroom.wait_until(
            lambda: [e for e in self.warroom.entries() if e.incident_id == self.incident_id and e.kind == "resolution"]
        )[-1]
        click(self.warroom, "entry_approve", resolution.id or 0, by=DANA, response=name, channel=self.channel)
        self.warroom.wait_until(
            lambda: self.warroom.fake.ts_of(MIRROR, keys.mirror_notice(self.incident_id, keys.MirrorNotice.STAND_DOWN))
        )

    def draft(self, text: str, who: str) -> None:
        name = self.respond_name()
        self.warroom.command(f"update {text}", user=who, channel=self.channel, response=name)
        self.warroom.fake.wait_response(name)
        mine = [e.id or 0 for e in self.warroom.entries() if e.incident_id == self.incident_id]
        self.entry_ids = mine


def play(run: Run, script: list[tuple], *, finish: bool) -> None:  # type: ignore[type-arg]
    """Do each step of a drawn script, in order, then (if `finish`) resolve."""
    for step in script:
        if step[0] == "draft":
            run.draft(step[1], step[2])
        elif step[0] in ("edit", "correct"):
            run.revise(f"entry_{step[0]}", step[1], step[2], step[3])
        elif step[0] == "impact":
            run.impact(step[1], step[2])
        elif step[0] == "late":
            run.late()
        elif step[0] == "reject":
            run.reject(step[1], step[2])
        else:
            run.click(f"entry_{step[0]}", step[1], step[2])
    if finish:
        run.resolve()
