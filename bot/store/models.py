"""The tables: incidents, their append-only timeline, and the outbox of messages owed to Slack."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Text, false, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.vocabulary import POSTMORTEM_URL_LIMIT, TITLE_LIMIT, EntryKind, EntryState, OutboxState


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC as a naive timestamp on every backend and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, the same on SQLite and PostgreSQL."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


POSTMORTEM_OWED = "resolved_at IS NOT NULL AND postmortem_url IS NULL"
AUDIT_UNSETTLED = "resolved_at IS NOT NULL AND audit_settled_at IS NULL"


class Incident(SQLModel, table=True):
    """An incident and its war-room channel; at most one open incident per channel."""

    __tablename__ = "incident"
    __table_args__ = (
        Index(
            "uq_incident_open_channel",
            "channel_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        # The hot queries' indexes are partial, and the queries spell out the same condition as a literal, so
        # the planner picks them whatever the statistics say (a bound parameter could not prove the condition).
        Index("ix_incident_open", "id", **_where("resolved_at IS NULL")),  # open ones in ID order, never a scan
        Index("ix_incident_open_due", "next_update_due_at", **_where("resolved_at IS NULL")),
        Index(
            "ix_incident_email_owed",
            "resolved_at",
            **_where("email_text IS NOT NULL AND email_sent_at IS NULL AND email_reminded_at IS NULL"),
        ),
        Index("ix_incident_postmortem_owed", "resolved_at", **_where(POSTMORTEM_OWED)),
        Index("ix_incident_audit_unsettled", "resolved_at", **_where(AUDIT_UNSETTLED)),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    title: str = Field(sa_column=Column(String(TITLE_LIMIT), nullable=False))
    severity: str = Field(sa_column=Column(String(10), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    lead_id: str = Field(sa_column=Column(String(32), nullable=False))
    communicator_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    declared_at: datetime = _when()
    next_update_due_at: datetime = _when()
    resolved_at: datetime | None = _when(nullable=True)
    last_update_at: datetime | None = _when(nullable=True)
    mirror_alerted: bool = Field(default=False)
    # The due time each cadence reminder was last sent for: a reminder is owed while it differs from
    # next_update_due_at, and claiming it is the UPDATE that sets it (exactly once across replicas).
    heads_up_sent_for: datetime | None = _when(nullable=True)
    overdue_sent_for: datetime | None = _when(nullable=True)
    escalated_for: datetime | None = _when(nullable=True)
    # After the outage: the follow-ups that keep trust.
    email_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    email_sent_at: datetime | None = _when(nullable=True)
    email_sent_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    email_reminded_at: datetime | None = _when(nullable=True)
    credits: str | None = Field(default=None, sa_column=Column(String(12), nullable=True))
    credits_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    credits_at: datetime | None = _when(nullable=True)
    postmortem_url: str | None = Field(default=None, sa_column=Column(String(POSTMORTEM_URL_LIMIT), nullable=True))
    postmortem_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    postmortem_at: datetime | None = _when(nullable=True)
    postmortem_reminded_at: datetime | None = _when(nullable=True)
    # The public impact line, in customers' words: proposed by anyone, public only once the approver approved it.
    impact: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    impact_proposed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    impact_proposed_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    # The communicator's sentence on what is being done to prevent it, for the customer email.
    email_prevention: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # When the follow-ups' deadline passed and the checklist and audit were refreshed to say so (claimed once).
    audit_settled_at: datetime | None = _when(nullable=True)
    # A rehearsal: the whole flow runs, every message says DRILL, and nothing reaches customers or the metrics.
    drill: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # Internal only: Slack and the mirror as usual, but never the status page, the API, the feeds or webhooks.
    internal: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # Component marks proposed by someone other than the approver, applied with the next approval: {name: status}.
    components_proposed: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    @property
    def ref(self) -> str:
        """The human reference, INC-<id>."""
        return f"INC-{self.id}"

    @property
    def customer_facing(self) -> bool:
        """Whether anything customers see (status page, feeds, webhooks, emails) may carry it: never a drill."""
        return not self.drill

    @property
    def public(self) -> bool:
        """Whether the public outputs (status page, API, feeds, webhooks) show it: not a drill, not internal."""
        return not self.drill and not self.internal


def real_incidents() -> SelectOfScalar[Incident]:
    """Incidents customers may hear about and metrics count: every one but the drills."""
    return select(Incident).where(col(Incident.drill).is_(False))


def public_incidents() -> SelectOfScalar[Incident]:
    """Incidents the public outputs show: neither drills nor internal-only ones."""
    return select(Incident).where(col(Incident.drill).is_(False), col(Incident.internal).is_(False))


def drills() -> SelectOfScalar[Incident]:
    """The drills only."""
    return select(Incident).where(col(Incident.drill).is_(True))


class TimelineEvent(SQLModel, table=True):
    """One thing that happened to an incident: who did what, when. Never updated or deleted."""

    __tablename__ = "timeline_event"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    at: datetime = _when()
    actor_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# The names the store's callers import; the values are spelled once, in bot/vocabulary.py.
PENDING = OutboxState.PENDING
DELIVERED = OutboxState.DELIVERED
FAILED = OutboxState.FAILED

LAST_ERROR_LIMIT = 200  # the characters of Slack's last refusal kept on an outbox row


class OutboxMessage(SQLModel, table=True):
    """A message owed to Slack, written in the same transaction as the change that owes it.

    `channel_id` orders delivery; `user_id` makes it an ephemeral message for that user; `message_key` makes it
    an upsert of one logical message (posted the first time, updated after); `link_key` asks for a permalink to
    another keyed message to be added when it is delivered.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_pending", "id", **_where("state = 'pending'")),  # the oldest pending first, never a scan
        Index("ix_outbox_pending_channel", "channel_id", "id", **_where("state = 'pending'")),
        Index("ix_outbox_pending_key", "message_key", **_where("state = 'pending'")),
        Index("ix_outbox_delivered_at", "delivered_at", **_where("state = 'delivered'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    user_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    purpose: str = Field(sa_column=Column(String(40), nullable=False))
    message_key: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    link_key: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    # Post as a reply in the thread of this keyed message (top level if it never landed); `broadcast` also
    # shows the reply in the channel (Slack's reply_broadcast).
    thread_key: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    broadcast: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    text: str = Field(sa_column=Column(Text, nullable=False))
    blocks: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # A file upload (purpose "upload") shares this file; `text` is its initial comment, `user_id` who asked for it
    # (told by DM if Slack refuses the file for good). `file_id` is the upload an attempt reserved, recorded
    # before it is shared, so that a share whose answer was lost is found in the channel rather than repeated.
    file_name: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    file_title: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    file_content: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    file_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    created_at: datetime = _when()
    state: str = Field(default=PENDING, sa_column=Column(String(12), nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _when()
    claimed_until: datetime | None = _when(nullable=True)
    delivered_at: datetime | None = _when(nullable=True)
    ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(String(LAST_ERROR_LIMIT), nullable=True))


DRAFT = EntryState.DRAFT
APPROVED = EntryState.APPROVED
REJECTED = EntryState.REJECTED
SUPERSEDED = EntryState.SUPERSEDED
UPDATE = EntryKind.UPDATE
RESOLUTION = EntryKind.RESOLUTION


class Entry(SQLModel, table=True):
    """An update-feed entry: drafted by anyone, approved (or rejected) by the communicator.

    `phase` moves the incident's status when the entry is approved; None keeps the status it has then.
    """

    __tablename__ = "entry"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(default=UPDATE, sa_column=Column(String(12), nullable=False))
    phase: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    text: str = Field(sa_column=Column(Text, nullable=False))
    cause: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    state: str = Field(default=DRAFT, sa_column=Column(String(12), nullable=False))
    drafted_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    drafted_at: datetime = _when()
    edited_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    edited_at: datetime | None = _when(nullable=True)
    decided_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    decided_at: datetime | None = _when(nullable=True)
    next_update_due_at: datetime | None = _when(nullable=True)
    corrected_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    corrected_at: datetime | None = _when(nullable=True)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # why it was rejected
    superseded_by: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))  # the newer entry
    # The components this entry marks, applied when it is approved: {name: Statuspage status}.
    components: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SlackMessage(SQLModel, table=True):
    """Where a keyed message landed in Slack, so that it is updated in place and never posted twice."""

    __tablename__ = "slack_message"

    key: str = Field(sa_column=Column(String(80), primary_key=True))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    ts: str = Field(sa_column=Column(String(32), nullable=False))
    posted_at: datetime = _when()


class MirrorBriefing(SQLModel, table=True):
    """A version of the support team's briefing posted in full in the mirror, and the activation that carried it."""

    __tablename__ = "mirror_briefing"

    digest: str = Field(sa_column=Column(String(64), primary_key=True))
    incident_id: int = Field(foreign_key="incident.id")
    posted_at: datetime = _when()
