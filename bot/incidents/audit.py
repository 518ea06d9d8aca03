"""The trust audit: the six questions to ask after every significant incident, answered from the record.

Each answer is ✅ (passed), ❌ (failed) or ⏳ (pending: not yet due). The customer email and the credits are due
within customer_email_within of resolution (the email is where credits are offered), and the postmortem link by
the first daily reminder; until then a missing one is pending, never failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.incidents.severities import Verdict, credits_verdict
from bot.playbook import Playbook
from bot.render.text import clock_time, day_and_time, span
from bot.store.models import APPROVED, RESOLUTION, Entry, Incident
from bot.vocabulary import Check, Credits

OFFERED = Credits.OFFERED
NOT_OWED = Credits.NOT_OWED
PASSED = Check.PASSED
FAILED = Check.FAILED
PENDING = Check.PENDING


@dataclass(frozen=True)
class Answer:
    """One audit question, answered ✅, ❌ or ⏳ (not yet due), with the evidence."""

    question: str
    state: Check
    evidence: str

    @property
    def passed(self) -> bool:
        """True when answered ✅."""
        return self.state == PASSED


@dataclass(frozen=True)
class Audit:
    """The six answers and the metrics."""

    answers: list[Answer]
    metrics: list[tuple[str, str]]

    @property
    def passed(self) -> int:
        """How many questions were answered ✅."""
        return sum(answer.state == PASSED for answer in self.answers)

    @property
    def pending(self) -> int:
        """How many questions are not yet due."""
        return sum(answer.state == PENDING for answer in self.answers)


@dataclass(frozen=True)
class _Gap:
    at: datetime
    committed: datetime
    allowed: timedelta
    taken: timedelta


def credits_owed(playbook: Playbook, held: Mapping[str, timedelta]) -> Verdict:
    """The credits rule applied to the time spent at each severity (see bot.incidents.severities)."""
    slas = {name: severity.sla for name, severity in playbook.severities.items()}
    return credits_verdict(playbook.severity_names(), slas, held)


def follow_ups_due(incident: Incident, playbook: Playbook) -> datetime | None:
    """When the customer email and the credits decision are due: customer_email_within after resolution."""
    return incident.resolved_at + playbook.customer_email_within if incident.resolved_at else None


def needs_email(incident: Incident, playbook: Playbook) -> bool:
    """Incidents that lasted at least customer_email_min_duration owe customers an email."""
    return incident.resolved_at is not None and (
        incident.resolved_at - incident.declared_at >= playbook.customer_email_min_duration
    )


def audit(
    incident: Incident, entries: list[Entry], playbook: Playbook, *, held: Mapping[str, timedelta], now: datetime
) -> Audit:
    """Answer the trust audit for one incident from its entries, follow-ups and the time at each severity."""
    zone = playbook.zone
    updates = sorted((e for e in entries if e.state == APPROVED and e.decided_at), key=lambda e: e.decided_at or now)
    gaps = _gaps(incident, updates, playbook)
    answers = [
        _first_update(incident, updates, playbook),
        _on_schedule(gaps, zone),
        _resolved_post(incident, updates),
        _customer_email(incident, playbook, now=now),
        _credits(incident, playbook, credits_owed(playbook, held), now=now),
        _postmortem(incident, playbook, credits_owed(playbook, held).highest, now=now),
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


def approved_updates(entries: list[Entry]) -> list[Entry]:
    """The approved entries (updates and the resolution), in the order they were approved."""
    decided = [e for e in entries if e.state == APPROVED and e.decided_at is not None]
    return sorted(decided, key=lambda e: e.decided_at or e.drafted_at)


def lateness(incident: Incident, entries: list[Entry], playbook: Playbook) -> list[tuple[datetime, timedelta]]:
    """Each approved update's committed time, and how late it came after it (zero when on time)."""
    gaps = _gaps(incident, approved_updates(entries), playbook)
    return [(gap.committed, max(gap.at - gap.committed, timedelta(0))) for gap in gaps]


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
        return Answer(question, FAILED, "no update was ever approved")
    took = updates[0].decided_at - incident.declared_at
    return Answer(question, _state(took <= limit), f"posted {span(took)} after declaration; limit {span(limit)}")


def _on_schedule(gaps: list[_Gap], zone: ZoneInfo) -> Answer:
    question = "Did we update on schedule?"
    if not gaps:
        return Answer(question, FAILED, "no update was ever posted")
    late = [gap for gap in gaps if gap.at > gap.committed]
    if not late:
        return Answer(question, PASSED, f"all {len(gaps)} updates came by the time committed before them")
    details = "; ".join(
        f"the update due {clock_time(gap.committed, zone)} came {span(gap.at - gap.committed)} late" for gap in late[:3]
    )
    return Answer(question, FAILED, f"{len(late)} of {len(gaps)} late: {details}")


def _resolved_post(incident: Incident, updates: list[Entry]) -> Answer:
    question = "Did the resolved post include a cause and a timeline?"
    resolution = next((e for e in updates if e.kind == RESOLUTION), None)
    if resolution is None:
        if incident.resolved_at is None:
            return Answer(question, PENDING, "the incident is still open")
        return Answer(question, FAILED, "no resolved post was approved")
    if not (resolution.cause or "").strip():
        return Answer(question, FAILED, "the resolved post names no cause")
    return Answer(question, PASSED, f"start, end and duration, and the cause: “{resolution.cause}”")


def _customer_email(incident: Incident, playbook: Playbook, *, now: datetime) -> Answer:
    within = playbook.customer_email_within
    question = f"Did we send a customer email within {span(within)}?"
    due = follow_ups_due(incident, playbook)
    if incident.resolved_at is None or due is None:
        return Answer(question, PENDING, f"due within {span(within)} of resolution; the incident is still open")
    if not needs_email(incident, playbook):
        lasted = span(incident.resolved_at - incident.declared_at)
        return Answer(
            question, PASSED, f"not needed: it lasted {lasted}, under {span(playbook.customer_email_min_duration)}"
        )
    if incident.email_sent_at is None:
        if now < due:
            return Answer(question, PENDING, f"not sent yet; due by {clock_time(due, playbook.zone)}")
        return Answer(question, FAILED, f"not marked sent by {clock_time(due, playbook.zone)}, the deadline")
    took = incident.email_sent_at - incident.resolved_at
    return Answer(question, _state(took <= within), f"sent {span(took)} after resolution; limit {span(within)}")


def _credits(incident: Incident, playbook: Playbook, verdict: Verdict, *, now: datetime) -> Answer:
    question = "Did we offer credits for SLA violations?"
    if not verdict.owed:
        return Answer(question, PASSED, verdict.says())
    if incident.credits == OFFERED:
        return Answer(question, PASSED, f"offered; {verdict.says()}")
    if incident.credits == NOT_OWED:
        return Answer(question, FAILED, f"recorded as not owed, but {verdict.says()}")
    due = follow_ups_due(incident, playbook)
    if due is None:
        return Answer(
            question,
            PENDING,
            f"{verdict.says()}; offer them within {span(playbook.customer_email_within)} of resolution",
        )
    if now < due:
        return Answer(question, PENDING, f"{verdict.says()}; offer them by {clock_time(due, playbook.zone)}")
    return Answer(question, FAILED, f"not offered by {clock_time(due, playbook.zone)}; {verdict.says()}")


def _postmortem(incident: Incident, playbook: Playbook, highest: str, *, now: datetime) -> Answer:
    question = "Will we publish a postmortem?"
    severity = playbook.severity(highest)
    if severity is not None and not severity.postmortem:
        return Answer(question, PASSED, f"not needed for {highest}")
    if incident.postmortem_url:
        return Answer(question, PASSED, f"scheduled: {incident.postmortem_url}")
    if incident.resolved_at is None:
        return Answer(question, PENDING, "promised in the resolved post; the incident is still open")
    due = incident.resolved_at + playbook.postmortem_reminder_every
    if now < due:
        return Answer(question, PENDING, f"not linked yet; expected by {day_and_time(due, playbook.zone)}")
    return Answer(question, FAILED, "promised, but no postmortem link is recorded yet")


def _state(passed: bool) -> Check:
    return PASSED if passed else FAILED
