"""Property: whatever people type and click, nothing that was not approved reaches any public output.

The public outputs are the status page (every page), the Statuspage-compatible API, the Atom and RSS feeds and the
webhook events. Every text people type in the flow carries a marker of its own, so a draft, an edit, a rejected
update or an impact proposal that leaks is found by its marker. The incident's internal title, and every word of a
drill and of an internal-only incident (even their approved updates), must never appear either.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from bot.playbook import Playbook
from bot.playbook_public import Webhook
from bot.publish.site import build_site
from bot.publish.snapshot import read_snapshot
from bot.store.public import WebhookMessage
from bot.vocabulary import WebhookEvent
from tests.support.harness import DANA, LEAD, Harness, running, shipped_playbook
from tests.support.property_flows import Run, channels, play, steps

_marks = itertools.count(1)
TEXTED = {"draft": 1, "edit": 1, "correct": 1, "impact": 1}  # the steps that carry typed text, and where


def with_a_webhook() -> Playbook:
    """The shipped playbook, with one webhook endpoint that hears every event (relayed, never sent here)."""
    playbook = shipped_playbook()
    hook = Webhook(
        name="helpdesk", url="http://127.0.0.1:9/hook", secret_env="WARROOM_TEST_SECRET", events=[*WebhookEvent]
    )
    playbook.webhooks = [hook]
    return playbook


@pytest.fixture
def warroom(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """Warroom without background workers, with a webhook endpoint so that every event is relayed to it."""
    monkeypatch.setenv("WARROOM_TEST_SECRET", "whsec_" + base64.b64encode(b"a property test's secret!").decode())
    with running(database_url, background=False, playbook=with_a_webhook()) as harness:
        yield harness


def marked(script: list[tuple]) -> tuple[list[tuple], set[str]]:  # type: ignore[type-arg]
    """The script with a marker of its own at the end of every typed text, and the markers."""
    out, marks = [], set()
    for step in script:
        where = TEXTED.get(step[0])
        if where is None:
            out.append(step)
            continue
        mark = f"zq{next(_marks)}x"
        marks.add(mark)
        out.append((*step[:where], f"{step[where].rstrip('.')} {mark}.", *step[where + 1 :]))
    return out, marks


def hidden_incident(warroom: Harness, kind: str) -> str:
    """A drill or an internal-only incident with an approved update; the marker every word of it carries."""
    channel = f"CHIDE{next(channels):04d}"
    warroom.fake.add_channel(channel, channel.lower())
    mark = f"zqhidden{next(_marks)}x"
    before = len(warroom.incidents())
    warroom.command(f"{'drill' if kind == 'drill' else 'declare internal'} P2 Hidden {mark}", channel=channel)
    incident = warroom.wait_until(lambda: next(iter(warroom.incidents()[before:]), None))
    run = Run(warroom=warroom, channel=channel, incident_id=incident.id or 0)
    run.impact(f"Hidden impact {mark}", LEAD)
    run.draft(f"Hidden update {mark}.", LEAD)
    run.click("entry_approve", LEAD, len(run.entry_ids) - 1)
    return mark


def public_outputs(warroom: Harness) -> list[str]:
    """Everything the public side shows now: every page, API document and feed, and every webhook event body."""
    site = build_site(
        read_snapshot(warroom.engine, playbook=with_a_webhook(), clock=warroom.clock, base_url="http://s")
    )
    warroom.warroom.relay.relay_now()
    with Session(warroom.engine) as session:
        hooks = list(session.exec(select(WebhookMessage.body).order_by(col(WebhookMessage.id))))
    return [resource.body.decode() for resource in site.resources.values()] + hooks


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps, finish=st.booleans(), hidden=st.sampled_from(["drill", "internal"]))
def test_nothing_unapproved_reaches_the_status_page_api_feeds_or_webhooks(
    warroom: Harness,
    script: list[tuple],  # type: ignore[type-arg]
    finish: bool,
    hidden: str,
) -> None:
    channel = f"CPUB{next(channels):04d}"
    warroom.fake.add_channel(channel, channel.lower())
    title = f"zqtitle{next(_marks)}x"
    incident = warroom.declare(f"P2 Property outage {title}", channel=channel)
    run = Run(warroom=warroom, channel=channel, incident_id=incident.id or 0)
    warroom.command(f"communicator <@{DANA}|dana>", channel=channel)
    warroom.wait_until(lambda: [i for i in warroom.incidents() if i.id == incident.id and i.communicator_id])
    run.entry_ids = [e.id or 0 for e in warroom.entries() if e.incident_id == incident.id]
    script, marks = marked(script)
    never = {title, hidden_incident(warroom, hidden)}

    play(run, [*script, ("approve", DANA, len(script))], finish=finish)  # the newest draft, most often approved
    warroom.drain()

    said = [
        str(e.data.get(key, "")) for e in warroom.events() for key in ("text", "new") if e.incident_id == incident.id
    ]
    approved = [
        text
        for e in warroom.events()
        if e.incident_id == incident.id and e.kind in ("approved", "corrected", "impact_approved")
        for text in (str(e.data.get("text", "")), str(e.data.get("new", "")))
    ]
    public = {mark for mark in marks if any(mark in text for text in approved)}
    assert {mark for mark in marks if any(mark in text for text in said)} >= public
    event(f"{len(marks - public)} unapproved texts, {len(public)} approved")
    shown = "\n".join(public_outputs(warroom))
    leaked = sorted(mark for mark in (marks - public) | never if mark in shown)
    assert not leaked, f"words never approved (or of a drill, an internal incident, the title) were public: {leaked}"
    for mark in public:
        if any(mark in e.text for e in warroom.entries() if e.state == "approved"):
            assert mark in shown, "an approved update is public"
