"""Follow-up reminders: the customer email running out of time, the postmortem with no link, the audit to settle.

Each is its own tick, so one that fails (a broken template, a database fault) never holds back the others. Each
reminder is claimed (bot/incidents/claims.py) in the transaction that owes its messages, so it goes out once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, TextClause, func, or_, text
from sqlmodel import Session, col, select

from bot.incidents import severities, timeline
from bot.incidents.claims import claim_one, unchanged
from bot.incidents.flows import approver
from bot.incidents.follow_up_thread import FollowUpThread
from bot.render.text import clock_time, span
from bot.store.db import session_scope
from bot.store.models import AUDIT_UNSETTLED, Incident, TimelineEvent
from bot.vocabulary import STOOD_DOWN, Event, Reminder

SETTLE_WITHIN = timedelta(
    days=1
)  # deadlines passed longer ago (Warroom was down) are not settled; audits on demand are


class FollowUpReminders(FollowUpThread):
    """Reminds the communicator and the lead of what resolving left them to do, and settles the audit on time."""

    def remind_email(self) -> int:
        """DM the approver once when the customer email is about to run out of time; returns how many were sent."""
        now, playbook = self._clock.now(), self._playbook
        earliest = now - playbook.customer_email_within + playbook.customer_email.remind_before
        owed = self._due(
            col(Incident.email_text).is_not(None), col(Incident.email_sent_at).is_(None),
            col(Incident.email_reminded_at).is_(None), col(Incident.resolved_at) <= earliest,
        )  # fmt: skip
        sent = 0
        for incident_id in owed:
            with session_scope(self._engine) as session:
                incident = self._claim(session, incident_id, "email_reminded_at", None, now)
                if incident is None or incident.resolved_at is None:
                    continue
                due = incident.resolved_at + playbook.customer_email_within
                reminder = self._notices.templates.render(
                    "email_reminder.md.j2", ref=incident.ref, due=clock_time(due, playbook.zone),
                    left=span(due - now), within=span(playbook.customer_email_within), channel=incident.channel_id,
                )  # fmt: skip
                self._owe(session, incident, self._notices.plain(reminder), channel_id=approver(incident))
                timeline.record(
                    session, incident, Event.FOLLOW_UP_REMINDED, by=None, at=now, reminder=Reminder.CUSTOMER_EMAIL
                )
                sent += 1
        return self._sent(sent)

    def remind_postmortem(self) -> int:
        """DM the lead and the approver daily while a postmortem the severity owes has no link; returns the count."""
        now, every = self._clock.now(), self._playbook.postmortem_reminder_every
        wanted = [name for name, severity in self._playbook.severities.items() if severity.postmortem]
        last_reminded = func.coalesce(col(Incident.postmortem_reminded_at), col(Incident.resolved_at))
        changed = (  # the highest severity held decides, as in the resolved post: one lowered may still owe one
            select(TimelineEvent.id)  # a scalar subquery probes the incident's events by index (EXISTS gets hashed)
            .where(TimelineEvent.incident_id == Incident.id, TimelineEvent.kind == Event.SEVERITY_CHANGED)
            .limit(1)
            .scalar_subquery()
            .is_not(None)
        )
        query = select(Incident.id, Incident.postmortem_reminded_at).where(
            col(Incident.resolved_at).is_not(None), col(Incident.postmortem_url).is_(None),
            col(Incident.resolved_at) <= now - every, or_(col(Incident.severity).in_(wanted), changed),
            last_reminded <= now - every, col(Incident.status) != STOOD_DOWN,  # a drill stood down owes nothing
        )  # fmt: skip
        with Session(self._engine) as session:
            due = list(session.exec(query))
        sent = 0
        for incident_id, last in due:  # only the due ones open a writing transaction
            assert incident_id is not None
            with session_scope(self._engine) as session:
                incident = self._claim(session, incident_id, "postmortem_reminded_at", last, now)
                if incident is None or not self._owes_postmortem(session, incident):
                    continue  # a claimed one that never held a severity owing a postmortem is looked at daily
                reminder = self._notices.templates.render(
                    "postmortem_reminder.md.j2", ref=incident.ref, channel=incident.channel_id
                )
                for person in {incident.lead_id, approver(incident)}:
                    self._owe(session, incident, self._notices.plain(reminder), channel_id=person)
                timeline.record(
                    session, incident, Event.FOLLOW_UP_REMINDED, by=None, at=now, reminder=Reminder.POSTMORTEM
                )
                if last is None:  # the first reminder is when a missing link stops being pending in the audit
                    self._refresh(session, incident)
                sent += 1
        return self._sent(sent)

    def settle_audits(self) -> int:
        """Once the email and credits deadline passes, refresh the checklist and audit: ⏳ becomes ✅ or ❌, once."""
        now = self._clock.now()
        due_before = now - self._playbook.customer_email_within
        due = self._due(
            text(AUDIT_UNSETTLED), col(Incident.resolved_at) <= due_before,
            col(Incident.resolved_at) > due_before - SETTLE_WITHIN,
        )  # fmt: skip
        settled = 0
        for incident_id in due:
            with session_scope(self._engine) as session:
                incident = self._claim(session, incident_id, "audit_settled_at", None, now)
                if incident is None:
                    continue
                self._refresh(session, incident)
                settled += 1
        return self._sent(settled)

    def _owes_postmortem(self, session: Session, incident: Incident) -> bool:
        highest = severities.highest(self._playbook.severity_names(), self._held(session, incident))
        severity = self._playbook.severity(highest)
        return severity is None or severity.postmortem

    def _due(self, *where: ColumnElement[bool] | TextClause) -> list[int]:
        """The incidents matching `where`, read outside any writing transaction (most ticks find none)."""
        with Session(self._engine) as session:
            return [row_id for row_id in session.exec(select(Incident.id).where(*where)) if row_id is not None]

    @staticmethod
    def _claim(
        session: Session, incident_id: int, marker: str, seen: datetime | None, now: datetime
    ) -> Incident | None:
        """Mark the reminder sent at `now` if nobody did since `seen` was read: the incident if this replica won."""
        return claim_one(session, incident_id, marker_name=marker, due=now, still=[unchanged(marker, seen)])

    def _sent(self, count: int) -> int:
        if count:
            self._on_commit()
        return count
