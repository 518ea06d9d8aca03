"""What the follow-ups keep current in the war room's thread: the checklist, the P1 audit and the customer email."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.incidents import customer_email, drills, keys, severities, timeline
from bot.incidents.audit import credits_owed
from bot.incidents.checklist import follow_up_lines
from bot.incidents.customer_email import PREVENTION_PLACEHOLDER
from bot.incidents.flows import Flows
from bot.incidents.review import audit_shown, audited
from bot.render.followups import checklist, email_shown
from bot.render.text import clock_time, escape, span
from bot.store.models import APPROVED, RESOLUTION, Entry, Incident
from bot.vocabulary import Event


class FollowUpThread(Flows):
    """Re-renders the follow-ups' messages, updated in place, in the transaction that changed what they show."""

    def _refresh(self, session: Session, incident: Incident) -> None:
        """The checklist, and the audit of any incident that held the top severity (a P1 by default)."""
        assert incident.id is not None
        playbook, now = self._playbook, self._clock.now()
        held = self._held(session, incident)
        pending = incident.email_text is not None and incident.email_sent_at is None
        resolution = self._resolution(session, incident) if pending else None
        flagged = customer_email.warnings(playbook.wording, incident, resolution) if pending else []
        title, items = follow_up_lines(incident, playbook, credits_owed(playbook, held), now=now, warnings=flagged)
        message = checklist(title=title, lines=items, incident_id=incident.id)
        self._to_war_room_thread(session, incident, message, key=keys.follow_ups(incident.id))
        if incident.drill:  # the drill report carries the audit, scored on the drill, with the drill's timings
            drill = drills.scored(session, incident, playbook, held=held, now=now)
            self._owe(session, incident, drills.report(drill), key=keys.drill_report(incident.id))
        elif severities.highest(playbook.severity_names(), held) == playbook.severity_names()[0]:
            message = audit_shown(incident, audited(session, incident, playbook, held=held, now=now))
            self._to_war_room_thread(session, incident, message, key=keys.audit(incident.id))

    def _redraft(self, session: Session, incident: Incident, *, signed: str) -> None:
        """Compose the customer email from the record and show it (again) where it was drafted, updated in place."""
        assert incident.id is not None and incident.resolved_at is not None
        resolution = self._resolution(session, incident)
        held = self._held(session, incident)
        playbook = self._playbook
        incident.email_text = customer_email.compose(
            self._notices.templates, playbook, incident, resolution=resolution, held=held, signed=signed
        )
        session.add(incident)
        intro = self._notices.templates.render(
            "email_drafted.md.j2", ref=incident.ref, within=span(playbook.customer_email_within),
            due=self._at(incident.resolved_at + playbook.customer_email_within), sender=signed.split("\n")[0],
            placeholder=PREVENTION_PLACEHOLDER in incident.email_text, reply_to=playbook.customer_email.reply_to,
            warnings=customer_email.warnings(playbook.wording, incident, resolution),
        )  # fmt: skip
        shown = email_shown(intro=intro, email=escape(incident.email_text))
        self._to_war_room_thread(session, incident, shown, key=keys.customer_email(incident.id))

    def _resolution(self, session: Session, incident: Incident) -> Entry | None:
        query = select(Entry).where(Entry.incident_id == incident.id, Entry.kind == RESOLUTION, Entry.state == APPROVED)
        return session.exec(query).first()

    def _signature(self, session: Session, incident: Incident) -> str:
        """The signature the email was first drafted with (Slack is not asked again)."""
        drafted = [e for e in timeline.events(session, incident.id or 0) if e.kind == Event.EMAIL_DRAFTED]
        signed = drafted[-1].data.get("sender") if drafted else None
        return str(signed) if signed else customer_email.sender(self._playbook, None).signature()

    def _at(self, moment: datetime) -> str:
        return clock_time(moment, self._playbook.zone)
