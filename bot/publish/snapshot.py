"""What the public side may show, read from the database in one pass: only public incidents, only approved words.

A Snapshot holds no internal text: no titles, no drafts, no rejected or superseded entries, no people. Pages, the
Statuspage-compatible API and the feeds are all rendered from it, so what one shows the others show too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.playbook import Playbook
from bot.store.models import APPROVED, RESOLUTION, Entry, Incident, TimelineEvent, public_incidents
from bot.store.public import IncidentComponent
from bot.vocabulary import COMPONENT_SEVERITY, ComponentStatus, Impact, Phase

HISTORY_DAYS = 90  # the resolved incidents the front page lists; each incident's own page stays for good
NEUTRAL_NAME = "Service disruption"  # an incident's public name before its impact line is approved
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PublicEntry:
    """One approved entry, as customers read it."""

    id: int
    status: Phase  # the incident's status this entry set (or kept)
    body: str
    created_at: datetime  # when it was approved
    updated_at: datetime  # when it was last corrected, else approved
    corrected: bool
    next_update_by: datetime | None
    changes: tuple[tuple[str, ComponentStatus, ComponentStatus], ...] = ()  # (component, old, new) it marked

    @property
    def key(self) -> str:
        """Its stable public id."""
        return f"upd-{self.id}"


@dataclass(frozen=True)
class PublicIncident:
    """One public incident with its approved entries, newest first."""

    number: int
    name: str  # the approved impact line, or a neutral name with the reference: never the internal title
    status: Phase
    impact: Impact
    started_at: datetime
    created_at: datetime  # its first approved entry: when customers first heard of it
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    entries: tuple[PublicEntry, ...]
    components: tuple[tuple[str, ComponentStatus], ...]  # its marks, in the playbook's order

    @property
    def ref(self) -> str:
        """The human reference, INC-<n>, which names its permanent page."""
        return f"INC-{self.number}"

    @property
    def key(self) -> str:
        """Its stable public id."""
        return f"inc-{self.number}"

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def next_update_by(self) -> datetime | None:
        """The committed time of the next update, while it is open."""
        return None if self.resolved else self.entries[0].next_update_by


@dataclass(frozen=True)
class PublicComponent:
    """A customer-facing component and its status now."""

    name: str
    position: int
    status: ComponentStatus
    created_at: datetime
    updated_at: datetime

    @property
    def key(self) -> str:
        """Its stable public id, from its name."""
        return "cmp-" + (re.sub(r"[^a-z0-9]+", "-", self.name.casefold()).strip("-") or "component")


@dataclass(frozen=True)
class Snapshot:
    """Everything the public side shows, as of one timeline event."""

    title: str
    logo_url: str | None
    zone: ZoneInfo
    base_url: str  # the public base URL, without a trailing slash
    event_id: int  # the newest timeline event when it was read: a newer one means it is stale
    now: datetime  # when it was read (for the history window only; never rendered)
    updated_at: datetime  # the last public change
    components: tuple[PublicComponent, ...]
    incidents: tuple[PublicIncident, ...]  # every public incident with an approved entry, newest first

    @property
    def active(self) -> tuple[PublicIncident, ...]:
        return tuple(incident for incident in self.incidents if not incident.resolved)

    @property
    def history(self) -> tuple[PublicIncident, ...]:
        """The incidents resolved in the last 90 days, newest first."""
        since = self.now - timedelta(days=HISTORY_DAYS)
        return tuple(i for i in self.incidents if i.resolved_at is not None and i.resolved_at >= since)

    @property
    def indicator(self) -> Impact:
        """The overall status, Statuspage's way: the worst of the open incidents' impacts and the components."""
        worst = 0
        for incident in self.active:
            worst = max(worst, list(Impact).index(incident.impact))
        for component in self.components:
            worst = max(worst, _COMPONENT_INDICATOR[component.status])
        return list(Impact)[worst]

    @property
    def description(self) -> str:
        return INDICATOR_DESCRIPTIONS[self.indicator]


INDICATOR_DESCRIPTIONS: dict[Impact, str] = {
    Impact.NONE: "All Systems Operational",
    Impact.MINOR: "Minor Service Outage",
    Impact.MAJOR: "Partial System Outage",
    Impact.CRITICAL: "Major System Outage",
}
_COMPONENT_INDICATOR: dict[ComponentStatus, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 0,
    ComponentStatus.DEGRADED_PERFORMANCE: 1,
    ComponentStatus.PARTIAL_OUTAGE: 2,
    ComponentStatus.MAJOR_OUTAGE: 3,
}


def latest_event_id(engine: Engine) -> int:
    """The newest timeline event's id (0 for none): every state change writes one, so a change means a rebuild."""
    with Session(engine) as session:
        return int(session.exec(select(func.max(TimelineEvent.id))).one() or 0)


def read_snapshot(engine: Engine, *, playbook: Playbook, clock: Clock, base_url: str) -> Snapshot:
    """Read everything public in one transaction (the event id first, so a change during the read rebuilds)."""
    with Session(engine) as session:
        event_id = int(session.exec(select(func.max(TimelineEvent.id))).one() or 0)
        incidents = {i.id: i for i in session.exec(public_incidents().order_by(col(Incident.id)))}
        ids = list(incidents)
        entries: dict[int, list[Entry]] = defaultdict(list)
        marks: dict[int, list[IncidentComponent]] = defaultdict(list)
        last_change = None
        if ids:
            approved = select(Entry).where(col(Entry.incident_id).in_(ids), col(Entry.state) == APPROVED)
            for entry in session.exec(approved.order_by(col(Entry.decided_at), col(Entry.id))):
                entries[entry.incident_id].append(entry)
            for mark in session.exec(select(IncidentComponent).where(col(IncidentComponent.incident_id).in_(ids))):
                marks[mark.incident_id].append(mark)
            events = select(func.max(TimelineEvent.at)).where(col(TimelineEvent.incident_id).in_(ids))
            last_change = session.exec(events).one()
    shown = [
        _incident(incident, entries[number], marks[number], playbook=playbook)
        for number, incident in incidents.items()
        if number is not None and entries[number]
    ]
    shown.sort(key=lambda incident: (incident.created_at, incident.number), reverse=True)
    open_marks = [mark for i in shown if not i.resolved for mark in marks[i.number]]
    all_marks = [mark for i in shown for mark in marks[i.number]]
    return Snapshot(
        title=playbook.status_page.title,
        logo_url=playbook.status_page.logo_url,
        zone=playbook.zone,
        base_url=base_url.rstrip("/"),
        event_id=event_id,
        now=clock.now(),
        updated_at=max([last_change or _EPOCH, *(incident.updated_at for incident in shown)]),
        components=_components(playbook.components, open_marks=open_marks, all_marks=all_marks),
        incidents=tuple(shown),
    )


def _incident(
    incident: Incident, entries: list[Entry], marks: list[IncidentComponent], *, playbook: Playbook
) -> PublicIncident:
    status = Phase.INVESTIGATING
    public: list[PublicEntry] = []
    monitoring_at = None
    order = {name: position for position, name in enumerate(playbook.components)}
    now: dict[str, ComponentStatus] = {}
    for entry in entries:
        changes = []
        for name, mark in sorted((entry.components or {}).items(), key=lambda pair: order.get(pair[0], 0)):
            if name in order and mark in tuple(ComponentStatus):
                old = now.get(name, ComponentStatus.OPERATIONAL)
                now[name] = ComponentStatus(mark)
                changes.append((name, old, now[name]))
        decided = entry.decided_at or entry.drafted_at
        if entry.kind == RESOLUTION:
            status = Phase.RESOLVED
        elif entry.phase in tuple(Phase) and entry.phase != Phase.RESOLVED:
            status = Phase(entry.phase)
        if status == Phase.MONITORING and monitoring_at is None:
            monitoring_at = decided
        public.append(
            PublicEntry(
                id=entry.id or 0,
                status=status,
                body=entry.text,
                created_at=decided,
                updated_at=entry.corrected_at or decided,
                corrected=entry.corrected_at is not None,
                next_update_by=entry.next_update_due_at,
                changes=tuple(changes),
            )
        )
    public.reverse()
    number = incident.id or 0
    known = [mark for mark in marks if mark.name in order and mark.status in tuple(ComponentStatus)]
    resolved_at = incident.resolved_at
    if resolved_at is not None:
        status = Phase.RESOLVED
    return PublicIncident(
        number=number,
        name=incident.impact or f"{NEUTRAL_NAME} ({incident.ref})",
        status=status,
        impact=playbook.impact_of(incident.severity),
        started_at=incident.declared_at,
        created_at=public[-1].created_at,
        updated_at=max(entry.updated_at for entry in public),
        monitoring_at=monitoring_at,
        resolved_at=resolved_at,
        entries=tuple(public),
        components=tuple(
            (mark.name, ComponentStatus(mark.status)) for mark in sorted(known, key=lambda m: order[m.name])
        ),
    )


def _components(
    names: list[str], *, open_marks: list[IncidentComponent], all_marks: list[IncidentComponent]
) -> tuple[PublicComponent, ...]:
    """Each component's status: the worst mark among the open public incidents, else operational."""
    worst: dict[str, ComponentStatus] = {}
    for mark in open_marks:
        if mark.status not in tuple(ComponentStatus):
            continue
        status = ComponentStatus(mark.status)
        if mark.name not in worst or COMPONENT_SEVERITY[status] > COMPONENT_SEVERITY[worst[mark.name]]:
            worst[mark.name] = status
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for mark in all_marks:
        first[mark.name] = min(first.get(mark.name, mark.updated_at), mark.updated_at)
        last[mark.name] = max(last.get(mark.name, mark.updated_at), mark.updated_at)
    return tuple(
        PublicComponent(
            name=name,
            position=position + 1,
            status=worst.get(name, ComponentStatus.OPERATIONAL),
            created_at=first.get(name, _EPOCH),
            updated_at=last.get(name, _EPOCH),
        )
        for position, name in enumerate(names)
    )
