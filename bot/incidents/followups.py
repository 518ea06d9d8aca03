"""After the outage: the follow-up checklist, the customer email, credits, the postmortem and the trust audit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, or_, text, update
from sqlmodel import Session, col, select

from bot import ids
from bot.incidents import customer_email, keys, severities, timeline
from bot.incidents.audit import NOT_OWED, OFFERED, Audit, audit, credits_owed, needs_email
from bot.incidents.base import Flows, approver
from bot.incidents.checklist import follow_up_lines
from bot.incidents.customer_email import PREVENTION_PLACEHOLDER, prevention_problem
from bot.incidents.errors import UserError
from bot.incidents.people import Directory
from bot.incidents.story import Told, lines
from bot.render.blocks import Message
from bot.render.followups import audit_message, checklist, email_shown
from bot.render.text import clock_time, escape, mention, span
from bot.store.db import session_scope
from bot.store.models import APPROVED, AUDIT_UNSETTLED, RESOLUTION, Entry, Incident, TimelineEvent

EMAIL_DRAFTED = "email_drafted"
EMAIL_SENT = "email_sent"
CREDITS_DECIDED = "credits_decided"
POSTMORTEM_LINKED = "postmortem_linked"
FOLLOW_UP_REMINDED = "follow_up_reminded"
EMAIL_PREVENTION_WRITTEN = "email_prevention_written"
SETTLE_WITHIN = timedelta(
    days=1
)  # deadlines passed longer ago (Warroom was down) are not settled; audits on demand are
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
        """The customer email's signature when `approver_id` approves the resolution; asks Slack, so call it first."""
        person = None if self._playbook.customer_email.sender else self._directory.person(approver_id)
        return customer_email.sender(self._playbook, person).signature()

    def after_resolution(self, session: Session, incident: Incident, *, sender: str) -> None:
        """In the resolving transaction: the checklist, the customer email draft, and the P1 audit."""
        assert incident.id is not None and incident.resolved_at is not None
        if needs_email(incident, self._playbook):
            timeline.record(session, incident, EMAIL_DRAFTED, by=None, at=incident.resolved_at, sender=sender)
            self._redraft(session, incident, signed=sender)
        self._refresh(session, incident)
        self._stand_down(session, incident)

    def after_correction(self, session: Session, incident: Incident, entry: Entry) -> None:
        """In the correcting transaction: a corrected resolution re-renders the customer email not yet sent."""
        if entry.kind == RESOLUTION and incident.email_text is not None and incident.email_sent_at is None:
            self._redraft(session, incident, signed=self._signature(session, incident))
            self._refresh(session, incident)  # the checklist's email line shows what the wording check flags

    # -- the checklist's buttons ------------------------------------------------------------------------------

    def mark_email_sent(self, *, incident_id: int, by: str) -> tuple[Incident, str | None]:
        """Record that the customer email went out; with what the wording check still flags in it, if anything."""
        with session_scope(self._engine) as session:
            incident = self._resolved(session, incident_id, by=by)
            if incident.email_text is None:
                raise UserError(f"{incident.ref} needs no customer email: it was shorter than the playbook's minimum.")
            if incident.email_sent_at is not None:
                raise UserError(f"The customer email was already marked sent at {self._at(incident.email_sent_at)}.")
            resolution = self._resolution(session, incident)
            if PREVENTION_PLACEHOLDER in incident.email_text:
                flagged = customer_email.warnings(self._playbook.wording, incident, resolution)
                raise UserError(
                    f"{incident.ref}'s customer email still says “{PREVENTION_PLACEHOLDER}”. Press *Write prevention "
                    "sentence* in the follow-ups, copy the updated email, send it, then press *Mark sent*."
                    + "".join(f"\n:warning: {escape(w)}" for w in flagged)
                )
            flagged = customer_email.warnings(self._playbook.wording, incident, resolution, fixes=False)
            incident.email_sent_at, incident.email_sent_by = self._clock.now(), by
            session.add(incident)
            timeline.record(session, incident, EMAIL_SENT, by=by, at=incident.email_sent_at)
            self._refresh(session, incident)
            told = self._notices.mirror.email_sent(incident)  # agents answer in the words customers received
            self._to_mirror(session, incident, told, key=keys.mirror_notice(incident_id, "email"))
        self._on_commit()
        return incident, customer_email.sent_note(incident.ref, flagged)

    def decide_credits(self, *, incident_id: int, by: str, decision: str) -> Incident:
        """Record that credits were offered, or are not owed."""
        assert decision in (OFFERED, NOT_OWED)
        with session_scope(self._engine) as session:
            incident = self._resolved(session, incident_id, by=by)
            if incident.credits is not None and incident.credits_at is not None:
                said = "offered" if incident.credits == OFFERED else "not owed"
                raise UserError(f"Credits were already recorded as {said} at {self._at(incident.credits_at)}.")
            verdict = credits_owed(self._playbook, self._held(session, incident))
            if not verdict.owed:
                raise UserError(f"There is nothing to decide for {incident.ref}'s credits: {verdict.says()}.")
            sent = incident.email_sent_at
            if decision == NOT_OWED and sent and self._playbook.credits.policy in (incident.email_text or ""):
                raise UserError(
                    f"{incident.ref}'s customer email, sent at {self._at(sent)}, already offered "
                    "customers the credits. Press *Offered*, and honour them."
                )
            incident.credits, incident.credits_by, incident.credits_at = decision, by, self._clock.now()
            session.add(incident)
            timeline.record(session, incident, CREDITS_DECIDED, by=by, at=incident.credits_at, decision=decision)
            if incident.email_text is not None and incident.email_sent_at is None:  # the email says the same
                self._redraft(session, incident, signed=self._signature(session, incident))
            self._refresh(session, incident)
            told = self._notices.mirror.credits(incident, offered=decision == OFFERED)
            self._to_mirror(session, incident, told, key=keys.mirror_notice(incident_id, "credits"))
        self._on_commit()
        return incident

    def prevention_opened(self, *, incident_id: int, by: str) -> Incident:
        """The incident whose customer email `by` may complete with the prevention sentence."""
        with Session(self._engine) as session:
            return self._email_pending(self._writer(self._resolved(session, incident_id, by=by), by=by))

    def write_prevention(self, *, incident_id: int, by: str, sentence: str) -> Incident:
        """Put the communicator's sentence on what is changing into the customer email, and show it again."""
        problem = prevention_problem(sentence)
        if problem:
            raise UserError(problem, field=ids.PREVENTION_BLOCK)
        clean = " ".join(sentence.split())
        with session_scope(self._engine) as session:
            incident = self._email_pending(self._writer(self._resolved(session, incident_id, by=by), by=by))
            incident.email_prevention = clean
            timeline.record(session, incident, EMAIL_PREVENTION_WRITTEN, by=by, at=self._clock.now(), text=clean)
            self._redraft(session, incident, signed=self._signature(session, incident))
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
            told = self._notices.mirror.postmortem(incident)  # a second link updates the first in place
            self._to_mirror(session, incident, told, key=keys.mirror_notice(incident_id, "postmortem"))
        self._on_commit()
        return incident

    # -- reminders --------------------------------------------------------------------------------------------

    def tick(self) -> int:
        """Remind about a customer email running out of time and a postmortem with no link; settle due audits."""
        now = self._clock.now()
        sent = self._remind_email(now) + self._remind_postmortem(now) + self._settle(now)
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
        changed = (  # the highest severity held decides, as in the resolved post: one lowered may still owe one
            select(TimelineEvent.id)  # a scalar subquery probes the incident's events by index (EXISTS gets hashed)
            .where(TimelineEvent.incident_id == Incident.id, TimelineEvent.kind == timeline.SEVERITY_CHANGED)
            .limit(1)
            .scalar_subquery()
            .is_not(None)
        )
        query = select(Incident.id, Incident.postmortem_reminded_at).where(
            col(Incident.resolved_at).is_not(None), col(Incident.postmortem_url).is_(None),
            col(Incident.resolved_at) <= now - every, or_(col(Incident.severity).in_(wanted), changed),
            last_reminded <= now - every,
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
                text = self._notices.templates.render(
                    "postmortem_reminder.md.j2", ref=incident.ref, channel=incident.channel_id
                )
                for person in {incident.lead_id, approver(incident)}:
                    self._owe(session, incident, self._notices.plain(text), channel_id=person)
                timeline.record(session, incident, FOLLOW_UP_REMINDED, by=None, at=now, reminder="postmortem")
                if last is None:  # the first reminder is when a missing link stops being pending in the audit
                    self._refresh(session, incident)
                sent += 1
        return sent

    def _owes_postmortem(self, session: Session, incident: Incident) -> bool:
        highest = severities.highest(self._playbook.severity_names(), self._held(session, incident))
        severity = self._playbook.severity(highest)
        return severity is None or severity.postmortem

    def _settle(self, now: datetime) -> int:
        """Once the email and credits deadline passes, refresh the checklist and audit: ⏳ becomes ✅ or ❌, once."""
        due_before = now - self._playbook.customer_email_within
        query = select(Incident.id).where(
            text(AUDIT_UNSETTLED), col(Incident.resolved_at) <= due_before,
            col(Incident.resolved_at) > due_before - SETTLE_WITHIN,
        )  # fmt: skip
        settled = 0
        for incident_id in self._candidates(query):
            with session_scope(self._engine) as session:
                incident = self._claim(session, incident_id, "audit_settled_at", None, now)
                if incident is None:
                    continue
                self._refresh(session, incident)
                settled += 1
        return settled

    # -- the audit --------------------------------------------------------------------------------------------

    def audit_of(self, *, channel_id: str | None = None, reference: str | None = None) -> tuple[Incident, Audit]:
        """The trust audit of the incident named by `reference` (INC-12), or of this channel's latest."""
        with Session(self._engine) as session:
            incident = self._named(session, channel_id=channel_id, reference=reference)
            return incident, self._audit(session, incident)

    def audit_message(self, incident: Incident, result: Audit) -> Message:
        """The audit as a message."""
        answers = [(a.state, a.question, escape(a.evidence)) for a in result.answers]
        pending = f", {result.pending} not yet due" if result.pending else ""
        title = f"Trust audit for {incident.ref}: {result.passed} of {len(result.answers)}{pending}"
        return audit_message(title=title, answers=answers, metrics=result.metrics)

    def events_of(self, *, channel_id: str | None = None, reference: str | None = None) -> tuple[Incident, list[Told]]:
        """Every event of the incident, as lines with their time, oldest first."""
        with Session(self._engine) as session:
            incident = self._named(session, channel_id=channel_id, reference=reference)
            return incident, lines(incident, timeline.events(session, incident.id or 0), self._playbook)

    # -- helpers ------------------------------------------------------------------------------------------

    def _audit(self, session: Session, incident: Incident, held: dict[str, timedelta] | None = None) -> Audit:
        entries = list(session.exec(select(Entry).where(Entry.incident_id == incident.id)))
        held = held if held is not None else self._held(session, incident)
        return audit(incident, entries, self._playbook, held=held, now=self._clock.now())

    def _refresh(self, session: Session, incident: Incident) -> None:
        """The checklist, and the audit of any incident that held the top severity (a P1 by default)."""
        assert incident.id is not None
        held = self._held(session, incident)
        pending = incident.email_text is not None and incident.email_sent_at is None
        wording, resolution = self._playbook.wording, self._resolution(session, incident) if pending else None
        flagged = customer_email.warnings(wording, incident, resolution) if pending else []
        title, items = follow_up_lines(
            incident, self._playbook, credits_owed(self._playbook, held), now=self._clock.now(), warnings=flagged
        )
        message = checklist(title=title, lines=items, incident_id=incident.id)
        self._to_war_room_thread(session, incident, message, key=keys.follow_ups(incident.id))
        if severities.highest(self._playbook.severity_names(), held) == self._playbook.severity_names()[0]:
            message = self.audit_message(incident, self._audit(session, incident, held))
            self._to_war_room_thread(session, incident, message, key=keys.audit(incident.id))

    def _stand_down(self, session: Session, incident: Incident) -> None:
        """Tell the mirror, in the incident's thread and the channel, that outage handling can stand down."""
        assert incident.id is not None
        verdict = credits_owed(self._playbook, self._held(session, incident))
        severity = self._playbook.severity(verdict.highest)
        why = verdict.check.says() if verdict.check is not None else f"no SLA for {verdict.highest}"
        told = self._notices.mirror.stand_down(
            incident, credits_owed=verdict.owed, credits_why=why, email=incident.email_text is not None,
            postmortem=severity is None or severity.postmortem,
        )  # fmt: skip
        self._to_mirror(session, incident, told, key=keys.mirror_notice(incident.id, "stand_down"), broadcast=True)

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
        drafted = [e for e in timeline.events(session, incident.id or 0) if e.kind == EMAIL_DRAFTED]
        signed = drafted[-1].data.get("sender") if drafted else None
        return str(signed) if signed else customer_email.sender(self._playbook, None).signature()

    def _email_pending(self, incident: Incident) -> Incident:
        if incident.email_text is None:
            raise UserError(f"{incident.ref} needs no customer email: it was shorter than the playbook's minimum.")
        if incident.email_sent_at is not None:
            raise UserError(
                f"{incident.ref}'s customer email was already marked sent at {self._at(incident.email_sent_at)}; "
                "it can't change any more."
            )
        return incident

    def _writer(self, incident: Incident, *, by: str) -> Incident:
        """Words for customers are the approver's, as every public line is: the lead's only before a communicator."""
        if by != approver(incident):
            raise UserError(
                f"Only {mention(approver(incident))}, the communicator, writes what {incident.ref}'s customer email "
                "says. Send them your sentence in the war room."
            )
        return incident

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
