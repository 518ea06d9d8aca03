"""The incident's story: every timeline event as a line with its time, for Slack and for the postmortem."""

from __future__ import annotations

from bot.playbook import Playbook
from bot.render.text import clock_time
from bot.store.models import Incident, TimelineEvent

_SAID = {
    "declared": "declared {severity} · {label}: {title}",
    "communicator_nominated": "named {communicator} the communicator",
    "severity_changed": "changed the severity from {old} to {new}",
    "drafted": "drafted an update: {text}",
    "edited": "edited a draft: {new}",
    "approved": "approved ({phase}): {text}",
    "rejected": "rejected a draft",
    "corrected": "corrected an entry: {new}",
    "resolved": "resolved it; cause: {cause}",
    "reminder_sent": "reminder sent: {reminder} for the update due {due}",
    "mirror_unreachable": "the mirror channel could not be reached ({error})",
    "email_drafted": "the customer email was drafted",
    "email_sent": "marked the customer email sent",
    "credits_decided": "recorded credits as {decision}",
    "postmortem_linked": "added the postmortem link {url}",
    "follow_up_reminded": "reminder sent: {reminder}",
}


def lines(incident: Incident, events: list[TimelineEvent], playbook: Playbook) -> list[str]:
    """One plain-text line per event: '14:02 UTC · U123 declared P1 · Full outage: …'."""
    out = []
    for event in events:
        template = _SAID.get(event.kind, event.kind.replace("_", " "))
        try:
            said = template.format(**event.data)
        except (KeyError, IndexError):
            said = event.kind.replace("_", " ")
        who = event.actor_id or "Warroom"
        out.append(f"{event.at.astimezone(playbook.zone):%Y-%m-%d %H:%M:%S} · {who} {said}")
    return out


def markdown(incident: Incident, story: list[str], playbook: Playbook) -> str:
    """The timeline as a Markdown file, ready to paste into the postmortem."""
    header = [
        f"# {incident.ref} timeline: {incident.title}",
        "",
        f"- Severity: {incident.severity}",
        f"- Declared: {clock_time(incident.declared_at, playbook.zone)}",
    ]
    if incident.resolved_at:
        header.append(f"- Resolved: {clock_time(incident.resolved_at, playbook.zone)}")
    return "\n".join([*header, "", "| When | What |", "|---|---|", *(_row(line) for line in story)]) + "\n"


def _row(line: str) -> str:
    when, _, what = line.partition(" · ")
    cell = what.replace("|", r"\|")
    return f"| {when} | {cell} |"
