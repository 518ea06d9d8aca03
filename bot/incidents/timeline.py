"""The append-only timeline: every state change writes its event in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.store.models import Incident, TimelineEvent

DECLARED = "declared"
COMMUNICATOR_NOMINATED = "communicator_nominated"
SEVERITY_CHANGED = "severity_changed"
DRAFTED = "drafted"
EDITED = "edited"
APPROVED = "approved"
REJECTED = "rejected"
SUPERSEDED = "superseded"
CORRECTED = "corrected"
RESOLVED = "resolved"
MIRROR_UNREACHABLE = "mirror_unreachable"
WAR_ROOM_UNREACHABLE = "war_room_unreachable"
IMPACT_PROPOSED = "impact_proposed"
IMPACT_APPROVED = "impact_approved"


def record(session: Session, incident: Incident, kind: str, *, by: str | None, at: datetime, **data: Any) -> None:
    """Append one event to the incident's timeline."""
    assert incident.id is not None
    session.add(TimelineEvent(incident_id=incident.id, at=at, actor_id=by, kind=kind, data=data))


def events(session: Session, incident_id: int) -> list[TimelineEvent]:
    """The incident's timeline, oldest first."""
    query = select(TimelineEvent).where(TimelineEvent.incident_id == incident_id).order_by(col(TimelineEvent.id))
    return list(session.exec(query))
