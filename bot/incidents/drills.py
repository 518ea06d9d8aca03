"""Drills: the whole flow rehearsed for real, marked DRILL, and kept away from customers and the metrics.

A drill runs like any incident (communicator, drafts, approvals, mirror, cadence, follow-ups). Every message it owes
is marked DRILL by `Flows._owe`; nothing customer-facing may carry it (`Incident.customer_facing`,
`real_incidents()`). It ends with its report in the war room, and `/incident drills` compares the drills over time.
A real incident declared in a drill's channel stands the drill down: a real outage is never blocked by a rehearsal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.incidents import timeline
from bot.incidents.audit import Audit, approved_updates, lateness
from bot.incidents.flows import Flows
from bot.incidents.review import audited
from bot.playbook import Playbook
from bot.render.blocks import Message
from bot.render.drills import drill_report
from bot.render.text import clock_time, day_and_time, escape, span
from bot.store.models import Entry, Incident, TimelineEvent, drills
from bot.vocabulary import STOOD_DOWN, Event

LISTED = 20  # the newest drills `/incident drills` shows; older ones are counted


@dataclass(frozen=True)
class Scored:
    """A drill with its trust audit and its timings, as of when it was scored."""

    incident: Incident
    audit: Audit
    timings: list[tuple[str, str]]

    @property
    def score(self) -> str:
        """'5 of 6 checks passed, 1 not yet due'."""
        pending = f", {self.audit.pending} not yet due" if self.audit.pending else ""
        return f"{self.audit.passed} of {len(self.audit.answers)} checks passed{pending}"


def timings(
    incident: Incident, entries: list[Entry], events: list[TimelineEvent], playbook: Playbook, *, now: datetime
) -> list[tuple[str, str]]:
    """How fast the team was: to acknowledge publicly, to name the communicator, to write news; the cadence kept."""
    declared, zone = incident.declared_at, playbook.zone
    updates = approved_updates(entries)
    limit = playbook.acknowledge_within
    first = updates[0].decided_at if updates else None
    if first is None:
        acknowledged = f"no update was approved (limit {span(limit)})"
    else:
        verdict = "in time" if first - declared <= limit else "late"
        acknowledged = f"{span(first - declared)}, {verdict} (limit {span(limit)})"
    written = next((e.decided_at for e in updates if e.drafted_by or e.edited_by), None)
    end = incident.resolved_at or now
    return [
        ("Time to acknowledge publicly (the first approved update)", acknowledged),
        ("Time to name the communicator", _named(incident, events)),
        (
            "Time to the first approved update the team wrote",
            span(written - declared) if written else "none: only Warroom's own first draft was approved",
        ),
        ("Cadence kept", _cadence(incident, entries, playbook)),
        (
            "Declared, ended",
            f"{day_and_time(declared, zone)}, {clock_time(end, zone)} ({span(end - declared)})"
            if incident.resolved_at
            else f"{day_and_time(declared, zone)}, still open",
        ),
    ]


def _named(incident: Incident, events: list[TimelineEvent]) -> str:
    nominated = next((e.at for e in events if e.kind == Event.COMMUNICATOR_NOMINATED), None)
    if nominated is not None:
        return span(nominated - incident.declared_at)
    return "named when it was declared" if incident.communicator_id else "never named"


def _cadence(incident: Incident, entries: list[Entry], playbook: Playbook) -> str:
    late = lateness(incident, entries, playbook)
    if not late:
        return "no update was owed and approved"
    on_time = sum(by == timedelta(0) for _, by in late)
    committed, worst = max(late, key=lambda pair: pair[1])
    if worst == timedelta(0):
        return f"{on_time} of {len(late)} updates on time"
    due = clock_time(committed, playbook.zone)
    return f"{on_time} of {len(late)} updates on time; the worst came {span(worst)} late (due {due})"


def scored(
    session: Session, incident: Incident, playbook: Playbook, *, held: dict[str, timedelta], now: datetime
) -> Scored:
    """The drill's audit and timings as of `now`."""
    assert incident.id is not None
    entries = list(session.exec(select(Entry).where(Entry.incident_id == incident.id)))
    result = audited(session, incident, playbook, held=held, now=now)
    return Scored(
        incident, result, timings(incident, entries, timeline.events(session, incident.id), playbook, now=now)
    )


def report(drill: Scored) -> Message:
    """The drill report for the war room: the audit scored on the drill, then its timings."""
    incident = drill.incident
    title = f"Drill report for {incident.ref} ({incident.severity}): {drill.score}"
    answers = [(a.state, a.question, escape(a.evidence)) for a in drill.audit.answers]
    return drill_report(title=title, answers=answers, timings=[(name, escape(value)) for name, value in drill.timings])


class Drills(Flows):
    """Standing a drill down for a real incident, and the drills' scores over time."""

    def stand_down(self, session: Session, drill: Incident, *, by: str) -> None:
        """End `drill` (locked by the caller) because a real incident is being declared in its channel."""
        now = self._clock.now()
        drill.resolved_at, drill.status = now, STOOD_DOWN
        drill.audit_settled_at = now  # nothing left to settle: no resolution, no follow-ups
        session.add(drill)
        timeline.record(session, drill, Event.DRILL_STOOD_DOWN, by=by, at=now)
        notice = self._notices.plain(
            f"*{drill.ref} is stood down ({clock_time(now, self._playbook.zone)}): a real incident was declared in "
            "its war room, and it comes first.* The drill is over: no more reminders or follow-ups for it. "
            "`/incident drills` keeps its score."
        )
        self._owe(session, drill, notice)
        self._to_mirror(session, drill, notice, broadcast=True)
        self._refresh_card(session, drill)
        self._activate(session, drill)
        session.flush()  # the channel's one open incident is the real one from here on

    def past(self, *, limit: int = LISTED) -> tuple[list[Scored], int]:
        """The newest drills, newest first, each scored as of now; and how many older ones there are."""
        now = self._clock.now()
        with Session(self._engine) as session:
            newest = list(session.exec(drills().order_by(col(Incident.id).desc()).limit(limit)))
            total = session.exec(select(func.count()).select_from(drills().subquery())).one()
            shown = [
                scored(session, drill, self._playbook, held=self._held(session, drill), now=now) for drill in newest
            ]
        return shown, max(0, int(total) - len(shown))
