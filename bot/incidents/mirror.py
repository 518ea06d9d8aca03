"""What the support team's mirror hears: fixed templates filled with approved content, one thread per incident.

Every message here names the incident (INC-n) and carries its approved impact line; none carries the internal
title or any text from the war room that the communicator has not approved.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.incidents.errors import UserError
from bot.playbook import Playbook, Severity
from bot.render.blocks import Message, text_message
from bot.render.templates import Templates
from bot.render.text import clock_time, day_and_time, span
from bot.store.models import Entry, Incident
from bot.vocabulary import IMPACT_LIMIT

_SECOND_SENTENCE = re.compile(r"[.!?]\s+[A-Z]")  # "U.S. customers" is one sentence; "Fails. We are" is two


def clean_impact(text: str) -> str | None:
    """The impact line as stored (one line, no closing full stop), or None for an empty one."""
    line = " ".join(text.split()).rstrip(".").rstrip()
    return line or None


def impact_problem(line: str) -> str | None:
    """Why `line` can't be the public impact line, or None."""
    if len(line) > IMPACT_LIMIT:
        return (
            f"The impact line is {len(line)} characters; keep it to one sentence of {IMPACT_LIMIT} or fewer, "
            "in customers' words: “Checkout and card payments fail for all customers in the EU”."
        )
    if _SECOND_SENTENCE.search(line):
        return (
            "The impact line is one sentence, in customers' words: what fails, and for whom "
            "(“Checkout and card payments fail for all customers in the EU”). Put the rest in an update."
        )
    return None


def check_impact(text: str, *, field: str | None = None) -> str:
    """The impact line as stored, or a UserError saying how to write one."""
    line = clean_impact(text)
    if line is None:
        raise UserError(
            "Say what customers can't do, in their words: "
            "`/incident impact Checkout and card payments fail for all customers in the EU`.",
            field=field,
        )
    problem = impact_problem(line)
    if problem is not None:
        raise UserError(problem, field=field)
    return line


class MirrorNotices:
    """Renders the mirror's messages from the team's templates."""

    def __init__(self, *, playbook: Playbook, templates: Templates) -> None:
        self.playbook = playbook
        self.templates = templates

    def _severity(self, name: str) -> Severity:
        severity = self.playbook.severity(name)
        assert severity is not None, f"severity {name} is not in the playbook"
        return severity

    def _render(self, template: str, incident: Incident, **context: object) -> Message:
        return text_message(self.templates.render(template, ref=incident.ref, impact=incident.impact, **context))

    def activation(self, incident: Incident, *, declared_as: str, briefing_from: str | None) -> Message:
        """The activation notice, the parent of the incident's thread, in the tone of the incident's severity now.

        `briefing_from` names the incident whose activation carried the briefing still in force; None posts it here.
        """
        severity = incident.severity
        level = self._severity(severity)
        briefing = self.playbook.briefing
        contacts = briefing.escalate_to
        return self._render(
            "activation.md.j2",
            incident,
            severity=severity,
            label=level.label,
            tone=level.tone,
            declared_as=declared_as if declared_as != severity else None,
            resolved=clock_time(incident.resolved_at, self.playbook.zone) if incident.resolved_at else None,
            started=day_and_time(incident.declared_at, self.playbook.zone),
            first_update_due=clock_time(_first_due(incident, self.playbook), self.playbook.zone),
            cadence=span(level.cadence),
            briefing_from=briefing_from,
            authority=briefing.authority,
            escalate=briefing.escalate,
            escalate_group=contacts.group if contacts else None,
            escalate_people=contacts.people if contacts else [],
            escalate_email=contacts.email if contacts else None,
            lead=incident.lead_id,
            drill=incident.drill,
        )

    def severity_changed(self, incident: Incident, *, old: str, at: datetime) -> Message:
        """The severity change, in the incident's thread."""
        before, after = self._severity(old), self._severity(incident.severity)
        return self._render(
            "severity_changed_mirror.md.j2",
            incident,
            old_severity=old,
            old_label=before.label,
            severity=incident.severity,
            label=after.label,
            cadence=span(after.cadence),
            tone=after.tone,
            at=clock_time(at, self.playbook.zone),
        )

    def impact_changed(self, incident: Incident, *, previous: str | None, at: datetime) -> Message:
        """The approver set the impact line outside an entry: told in the thread, since the parent changed quietly."""
        return self._render("mirror_impact.md.j2", incident, previous=previous, at=clock_time(at, self.playbook.zone))

    def late(self, incident: Incident) -> Message:
        """A committed update time has passed with no new update: keep quoting the last one, and guess nothing."""
        return self._render(
            "mirror_late.md.j2",
            incident,
            due=clock_time(incident.next_update_due_at, self.playbook.zone),
            first=incident.last_update_at is None,
        )

    def correction(self, incident: Incident, entry: Entry, *, at: datetime) -> Message:
        """What an approved entry says now that it was corrected, so whoever quoted it finds out."""
        assert entry.decided_at is not None
        zone = self.playbook.zone
        return self._render(
            "mirror_correction.md.j2",
            incident,
            at=clock_time(at, zone),
            posted=clock_time(entry.decided_at, zone),
            text=entry.text,
            cause=entry.cause,
        )

    def stand_down(
        self, incident: Incident, *, credits_owed: bool, credits_why: str, email: bool, postmortem: bool
    ) -> Message:
        """Resolved: outage handling can stand down, and what will still come in the thread."""
        assert incident.resolved_at is not None
        coming = [
            *(["the credit decision, with the words to use"] if credits_owed else []),
            *(["the customer email, word for word, once it is sent"] if email else []),
            *(["the postmortem link"] if postmortem else []),
        ]
        return self._render(
            "mirror_stand_down.md.j2",
            incident,
            tone=self._severity(incident.severity).tone,
            resolved=clock_time(incident.resolved_at, self.playbook.zone),
            credits_owed=credits_owed,
            credits_why=credits_why,
            coming=coming,
        )

    def credits(self, incident: Incident, *, offered: bool) -> Message:
        """The credit decision, with the playbook's policy agents may quote."""
        return self._render("mirror_credits.md.j2", incident, offered=offered, policy=self.playbook.credits.policy)

    def email_sent(self, incident: Incident) -> Message:
        """The customer email went out: what it said, quoted, so agents answer in the same words."""
        assert incident.email_text is not None and incident.email_sent_at is not None
        return self._render(
            "mirror_email.md.j2",
            incident,
            at=clock_time(incident.email_sent_at, self.playbook.zone),
            email=incident.email_text,
        )

    def postmortem(self, incident: Incident) -> Message:
        """The postmortem's link."""
        return self._render("mirror_postmortem.md.j2", incident, url=incident.postmortem_url or "")


def _first_due(incident: Incident, playbook: Playbook) -> datetime:
    """When the first update was due: the acknowledgement time, whatever has happened since."""
    return incident.declared_at + playbook.acknowledge_within
