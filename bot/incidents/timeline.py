"""The append-only timeline: every state change writes its event in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.store.models import Incident, TimelineEvent
from bot.vocabulary import Event


def record(session: Session, incident: Incident, kind: Event, *, by: str | None, at: datetime, **data: Any) -> None:
    """Append one event to the incident's timeline."""
    assert incident.id is not None
    session.add(TimelineEvent(incident_id=incident.id, at=at, actor_id=by, kind=kind, data=data))


def events(session: Session, incident_id: int) -> list[TimelineEvent]:
    """The incident's timeline, oldest first."""
    query = select(TimelineEvent).where(TimelineEvent.incident_id == incident_id).order_by(col(TimelineEvent.id))
    return list(session.exec(query))
