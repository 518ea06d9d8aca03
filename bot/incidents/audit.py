"""The trust audit: the six questions to ask after every significant incident, answered from the record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.playbook import Playbook
from bot.render.text import clock_time, span
from bot.store.models import APPROVED, RESOLUTION, Entry, Incident

OFFERED = "offered"
NOT_OWED = "not_owed"


@dataclass(frozen=True)
class Answer:
    """One audit question, answered ✅ or ❌, with the evidence."""

    question: str
    passed: bool
    evidence: str


@dataclass(frozen=True)
class Audit:
    """The six answers and the metrics."""

    answers: list[Answer]
    metrics: list[tuple[str, str]]

    @property
    def passed(self) -> int:
        """How many questions were answered ✅."""
        return sum(answer.passed for answer in self.answers)


@dataclass(frozen=True)
class _Gap:
    at: datetime
    committed: datetime
    allowed: timedelta
    taken: timedelta


def credits_owed(incident: Incident, playbook: Playbook, *, now: datetime) -> bool:
    """True when the outage lasted longer than its severity's SLA."""
    severity = playbook.severity(incident.severity)
    sla = severity.sla if severity else None
    return sla is not None and (incident.resolved_at or now) - incident.declared_at > sla


def needs_email(incident: Incident, playbook: Playbook) -> bool:
    """Incidents that lasted at least customer_email_min_duration owe customers an email."""
    return incident.resolved_at is not None and (
        incident.resolved_at - incident.declared_at >= playbook.customer_email_min_duration
    )


def audit(incident: Incident, entries: list[Entry], playbook: Playbook, *, now: datetime) -> Audit:
    """Answer the trust audit for one incident from its entries and follow-ups."""
    zone = playbook.zone
    updates = sorted((e for e in entries if e.state == APPROVED and e.decided_at), key=lambda e: e.decided_at or now)
    gaps = _gaps(incident, updates, playbook)
    answers = [
        _first_update(incident, updates, playbook),
        _on_schedule(gaps, zone),
        _resolved_post(updates),
        _customer_email(incident, playbook),
        _credits(incident, playbook, now=now),
        _postmortem(incident, playbook),
    ]
    on_time = sum(gap.at <= gap.committed for gap in gaps)
    longest = max(gaps, key=lambda gap: gap.taken, default=None)
    end = incident.resolved_at or now
    metrics = [
        (
            "Time to first update",
            span(updates[0].decided_at - incident.declared_at)
            if updates and updates[0].decided_at
            else "no update yet",
        ),
        ("Updates", str(len(updates))),
        ("Longest gap", f"{span(longest.taken)} against {span(longest.allowed)} committed" if longest else "none"),
        ("Updates on time", f"{on_time} of {len(gaps)} ({round(100 * on_time / len(gaps))}%)" if gaps else "none"),
        ("Duration", span(end - incident.declared_at) + ("" if incident.resolved_at else " so far")),
        ("Time to customer email", span(incident.email_sent_at - end) if incident.email_sent_at else "not sent"),
    ]
    return Audit(answers=answers, metrics=metrics)


def _gaps(incident: Incident, updates: list[Entry], playbook: Playbook) -> list[_Gap]:
    """Each public update against the time committed before it."""
    gaps: list[_Gap] = []
    committed = incident.declared_at + playbook.acknowledge_within
    previous = incident.declared_at
    for entry in updates:
        assert entry.decided_at is not None
        gaps.append(
            _Gap(
                at=entry.decided_at,
                committed=committed,
                allowed=committed - previous,
                taken=entry.decided_at - previous,
            )
        )
        previous = entry.decided_at
        if entry.next_update_due_at is not None:
            committed = entry.next_update_due_at
    return gaps


def _first_update(incident: Incident, updates: list[Entry], playbook: Playbook) -> Answer:
    limit = playbook.acknowledge_within
    question = f"Did we post an “Investigating” update within {span(limit)}?"
    if not updates or updates[0].decided_at is None:
        return Answer(question, False, "no update was ever approved")
    took = updates[0].decided_at - incident.declared_at
    return Answer(question, took <= limit, f"posted {span(took)} after declaration; limit {span(limit)}")


def _on_schedule(gaps: list[_Gap], zone: ZoneInfo) -> Answer:
    question = "Did we update on schedule?"
    if not gaps:
        return Answer(question, False, "no update was ever posted")
    late = [gap for gap in gaps if gap.at > gap.committed]
    if not late:
        return Answer(question, True, f"all {len(gaps)} updates came by the time committed before them")
    details = "; ".join(
        f"the update due {clock_time(gap.committed, zone)} came {span(gap.at - gap.committed)} late" for gap in late[:3]
    )
    return Answer(question, False, f"{len(late)} of {len(gaps)} late: {details}")


def _resolved_post(updates: list[Entry]) -> Answer:
    question = "Did the resolved post include a cause and a timeline?"
    resolution = next((e for e in updates if e.kind == RESOLUTION), None)
    if resolution is None:
        return Answer(question, False, "no resolved post was approved")
    if not (resolution.cause or "").strip():
        return Answer(question, False, "the resolved post names no cause")
    return Answer(question, True, f"start, end and duration, and the cause: “{resolution.cause}”")


def _customer_email(incident: Incident, playbook: Playbook) -> Answer:
    within = playbook.customer_email_within
    question = f"Did we send a customer email within {span(within)}?"
    if incident.resolved_at is None:
        return Answer(question, False, "the incident is not resolved yet")
    if not needs_email(incident, playbook):
        lasted = span(incident.resolved_at - incident.declared_at)
        return Answer(
            question, True, f"not needed: it lasted {lasted}, under {span(playbook.customer_email_min_duration)}"
        )
    if incident.email_sent_at is None:
        return Answer(question, False, "the customer email has not been marked sent")
    took = incident.email_sent_at - incident.resolved_at
    return Answer(question, took <= within, f"sent {span(took)} after resolution; limit {span(within)}")


def _credits(incident: Incident, playbook: Playbook, *, now: datetime) -> Answer:
    question = "Did we offer credits for SLA violations?"
    severity = playbook.severity(incident.severity)
    if severity is None or severity.sla is None:
        return Answer(question, True, f"{incident.severity} has no SLA in the playbook")
    lasted = (incident.resolved_at or now) - incident.declared_at
    if not credits_owed(incident, playbook, now=now):
        return Answer(question, True, f"no SLA breach: {span(lasted)} against an SLA of {span(severity.sla)}")
    if incident.credits == OFFERED:
        return Answer(question, True, f"offered: {span(lasted)} broke the SLA of {span(severity.sla)}")
    return Answer(question, False, f"owed but not offered: {span(lasted)} broke the SLA of {span(severity.sla)}")


def _postmortem(incident: Incident, playbook: Playbook) -> Answer:
    question = "Will we publish a postmortem?"
    severity = playbook.severity(incident.severity)
    if severity is not None and not severity.postmortem:
        return Answer(question, True, f"not needed for {incident.severity}")
    if incident.postmortem_url:
        return Answer(question, True, f"scheduled: {incident.postmortem_url}")
    return Answer(question, False, "promised, but no postmortem link is recorded yet")
