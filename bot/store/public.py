"""The public side's tables: each incident's marks on the customer-facing components, and the webhook events owed
to endpoints (relayed from the timeline, whose newest event id also tells the status page to rebuild its
snapshot)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models import LAST_ERROR_LIMIT, PENDING, _when, _where


class IncidentComponent(SQLModel, table=True):
    """How one incident affects one component (a Statuspage status), as its last approval set it.

    A component's public status is the worst mark among the public incidents still open; resolving an incident
    returns its marks to operational.
    """

    __tablename__ = "incident_component"
    __table_args__ = (UniqueConstraint("incident_id", "name", name="uq_incident_component"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    name: str = Field(sa_column=Column(String(60), nullable=False))
    status: str = Field(sa_column=Column(String(24), nullable=False))
    updated_at: datetime = _when()


class WebhookMessage(SQLModel, table=True):
    """An event owed to a webhook endpoint, written in the transaction that caused it.

    Relayed from the timeline (every public change writes its timeline event in its own transaction), then
    delivered in order per endpoint by its own worker, never by the Slack worker: a dead endpoint delays nothing
    else. `event_id` is the Standard Webhooks `webhook-id`, the same on every retry, so receivers de-duplicate.
    """

    __tablename__ = "webhook_message"
    __table_args__ = (
        UniqueConstraint("endpoint", "timeline_event_id", name="uq_webhook_endpoint_event"),
        Index("ix_webhook_pending_endpoint", "endpoint", "id", **_where("state = 'pending'")),
        Index("ix_webhook_delivered_at", "delivered_at", **_where("state = 'delivered'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))
    endpoint: str = Field(sa_column=Column(String(40), nullable=False))
    # The timeline event it tells of (None for `warroom webhooks test`): relayed once per endpoint, by any replica.
    timeline_event_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    event_type: str = Field(sa_column=Column(String(40), nullable=False))
    event_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    body: str = Field(sa_column=Column(Text, nullable=False))  # the JSON payload, exactly as signed and sent
    created_at: datetime = _when()
    state: str = Field(default=PENDING, sa_column=Column(String(12), nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _when()
    claimed_until: datetime | None = _when(nullable=True)
    delivered_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(String(LAST_ERROR_LIMIT), nullable=True))


class WebhookCursor(SQLModel, table=True):
    """How far the timeline has been relayed to one webhook endpoint: a new endpoint starts at the newest event,
    never replaying history; every replica's relay moves it in the transaction that writes the messages."""

    __tablename__ = "webhook_cursor"

    endpoint: str = Field(sa_column=Column(String(40), primary_key=True))
    started_after: int = Field(default=0)  # the newest timeline event when the endpoint first appeared
    relayed_to: int = Field(default=0)  # the newest timeline event looked at for it
