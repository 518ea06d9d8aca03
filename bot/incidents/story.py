"""The incident's story: every timeline event as a line with its time, for Slack and for the postmortem."""

from __future__ import annotations

from dataclasses import dataclass

from bot.playbook import Playbook
from bot.render.text import clock_time, escape, is_user_id, mention
from bot.store.models import Incident, TimelineEvent

_SAID = {
    "declared": "declared {severity} · {label}: {title}",
    "communicator_nominated": "named {communicator} the communicator",
    "severity_changed": "changed the severity from {old} to {new}",
    "drafted": "drafted {what}: {text}",
    "edited": "edited a draft: {new}",
    "approved": "approved ({phase}): {text}",
    "rejected": "rejected a draft{because}",
    "superseded": "marked a draft superseded: a newer entry was approved",
    "corrected": "corrected an entry: {new}",
    "resolved": "resolved it; cause: {cause}",
    "reminder_sent": "sent the {reminder} reminder for the update due {due}",
    "mirror_unreachable": "the mirror channel could not be reached ({error})",
    "war_room_unreachable": "Warroom could not post in the war room ({error}); the lead was told how to invite it",
    "email_drafted": "drafted the customer email",
    "email_sent": "marked the customer email sent",
    "credits_decided": "recorded credits as {decision}",
    "email_prevention_written": "wrote what we are changing, for the customer email: {text}",
    "postmortem_linked": "added the postmortem link {url}",
    "follow_up_reminded": "sent the {reminder} reminder",
    "impact_proposed": "proposed the public impact line: {text}",
    "impact_approved": "approved the public impact line: {text}",
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
        plain = _said(event, {key: str(value) for key, value in event.data.items()})
        slack = _said(event, {key: _slack(key, value) for key, value in event.data.items()})
        who = event.actor_id
        out.append(
            Told(
                text=f"{when} · {who or 'Warroom'} {plain}",
                mrkdwn=f"{when} · {mention(who) if who and is_user_id(who) else 'Warroom'} {slack}",
            )
        )
    return out


_READABLE = {
    "heads_up": "heads-up",
    "overdue": "overdue",
    "escalation": "escalation",
    "customer_email": "customer email",
    "postmortem": "postmortem",
}


def _said(event: TimelineEvent, data: dict[str, str]) -> str:
    data = {**data, "what": "the resolution" if data.get("entry_kind") == "resolution" else "an update"}
    data["because"] = f": {data['reason']}" if data.get("reason") else ""
    if "reminder" in data:
        data["reminder"] = _READABLE.get(data["reminder"], data["reminder"])
    if "due" in data:
        data["due"] = data["due"][11:16] + " UTC" if len(data["due"]) >= 16 else data["due"]
    template = _SAID.get(event.kind, event.kind.replace("_", " "))
    try:
        return template.format(**data)
    except (KeyError, IndexError):
        return event.kind.replace("_", " ")


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
