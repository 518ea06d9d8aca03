"""Delivered outbox rows are pruned after the retention; keyed messages are still updated in place afterwards."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.store.models import DELIVERED, OutboxMessage, SlackMessage
from tests.support.fake_slack import Call
from tests.support.feed import approve, click, opened_view
from tests.support.harness import LEAD, OTHER_ROOM, WAR_ROOM, Harness


def _rows(warroom: Harness, incident_id: int) -> list[OutboxMessage]:
    with Session(warroom.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.incident_id == incident_id)))


def _landings(warroom: Harness) -> set[str]:
    with Session(warroom.engine) as session:
        return set(session.exec(select(SlackMessage.key)))


def _handled(warroom: Harness, *, channel: str) -> int:
    """Declare in `channel`, approve the first draft, resolve; returns the incident's ID once all is delivered."""
    incident = warroom.declare("P2 Search is slow", channel=channel)
    assert incident.id is not None
    [first] = [e for e in warroom.entries() if e.incident_id == incident.id]
    approve(warroom, first.id or 0, by=LEAD, response=f"first{incident.id}")
    warroom.clock.advance(minutes=40)
    warroom.command("resolve The index was rebuilt.", channel=channel, response=f"resolve{incident.id}")
    resolution = warroom.wait_until(
        lambda: [e for e in warroom.entries() if e.incident_id == incident.id and e.kind == "resolution"]
    )[0]
    approve(warroom, resolution.id or 0, by=LEAD, response=f"resolved{incident.id}")
    warroom.fake.wait_for("chat.postMessage", channel=channel, where=lambda c: "Follow-ups for" in c.text)
    warroom.wait_until(lambda: all(row.state == DELIVERED for row in _rows(warroom, incident.id or 0)))
    return incident.id


def test_delivered_rows_go_after_the_retention_and_keyed_messages_are_still_updated_in_place(
    warroom: Harness,
) -> None:
    old = _handled(warroom, channel=WAR_ROOM)
    landed = _landings(warroom)
    warroom.clock.advance(days=14, hours=1)  # past the 14-day retention for the first incident
    recent = _handled(warroom, channel=OTHER_ROOM)
    still_open = warroom.declare("P3 Emails are delayed")

    warroom.clock.advance(minutes=11)  # the pruning job's next run
    cutoff = warroom.clock.now() - timedelta(days=14)

    def aged() -> list[OutboxMessage]:
        return [row for row in _rows(warroom, old) if row.delivered_at and row.delivered_at < cutoff]

    # The pruning job and the follow-up reminders run on their own clocks: wait for both to have acted.
    warroom.wait_until(lambda: not aged() and _rows(warroom, old), timeout=10)
    kept = _rows(warroom, old)
    assert kept and all(row.delivered_at is None or row.delivered_at >= cutoff for row in kept)
    assert "post" in {row.purpose for row in kept}, "the daily reminders since stay until they age"

    assert _rows(warroom, recent), "an incident resolved within the retention keeps its rows"
    assert landed <= _landings(warroom), "where each keyed message landed is kept"
    assert _rows(warroom, still_open.id or 0), "an open incident keeps its rows"

    click(warroom, "followup_postmortem_link", old, by=LEAD, response="postmortem")
    link = {"url": {"url_input": {"type": "url_text_input", "value": "https://wiki.example.com/pm/inc-1"}}}
    assert warroom.slack.view_submission(user=LEAD, view=opened_view(warroom), values=link).status == 200
    [update] = warroom.fake.wait_for(
        "chat.update", channel=WAR_ROOM, where=lambda c: "✅ *Postmortem:*" in c.text and f"INC-{old}" in c.text
    )
    assert "Follow-ups for" in update.text
    checklist = warroom.fake.received("chat.postMessage", where=lambda c: _key(c) == f"incident:{old}:follow_ups")
    assert len(checklist) == 1, "updated in place, not posted again"


def _key(call: Call) -> str:
    return str(((call.params.get("metadata") or {}).get("event_payload") or {}).get("key", ""))
