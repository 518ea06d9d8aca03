"""The incident's story: every timeline event as a line with its time, for Slack and for the postmortem."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.playbook import Playbook
from bot.render.text import clock_time, escape, is_user_id, mention
from bot.store.models import Incident, TimelineEvent
from bot.vocabulary import EntryKind, Event, Reminder

_SAID: dict[str, str] = {
    Event.DECLARED: "declared {severity} · {label}: {title}",
    Event.COMMUNICATOR_NOMINATED: "named {communicator} the communicator",
    Event.SEVERITY_CHANGED: "changed the severity from {old} to {new}",
    Event.DRAFTED: "drafted {what}: {text}",
    Event.EDITED: "edited a draft: {new}",
    Event.APPROVED: "approved ({phase}): {text}",
    Event.REJECTED: "rejected a draft{because}",
    Event.SUPERSEDED: "marked a draft superseded: a newer entry was approved",
    Event.CORRECTED: "corrected an entry: {new}",
    Event.RESOLVED: "resolved it; cause: {cause}",
    Event.REMINDER_SENT: "sent the {reminder} reminder for the update due {due}",
    Event.MIRROR_UNREACHABLE: "the mirror channel could not be reached ({error})",
    Event.WAR_ROOM_UNREACHABLE: "Warroom could not post in the war room ({error}); the lead was told how to invite it",
    Event.EMAIL_DRAFTED: "drafted the customer email",
    Event.EMAIL_SENT: "marked the customer email sent",
    Event.CREDITS_DECIDED: "recorded credits as {decision}",
    Event.EMAIL_PREVENTION_WRITTEN: "wrote what we are changing, for the customer email: {text}",
    Event.POSTMORTEM_LINKED: "added the postmortem link {url}",
    Event.FOLLOW_UP_REMINDED: "sent the {reminder} reminder",
    Event.IMPACT_PROPOSED: "proposed the public impact line: {text}",
    Event.IMPACT_APPROVED: "approved the public impact line: {text}",
    Event.COMPONENTS_CHANGED: "marked the components: {marks}",
    Event.DRILL_STOOD_DOWN: "stood the drill down: a real incident was declared in its channel",
}


_PEOPLE = {"communicator", "previous"}


@dataclass(frozen=True)
class Told:
    """One event, as plain text (for the Markdown file) and as Slack mrkdwn (people as mentions)."""

    text: str
    mrkdwn: str


def lines(incident: Incident, events: list[TimelineEvent], playbook: Playbook) -> list[Told]:
    """One line per event: '2026-11-22 14:02:00 · U123 declared P1 · Full outage: …'."""
    out = []
    for event in events:
        when = f"{event.at.astimezone(playbook.zone):%Y-%m-%d %H:%M:%S}"
        plain = _said(event, {key: str(value) for key, value in event.data.items()}, playbook.zone)
        slack = _said(event, {key: _slack(key, value) for key, value in event.data.items()}, playbook.zone)
        who = event.actor_id
        out.append(
            Told(
                text=f"{when} · {who or 'Warroom'} {plain}",
                mrkdwn=f"{when} · {mention(who) if who and is_user_id(who) else 'Warroom'} {slack}",
            )
        )
    return out


_READABLE: dict[str, str] = {
    Reminder.HEADS_UP: "heads-up",
    Reminder.OVERDUE: "overdue",
    Reminder.ESCALATION: "escalation",
    Reminder.CUSTOMER_EMAIL: "customer email",
    Reminder.POSTMORTEM: "postmortem",
}


def _said(event: TimelineEvent, data: dict[str, str], zone: ZoneInfo) -> str:
    data = {**data, "what": "the resolution" if data.get("entry_kind") == EntryKind.RESOLUTION else "an update"}
    data["because"] = f": {data['reason']}" if data.get("reason") else ""
    if "reminder" in data:
        data["reminder"] = _READABLE.get(data["reminder"], data["reminder"])
    if "due" in data:
        data["due"] = _clock(data["due"], zone)
    marked = event.data.get("components")
    if isinstance(marked, dict):
        data["marks"] = ", ".join(f"{name} · {str(status).replace('_', ' ')}" for name, status in marked.items())
    template = _SAID.get(event.kind, event.kind.replace("_", " "))
    try:
        return template.format(**data)
    except (KeyError, IndexError):
        return event.kind.replace("_", " ")


def _clock(iso: str, zone: ZoneInfo) -> str:
    """A recorded moment (ISO 8601, in UTC) as the playbook's clock time: '14:30 CET'."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return clock_time(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC), zone)


def _slack(key: str, value: object) -> str:
    if key in _PEOPLE and isinstance(value, str) and is_user_id(value):
        return mention(value)
    return escape(str(value))


def markdown(incident: Incident, story: list[Told], playbook: Playbook) -> str:
    """The timeline as a Markdown file, ready to paste into the postmortem."""
    header = [
        f"# {incident.ref} timeline: {incident.title}",
        "",
        f"- Severity: {incident.severity}",
        f"- Declared: {clock_time(incident.declared_at, playbook.zone)}",
    ]
    if incident.resolved_at:
        header.append(f"- Resolved: {clock_time(incident.resolved_at, playbook.zone)}")
    return "\n".join([*header, "", "| When | What |", "|---|---|", *(_row(told.text) for told in story)]) + "\n"


def _row(line: str) -> str:
    when, _, what = line.partition(" · ")
    cell = what.replace("|", r"\|")
    return f"| {when} | {cell} |"
