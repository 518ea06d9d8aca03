"""The domain's words and limits, spelled once: the store, render and the domain all use these values.

A leaf module: it imports nothing from bot, so every layer may import it. The StrEnum values are the strings
stored in the database; a StrEnum member is a str, so rows written before these enums existed read the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    """An incident's status, which an approved entry moves."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


# The statuses an update may move an incident to; only the resolution (`/incident resolve`) moves it to resolved.
UPDATE_PHASES: tuple[Phase, ...] = (Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.MONITORING)

# The status of a drill stood down because a real incident was declared in its channel: over, but not resolved.
STOOD_DOWN = "stood down"

# The draft templates (templates/drafts/<name>.md.j2): one per phase, and the "no new information" update.
NO_NEW_INFORMATION = "no_new_information"
DRAFT_TEMPLATES: tuple[str, ...] = (*Phase, NO_NEW_INFORMATION)


class EntryState(StrEnum):
    """Where an update-feed entry stands."""

    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class EntryKind(StrEnum):
    """An update, or the resolution that closes the incident."""

    UPDATE = "update"
    RESOLUTION = "resolution"


class OutboxState(StrEnum):
    """Where a message owed to Slack stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Event(StrEnum):
    """The kinds of timeline event."""

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
    REMINDER_SENT = "reminder_sent"
    MIRROR_UNREACHABLE = "mirror_unreachable"
    WAR_ROOM_UNREACHABLE = "war_room_unreachable"
    IMPACT_PROPOSED = "impact_proposed"
    IMPACT_APPROVED = "impact_approved"
    EMAIL_DRAFTED = "email_drafted"
    EMAIL_SENT = "email_sent"
    CREDITS_DECIDED = "credits_decided"
    EMAIL_PREVENTION_WRITTEN = "email_prevention_written"
    POSTMORTEM_LINKED = "postmortem_linked"
    FOLLOW_UP_REMINDED = "follow_up_reminded"
    DRILL_STOOD_DOWN = "drill_stood_down"
    COMPONENTS_CHANGED = "components_changed"  # data: {"components": {name: status}, the marks that changed}


class Reminder(StrEnum):
    """The reminders Warroom sends: the cadence's three, and the follow-ups' two."""

    HEADS_UP = "heads_up"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    CUSTOMER_EMAIL = "customer_email"
    POSTMORTEM = "postmortem"


class Credits(StrEnum):
    """The communicator's decision on service credits."""

    OFFERED = "offered"
    NOT_OWED = "not_owed"


class Check(StrEnum):
    """One trust-audit question's answer."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"


# Limits on what people type, in characters. The store's columns and the modals' inputs use the same numbers.
TITLE_LIMIT = 150  # an incident's title (internal, never shown to customers)
ENTRY_TEXT_LIMIT = 1000  # an update: two or three sentences
CAUSE_LIMIT = 300  # the resolution's cause: one honest sentence
REASON_LIMIT = 300  # why a draft was rejected
IMPACT_LIMIT = 200  # the public impact line: one sentence
PREVENTION_LIMIT = 400  # what is changing so it does not happen again, for the customer email
POSTMORTEM_URL_LIMIT = 500  # the postmortem link


# What the domain says to a person is plain text; the people and channels it names are references that render
# turns into mentions (and only those: the text around them is escaped).
@dataclass(frozen=True)
class User:
    """A Slack user named in plain text."""

    id: str

    @property
    def reference(self) -> str:
        """How Slack writes a mention of them."""
        return f"<@{self.id}>"


@dataclass(frozen=True)
class Channel:
    """A Slack channel named in plain text."""

    id: str

    @property
    def reference(self) -> str:
        """How Slack writes a link to it."""
        return f"<#{self.id}>"


Said = str | User | Channel


class ComponentStatus(StrEnum):
    """A customer-facing component's status, in Atlassian Statuspage's values (worst last)."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"


# How bad each status is, to show the worst of several open incidents' marks on one component.
COMPONENT_SEVERITY: dict[ComponentStatus, int] = {status: rank for rank, status in enumerate(ComponentStatus)}


class Impact(StrEnum):
    """An incident's impact, in Statuspage's values, mapped from its severity by the playbook."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class WebhookEvent(StrEnum):
    """What a webhook endpoint may subscribe to."""

    INCIDENT_DECLARED = "incident.declared"
    ENTRY_APPROVED = "entry.approved"
    ENTRY_CORRECTED = "entry.corrected"
    COMPONENT_UPDATED = "component.updated"
    INCIDENT_RESOLVED = "incident.resolved"
    FOLLOWUP_PUBLISHED = "followup.published"
