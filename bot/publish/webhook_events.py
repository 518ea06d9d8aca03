"""Webhook events relayed from the timeline: which timeline events customers' endpoints hear of, and their JSON.

Every public change writes its timeline event in its own transaction; the relay (a tick, on every replica) turns
the new ones into `WebhookMessage` rows, one per subscribed endpoint. The unique (endpoint, timeline event) pair
makes it idempotent across replicas, and each endpoint's cursor makes a new endpoint start at the newest event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.playbook import Playbook
from bot.playbook_public import Webhook
from bot.store.db import session_scope
from bot.store.models import RESOLUTION, Entry, Incident, TimelineEvent
from bot.store.public import WebhookCursor, WebhookMessage
from bot.vocabulary import Credits, Event, Phase, WebhookEvent

BATCH = 500  # timeline events looked at per endpoint and tick
# A transaction that took its timeline id early may commit after a later one was relayed (PostgreSQL's sequences):
# each tick looks again at the events of the last minute among the last thousand ids, relaying any it missed.
LOOKBACK_IDS = 1000
LOOKBACK = timedelta(minutes=1)
TEST_EVENT = "webhook.test"
_STATE_KINDS = (
    Event.DECLARED,
    Event.SEVERITY_CHANGED,
    Event.IMPACT_APPROVED,
    Event.COMPONENTS_CHANGED,
    Event.APPROVED,
    Event.RESOLVED,
)

_KINDS: dict[str, WebhookEvent] = {
    Event.DECLARED: WebhookEvent.INCIDENT_DECLARED,
    Event.APPROVED: WebhookEvent.ENTRY_APPROVED,  # a resolution's approval also records RESOLVED, relayed on its own
    Event.CORRECTED: WebhookEvent.ENTRY_CORRECTED,  # only approved entries are corrected (drafts are EDITED)
    Event.COMPONENTS_CHANGED: WebhookEvent.COMPONENT_UPDATED,
    Event.RESOLVED: WebhookEvent.INCIDENT_RESOLVED,
    Event.EMAIL_SENT: WebhookEvent.FOLLOWUP_PUBLISHED,
    Event.CREDITS_DECIDED: WebhookEvent.FOLLOWUP_PUBLISHED,
}


def webhook_event(event: TimelineEvent) -> WebhookEvent | None:
    """The webhook event a timeline event is told as, if any."""
    if event.kind == Event.CREDITS_DECIDED and event.data.get("decision") != Credits.OFFERED:
        return None
    return _KINDS.get(event.kind)


def envelope(event_type: str, *, at: datetime, data: dict[str, Any]) -> str:
    """The body exactly as signed and sent: {"type", "timestamp", "data"}."""
    return json.dumps({"type": event_type, "timestamp": _iso(at), "data": data}, ensure_ascii=False)


def new_event_id() -> str:
    """A Standard Webhooks message id: the same on every retry of one event, never reused."""
    return f"msg_{uuid.uuid4().hex}"


class Payloads:
    """Builds each event's `data` from the store: the incident's public fields, and the entry or follow-up."""

    def __init__(self, *, playbook: Playbook, status_url: str | None) -> None:
        self._playbook = playbook
        self._status_url = status_url.rstrip("/") if status_url else None

    def data(self, session: Session, incident: Incident, event: TimelineEvent, kind: WebhookEvent) -> dict[str, Any]:
        """The `data` of the webhook event `kind` telling of `event`."""
        data = self.incident(session, incident, event)
        if kind in (WebhookEvent.ENTRY_APPROVED, WebhookEvent.ENTRY_CORRECTED):
            data["entry"] = self._entry(session, incident, event)
        elif kind == WebhookEvent.COMPONENT_UPDATED:
            data["changed"] = dict(event.data.get("components") or {})
        elif kind == WebhookEvent.FOLLOWUP_PUBLISHED:
            data["followup"] = self._followup(incident, event)
        return data

    def incident(self, session: Session, incident: Incident, event: TimelineEvent) -> dict[str, Any]:
        """The incident's public fields as of `event` (never its internal title, people or channel).

        The status, impact line, severity and component marks are read from the timeline up to the event's moment,
        so an event relayed late still tells what was true when it happened.
        """
        impact_line, status = None, str(Phase.INVESTIGATING)
        severity = str(event.data.get("severity") or incident.severity)
        marks: dict[str, str] = {}
        history = select(TimelineEvent).where(
            TimelineEvent.incident_id == incident.id,
            col(TimelineEvent.at) <= event.at,  # what its transaction did too (an approval applies the marks)
            col(TimelineEvent.kind).in_(_STATE_KINDS),
        )
        for earlier in session.exec(history.order_by(col(TimelineEvent.id))):
            if earlier.kind == Event.IMPACT_APPROVED:
                impact_line = earlier.data.get("text")
            elif earlier.kind == Event.COMPONENTS_CHANGED:
                marks.update(earlier.data.get("components") or {})
            elif earlier.kind in (Event.APPROVED, Event.RESOLVED):
                status = _status(earlier, incident)
            elif earlier.kind in (Event.DECLARED, Event.SEVERITY_CHANGED):
                severity = str(earlier.data.get("severity") or earlier.data.get("new") or severity)
        at = event.at
        resolved = incident.resolved_at if incident.resolved_at is not None and incident.resolved_at <= at else None
        return {
            "reference": incident.ref,
            "impact_line": impact_line,
            "status": status,
            "impact": str(self._playbook.impact_of(severity)),
            "components": dict(sorted(marks.items())),
            "started_at": _iso(incident.declared_at),
            "resolved_at": _iso(resolved),
            "url": f"{self._status_url}/incidents/{incident.ref}" if self._status_url else None,
        }

    def _entry(self, session: Session, incident: Incident, event: TimelineEvent) -> dict[str, Any]:
        entry = session.get(Entry, int(event.data["entry"]))
        assert entry is not None
        if event.kind == Event.APPROVED:
            body, status = str(event.data.get("text", entry.text)), _status(event, incident)
        else:
            body, status = str(event.data.get("new", entry.text)), self._approved_status(session, entry)
        return {
            "id": entry.id,
            "status": status,
            "body": body,
            "created_at": _iso(entry.decided_at),
            "next_update_by": _iso(entry.next_update_due_at),
        }

    def _approved_status(self, session: Session, entry: Entry) -> str:
        """The incident's status the entry published (its approval's), for a correction."""
        if entry.kind == RESOLUTION:
            return Phase.RESOLVED
        approvals = session.exec(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == entry.incident_id, TimelineEvent.kind == Event.APPROVED
            )
        )
        phase = next((str(e.data.get("phase")) for e in approvals if e.data.get("entry") == entry.id), None)
        return phase or entry.phase or Phase.INVESTIGATING

    def _followup(self, incident: Incident, event: TimelineEvent) -> dict[str, Any]:
        if event.kind == Event.EMAIL_SENT:
            return {"kind": "customer_email", "body": incident.email_text, "published_at": _iso(event.at)}
        return {"kind": "credits", "body": self._playbook.credits.policy, "published_at": _iso(event.at)}


class WebhookRelay:
    """The tick that turns new public timeline events into webhook messages, one per subscribed endpoint."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        playbook: Playbook,
        status_url: str | None,
        relayed: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._endpoints: Sequence[Webhook] = playbook.webhooks
        self._payloads = Payloads(playbook=playbook, status_url=status_url)
        self._relayed = relayed

    def enroll(self) -> None:
        """Give each endpoint seen for the first time a cursor at the newest timeline event (no history replayed)."""
        if not self._endpoints:
            return
        with session_scope(self._engine) as session:
            newest = session.exec(select(func.max(TimelineEvent.id))).one() or 0
            rows = [{"endpoint": hook.name, "started_after": newest, "relayed_to": newest} for hook in self._endpoints]
            session.execute(_insert_new(session, WebhookCursor, rows))

    def relay_now(self) -> int:
        """Relay what is new for every endpoint; returns how many webhook messages were written."""
        written = 0
        for hook in self._endpoints:
            with session_scope(self._engine) as session:
                written += self._relay(session, hook)
        if written:
            self._relayed()
        return written

    def _relay(self, session: Session, hook: Webhook) -> int:
        query = select(WebhookCursor).where(WebhookCursor.endpoint == hook.name).with_for_update()
        cursor = session.exec(query).first()
        newest = session.exec(select(func.max(TimelineEvent.id))).one() or 0
        if cursor is None:  # enroll() runs at start; an endpoint met here starts now too
            start = {"endpoint": hook.name, "started_after": newest, "relayed_to": newest}
            session.execute(_insert_new(session, WebhookCursor, [start]))
            return 0
        kinds = col(TimelineEvent.kind).in_([kind for kind, told in _KINDS.items() if told in hook.events])
        ids = col(TimelineEvent.id)
        fresh = list(
            session.exec(
                select(TimelineEvent).where(ids > cursor.relayed_to, ids <= newest, kinds).order_by(ids).limit(BATCH)
            )
        )
        events = self._late(session, hook, cursor, kinds) + fresh
        rows = self._messages(session, hook, events)
        if rows:
            session.execute(_insert_new(session, WebhookMessage, rows))
        cursor.relayed_to = max(cursor.relayed_to, newest if len(fresh) < BATCH else (fresh[-1].id or 0))
        session.add(cursor)
        return len(rows)

    def _late(self, session: Session, hook: Webhook, cursor: WebhookCursor, kinds: Any) -> list[TimelineEvent]:
        """Events of the last minute behind the cursor that no message tells of yet (committed after later ones)."""
        low, ids = max(cursor.started_after, cursor.relayed_to - LOOKBACK_IDS), col(TimelineEvent.id)
        recent = self._clock.now() - LOOKBACK
        query = select(TimelineEvent).where(ids > low, ids <= cursor.relayed_to, kinds, TimelineEvent.at >= recent)
        behind = list(session.exec(query.order_by(ids)))
        if not behind:
            return []
        told = select(WebhookMessage.timeline_event_id).where(
            WebhookMessage.endpoint == hook.name,
            col(WebhookMessage.timeline_event_id).in_([event.id for event in behind]),
        )
        done = set(session.exec(told))
        return [event for event in behind if event.id not in done]

    def _messages(self, session: Session, hook: Webhook, events: list[TimelineEvent]) -> list[dict[str, Any]]:
        ids = {e.incident_id for e in events}
        incidents = {i.id: i for i in session.exec(select(Incident).where(col(Incident.id).in_(ids)))} if ids else {}
        now, rows = self._clock.now(), []
        for event in events:
            kind, incident = webhook_event(event), incidents.get(event.incident_id)
            if kind is None or kind not in hook.events or incident is None or not incident.public:
                continue
            body = envelope(kind, at=event.at, data=self._payloads.data(session, incident, event, kind))
            rows.append(
                {
                    "incident_id": incident.id,
                    "endpoint": hook.name,
                    "timeline_event_id": event.id,
                    "event_type": str(kind),
                    "event_id": new_event_id(),
                    "body": body,
                    "created_at": now,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
        return rows


def ping_body(*, at: datetime, endpoint: str) -> str:
    """The body of `warroom webhooks test`: the envelope every event has, with no incident."""
    return envelope(TEST_EVENT, at=at, data={"endpoint": endpoint, "message": "A test event from Warroom."})


def _status(event: TimelineEvent, incident: Incident) -> str:
    if event.kind == Event.DECLARED:
        return Phase.INVESTIGATING
    if event.kind == Event.RESOLVED:
        return Phase.RESOLVED
    if event.kind == Event.APPROVED and event.data.get("phase"):
        return str(event.data["phase"])
    return incident.status


def _insert_new(session: Session, table: type[WebhookCursor] | type[WebhookMessage], rows: list[dict[str, Any]]) -> Any:
    """An INSERT that skips rows another replica wrote first (same cursor, same endpoint and timeline event)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(rows).on_conflict_do_nothing()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None
