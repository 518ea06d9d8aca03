"""What Warroom says, and to whom: every message is rendered from the team's templates."""

from __future__ import annotations

from datetime import datetime

from bot.playbook import Playbook, Severity
from bot.render.blocks import Message, incident_card, nomination_prompt, text_message
from bot.render.templates import Templates
from bot.render.text import clock_time, day_and_time, span
from bot.store.models import Incident


class Notices:
    """Renders the messages of the incident flows."""

    def __init__(self, *, playbook: Playbook, templates: Templates) -> None:
        self.playbook = playbook
        self.templates = templates

    def _severity(self, name: str) -> Severity:
        severity = self.playbook.severity(name)
        assert severity is not None, f"severity {name} is not in the playbook"
        return severity

    def _text(self, template: str, **context: object) -> Message:
        return text_message(self.templates.render(template, **context))

    def card(self, incident: Incident) -> Message:
        """The incident card."""
        return incident_card(incident, self.playbook)

    def activation(self, incident: Incident) -> Message:
        """The mirror channel's activation notice for the support team lead."""
        severity = self._severity(incident.severity)
        return self._text(
            "activation.md.j2",
            ref=incident.ref,
            severity=incident.severity,
            label=severity.label,
            started=day_and_time(incident.declared_at, self.playbook.zone),
            first_update_due=clock_time(incident.next_update_due_at, self.playbook.zone),
            cadence=span(severity.cadence),
            authority=self.playbook.briefing.authority,
            escalate=self.playbook.briefing.escalate,
        )

    def nomination_prompt(self, incident: Incident) -> Message:
        """The lead's picker for the communicator."""
        prompt = self.templates.render(
            "nominate_prompt.md.j2",
            ref=incident.ref,
            due=clock_time(incident.next_update_due_at, self.playbook.zone),
        )
        return nomination_prompt(incident, prompt)

    def communicator_named(self, incident: Incident, *, by: str) -> Message:
        """The war room's announcement of the communicator."""
        return self._text(
            "communicator_named.md.j2",
            ref=incident.ref,
            communicator=incident.communicator_id,
            by=by,
            self_nominated=incident.communicator_id == incident.lead_id,
        )

    def communicator_briefing(self, incident: Incident, *, by: str, now: datetime) -> Message:
        """The DM that tells the nominee what the role is and what is due next."""
        severity = self._severity(incident.severity)
        return self._text(
            "communicator_dm.md.j2",
            ref=incident.ref,
            severity=incident.severity,
            label=severity.label,
            channel=incident.channel_id,
            by=by,
            cadence=span(severity.cadence),
            due=clock_time(incident.next_update_due_at, self.playbook.zone),
            due_in=_due_in(incident.next_update_due_at, now),
        )

    def severity_changed(self, incident: Incident, *, old: str, by: str, at: datetime) -> tuple[Message, Message]:
        """The war-room announcement and the mirror's one-line notice of a severity change."""
        before, after = self._severity(old), self._severity(incident.severity)
        context = {
            "ref": incident.ref,
            "old_severity": old,
            "old_label": before.label,
            "severity": incident.severity,
            "label": after.label,
            "cadence": span(after.cadence),
        }
        war_room = self._text(
            "severity_changed.md.j2", by=by, due=clock_time(incident.next_update_due_at, self.playbook.zone), **context
        )
        mirror = self._text("severity_changed_mirror.md.j2", at=clock_time(at, self.playbook.zone), **context)
        return war_room, mirror

    def help(self) -> str:
        """The usage message."""
        severities = [(name, severity.label) for name, severity in self.playbook.severities.items()]
        return self.templates.render("help.md.j2", severities=severities)


def _due_in(due: datetime, now: datetime) -> str:
    if due <= now:
        return f"overdue by {span(now - due)}"
    return f"in {span(due - now)}"
