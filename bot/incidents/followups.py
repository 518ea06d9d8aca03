"""After the outage: the follow-up checklist, the customer email, credits, the postmortem and the trust audit."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot import ids
from bot.incidents import keys, timeline
from bot.incidents.audit import NOT_OWED, OFFERED, Audit, audit, credits_owed, needs_email
from bot.incidents.base import Flows, approver
from bot.incidents.errors import UserError
from bot.incidents.people import Directory
from bot.incidents.story import Told, lines
from bot.render.blocks import Message
from bot.render.followups import Line, audit_message, checklist
from bot.render.text import clock_time, escape, mention, span
from bot.store.db import session_scope
from bot.store.models import APPROVED, RESOLUTION, Entry, Incident

EMAIL_DRAFTED = "email_drafted"
EMAIL_SENT = "email_sent"
CREDITS_DECIDED = "credits_decided"
POSTMORTEM_LINKED = "postmortem_linked"
FOLLOW_UP_REMINDED = "follow_up_reminded"
_URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+\S*$")
LINK_PROBLEM = "Paste the postmortem's full link, like https://wiki.example.com/postmortems/inc-12"


def link_problem(url: str) -> str | None:
    """Why `url` is not a usable postmortem link, or None."""
    link = url.strip()
    return None if _URL.match(link) and len(link) <= 500 else LINK_PROBLEM


class FollowUps(Flows):
    """Drives the follow-ups that keep customers' trust once the incident is resolved."""

    def __init__(self, *, directory: Directory, **shared: object) -> None:
        super().__init__(**shared)  # type: ignore[arg-type]
        self._directory = directory

    # -- on resolution --------------------------------------------------------------------------------------

    def sender_for(self, approver_id: str) -> str:
        """Who signs the customer email when `approver_id` approves the resolution; asks Slack, so call it first."""
        if self._playbook.customer_email.sender:
            return self._playbook.customer_email.sender
        person = self._directory.person(approver_id)
        return person.name if person else "the team"

    def after_resolution(self, session: Session, incident: Incident, *, sender: str) -> None:
        """In the resolving transaction: the checklist, the customer email draft, and the P1 audit."""
        assert incident.id is not None and incident.resolved_at is not None
        if needs_email(incident, self._playbook):
            incident.email_text = self._email(session, incident, sender=sender)
            session.add(incident)
            timeline.record(session, incident, EMAIL_DRAFTED, by=None, at=incident.resolved_at)
            due = clock_time(incident.resolved_at + self._playbook.customer_email_within, self._playbook.zone)
            intro = self._notices.templates.render(
                "email_drafted.md.j2", ref=incident.ref, due=due, within=span(self._playbook.customer_email_within),
                sender=sender,
            )  # fmt: skip
            email = self._notices.plain(f"{intro}\n\n{escape(incident.email_text)}")
            self._owe(session, incident, email)
            self._owe(session, incident, email, channel_id=approver(incident))
        self._refresh(session, incident)

    # -- the checklist's buttons ------------------------------------------------------------------------------

    def mark_email_sent(self, *, incident_id: int, by: str) -> Incident:
        """Record that the customer email went out."""
        with session_scope(self._engine) as session:
            incident = self._resolved(session, incident_id, by=by)
            if incident.email_text is None:
                raise UserError(f"{incident.ref} needs no customer email: it was shorter than the playbook's minimum.")
            if incident.email_sent_at is not None:
                raise UserError(f"The customer email was already marked sent at {self._at(incident.email_sent_at)}.")
            incident.email_sent_at, incident.email_sent_by = self._clock.now(), by
            session.add(incident)
            timeline.record(session, incident, EMAIL_SENT, by=by, at=incident.email_sent_at)
            self._refresh(session, incident)
        self._on_commit()
        return incident

    def decide_credits(self, *, incident_id: int, by: str, decision: str) -> Incident:
        """Record that credits were offered, or are not owed."""
        assert decision in (OFFERED, NOT_OWED)
        with session_scope(self._engine) as session:
            incident = self._resolved(session, incident_id, by=by)
            if incident.credits is not None and incident.credits_at is not None:
                said = "offered" if incident.credits == OFFERED else "not owed"
                raise UserError(f"Credits were already recorded as {said} at {self._at(incident.credits_at)}.")
            incident.credits, incident.credits_by, incident.credits_at = decision, by, self._clock.now()
            session.add(incident)
            timeline.record(session, incident, CREDITS_DECIDED, by=by, at=incident.credits_at, decision=decision)
            self._refresh(session, incident)
        self._on_commit()
        return incident

    def postmortem_opened(self, *, incident_id: int, by: str) -> Incident:
        """The incident whose postmortem link `by` may add."""
        with Session(self._engine) as session:
            return self._resolved(session, incident_id, by=by)

    def add_postmortem(self, *, incident_id: int, by: str, url: str) -> Incident:
        """Record the postmortem's link; the daily reminders stop."""
        link = url.strip()
        if link_problem(link):
            raise UserError(LINK_PROBLEM, field=ids.URL_BLOCK)
        with session_scope(self._engine) as session:
            incident = self._resolved(session, incident_id, by=by)
            incident.postmortem_url, incident.postmortem_by, incident.postmortem_at = link, by, self._clock.now()
            session.add(incident)
            timeline.record(session, incident, POSTMORTEM_LINKED, by=by, at=incident.postmortem_at, url=link)
            self._refresh(session, incident)
        self._on_commit()
        return incident

    # -- reminders --------------------------------------------------------------------------------------------

    def tick(self) -> int:
        """Remind about a customer email running out of time, and a postmortem with no link (once a day)."""
        now = self._clock.now()
        sent = self._remind_email(now) + self._remind_postmortem(now)
        if sent:
            self._on_commit()
        return sent

    def _remind_email(self, now: datetime) -> int:
        playbook = self._playbook
        earliest = now - playbook.customer_email_within + playbook.customer_email.remind_before
        query = select(Incident.id).where(
            col(Incident.email_text).is_not(None), col(Incident.email_sent_at).is_(None),
            col(Incident.email_reminded_at).is_(None), col(Incident.resolved_at) <= earliest,
        )  # fmt: skip
        sent = 0
        for incident_id in self._candidates(query):
            with session_scope(self._engine) as session:
                incident = self._claim(session, incident_id, "email_reminded_at", None, now)
                if incident is None or incident.resolved_at is None:
                    continue
                due = incident.resolved_at + playbook.customer_email_within
                text = self._notices.templates.render(
                    "email_reminder.md.j2",
                    ref=incident.ref,
                    due=clock_time(due, playbook.zone),
                    left=span(due - now),
                    within=span(playbook.customer_email_within),
                    channel=incident.channel_id,
                )
                self._owe(session, incident, self._notices.plain(text), channel_id=approver(incident))
                timeline.record(session, incident, FOLLOW_UP_REMINDED, by=None, at=now, reminder="customer_email")
                sent += 1
        return sent

    def _remind_postmortem(self, now: datetime) -> int:
        every = self._playbook.postmortem_reminder_every
        wanted = [name for name, severity in self._playbook.severities.items() if severity.postmortem]
        last_reminded = func.coalesce(col(Incident.postmortem_reminded_at), col(Incident.resolved_at))
        query = select(Incident.id, Incident.postmortem_reminded_at).where(
            col(Incident.resolved_at).is_not(None), col(Incident.postmortem_url).is_(None),
            col(Incident.resolved_at) <= now - every, col(Incident.severity).in_(wanted), last_reminded <= now - every,
        )  # fmt: skip
        with Session(self._engine) as session:
            due = list(session.exec(query))
        sent = 0
        for incident_id, last in due:  # only the due ones open a writing transaction
            assert incident_id is not None
            with session_scope(self._engine) as session:
                incident = self._claim(session, incident_id, "postmortem_reminded_at", last, now)
                if incident is None:
                    continue
                text = self._notices.templates.render(
                    "postmortem_reminder.md.j2", ref=incident.ref, channel=incident.channel_id
                )
                for person in {incident.lead_id, approver(incident)}:
                    self._owe(session, incident, self._notices.plain(text), channel_id=person)
                timeline.record(session, incident, FOLLOW_UP_REMINDED, by=None, at=now, reminder="postmortem")
                sent += 1
        return sent

    # -- the audit --------------------------------------------------------------------------------------------

    def audit_of(self, *, channel_id: str | None = None, reference: str | None = None) -> tuple[Incident, Audit]:
        """The trust audit of the incident named by `reference` (INC-12), or of this channel's latest."""
        with Session(self._engine) as session:
            incident = self._named(session, channel_id=channel_id, reference=reference)
            return incident, self._audit(session, incident)

    def audit_message(self, incident: Incident, result: Audit) -> Message:
        """The audit as a message."""
        answers = [(a.passed, a.question, escape(a.evidence)) for a in result.answers]
        title = f"Trust audit for {incident.ref}: {result.passed} of {len(result.answers)}"
        return audit_message(title=title, answers=answers, metrics=result.metrics)

    def events_of(self, *, channel_id: str | None = None, reference: str | None = None) -> tuple[Incident, list[Told]]:
        """Every event of the incident, as lines with their time, oldest first."""
        with Session(self._engine) as session:
            incident = self._named(session, channel_id=channel_id, reference=reference)
            return incident, lines(incident, timeline.events(session, incident.id or 0), self._playbook)

    # -- helpers ------------------------------------------------------------------------------------------

    def _audit(self, session: Session, incident: Incident) -> Audit:
        entries = list(session.exec(select(Entry).where(Entry.incident_id == incident.id)))
        return audit(incident, entries, self._playbook, now=self._clock.now())

    def _refresh(self, session: Session, incident: Incident) -> None:
        assert incident.id is not None
        self._owe(session, incident, self._checklist(incident), key=keys.follow_ups(incident.id))
        if incident.severity == self._playbook.severity_names()[0]:  # the top severity: a P1 by default
            message = self.audit_message(incident, self._audit(session, incident))
            self._owe(session, incident, message, key=keys.audit(incident.id))

    def _checklist(self, incident: Incident) -> Message:
        assert incident.id is not None and incident.resolved_at is not None
        playbook, now = self._playbook, self._clock.now()
        lasted = incident.resolved_at - incident.declared_at
        severity = playbook.severities[incident.severity]
        if incident.email_text is None:
            email = Line(
                f"*Customer email:* not needed; it lasted {span(lasted)}, under "
                f"{span(playbook.customer_email_min_duration)}."
            )
        elif incident.email_sent_at and incident.email_sent_by:
            email = Line(
                f"✅ *Customer email:* sent, marked by {mention(incident.email_sent_by)} at "
                f"{self._at(incident.email_sent_at)}."
            )
        else:
            due = self._at(incident.resolved_at + playbook.customer_email_within)
            email = Line(
                f"*Customer email:* drafted above; send it by {due}.",
                (("Mark sent", ids.EMAIL_SENT_ACTION, "primary"),),
            )
        if incident.credits and incident.credits_by and incident.credits_at:
            said = "offered" if incident.credits == OFFERED else "not owed"
            credits = Line(
                f"✅ *Credits:* {said}, recorded by {mention(incident.credits_by)} at {self._at(incident.credits_at)}."
            )
        else:
            if credits_owed(incident, playbook, now=now):
                assert severity.sla is not None
                why = (
                    f"*owed*: it lasted {span(lasted)}, beyond the {incident.severity} SLA of {span(severity.sla)}. "
                    f"Offer them before anyone asks. Policy: {escape(playbook.credits.policy)}"
                )
            else:
                why = "no SLA breach" if severity.sla else f"{incident.severity} has no SLA in the playbook"
            credits = Line(
                f"*Credits:* {why}",
                (("Offered", ids.CREDITS_OFFERED_ACTION, "primary"), ("Not owed", ids.CREDITS_NOT_OWED_ACTION, None)),
            )
        if not severity.postmortem:
            postmortem = Line(f"*Postmortem:* not needed for {incident.severity}.")
        elif incident.postmortem_url and incident.postmortem_by:
            postmortem = Line(
                f"✅ *Postmortem:* {escape(incident.postmortem_url)}, added by {mention(incident.postmortem_by)}."
            )
        else:
            postmortem = Line(
                "*Postmortem:* promised in the resolved post. Add its link once it is scheduled; "
                "until then the communicator and the lead are reminded.",
                (("Add link", ids.POSTMORTEM_ACTION, None),),
            )
        title = f"Follow-ups for {incident.ref}: resolved {self._at(incident.resolved_at)} after {span(lasted)}"
        return checklist(title=title, lines=[email, credits, postmortem], incident_id=incident.id)

    def _email(self, session: Session, incident: Incident, *, sender: str) -> str:
        assert incident.resolved_at is not None
        zone = self._playbook.zone
        resolution = session.exec(
            select(Entry).where(Entry.incident_id == incident.id, Entry.kind == RESOLUTION, Entry.state == APPROVED)
        ).first()
        owed = credits_owed(incident, self._playbook, now=incident.resolved_at)
        restored = clock_time(incident.resolved_at, zone)
        return self._notices.templates.render_text(
            "customer_email.md.j2",
            day=incident.declared_at.astimezone(zone).strftime("%A %d %B"),
            started=clock_time(incident.declared_at, zone),
            ended=clock_time(incident.resolved_at, zone),
            duration=span(incident.resolved_at - incident.declared_at),
            label=self._playbook.severities[incident.severity].label,
            cause=(resolution.cause if resolution else None) or "we are still confirming the cause",
            resolution=f"the cause above; the service has worked normally since {restored}.",
            postmortem=self._playbook.severities[incident.severity].postmortem,
            credits=self._playbook.credits.policy if owed else "",
            sender=sender,
        )

    def _resolved(self, session: Session, incident_id: int, *, by: str) -> Incident:
        incident = session.exec(select(Incident).where(Incident.id == incident_id).with_for_update()).first()
        if incident is None or incident.resolved_at is None:
            raise UserError("Follow-ups start once the incident is resolved.")
        if by not in (incident.lead_id, incident.communicator_id):
            raise UserError(
                f"Only the communicator or the incident lead ({mention(incident.lead_id)}) can record "
                f"{incident.ref}'s follow-ups."
            )
        return incident

    def _named(self, session: Session, *, channel_id: str | None, reference: str | None) -> Incident:
        if reference:
            match = re.fullmatch(r"(?i)(?:INC-)?(\d{1,9})", reference.strip())
            incident = session.get(Incident, int(match.group(1))) if match else None
            if incident is None:
                raise UserError(f"There is no incident “{escape(reference.strip())}”. Use a reference like INC-12.")
            return incident
        query = select(Incident).where(Incident.channel_id == channel_id).order_by(col(Incident.id).desc())
        incident = session.exec(query).first()
        if incident is None:
            raise UserError("This channel has no incident. Name one: `/incident audit INC-12`.")
        return incident

    def _candidates(self, query: object) -> list[int]:
        with Session(self._engine) as session:
            return [row_id for row_id in session.exec(query) if row_id is not None]  # type: ignore[call-overload]

    def _claim(
        self, session: Session, incident_id: int, column: str, old: datetime | None, now: datetime
    ) -> Incident | None:
        marker = col(getattr(Incident, column))
        same = marker.is_(None) if old is None else marker == old
        claimed = session.execute(update(Incident).where(col(Incident.id) == incident_id, same).values({column: now}))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return session.get(Incident, incident_id)

    def _at(self, moment: datetime) -> str:
        return clock_time(moment, self._playbook.zone)
