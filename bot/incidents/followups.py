"""After the outage: what resolving sets in motion, and the checklist's buttons (email, credits, postmortem).

Reminders: follow_up_reminders.py; the thread's messages: follow_up_thread.py; audit and timeline: review.py.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from bot import ids
from bot.incidents import customer_email, keys, timeline
from bot.incidents.audit import NOT_OWED, OFFERED, credits_owed, needs_email
from bot.incidents.customer_email import PREVENTION_PLACEHOLDER, prevention_problem
from bot.incidents.errors import UserError
from bot.incidents.flows import FlowDeps, approver
from bot.incidents.follow_up_thread import FollowUpThread
from bot.incidents.people import Directory
from bot.store.db import session_scope
from bot.store.models import RESOLUTION, Entry, Incident
from bot.vocabulary import POSTMORTEM_URL_LIMIT, Event, User

_URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+\S*$")
LINK_PROBLEM = "Paste the postmortem's full link, like https://wiki.example.com/postmortems/inc-12"


def link_problem(url: str) -> str | None:
    """Why `url` is not a usable postmortem link, or None."""
    link = url.strip()
    return None if _URL.match(link) and len(link) <= POSTMORTEM_URL_LIMIT else LINK_PROBLEM


class FollowUps(FollowUpThread):
    """Drives the follow-ups that keep customers' trust once the incident is resolved."""

    def __init__(self, deps: FlowDeps, *, directory: Directory) -> None:
        super().__init__(deps)
        self._directory = directory

    # -- on resolution --------------------------------------------------------------------------------------

    def sender_for(self, approver_id: str) -> str:
        """The customer email's signature when `approver_id` approves the resolution; asks Slack, so call it first."""
        person = None if self._playbook.customer_email.sender else self._directory.person(approver_id)
        return customer_email.sender(self._playbook, person).signature()

    def after_resolution(self, session: Session, incident: Incident, *, sender: str) -> None:
        """In the resolving transaction (no Slack call: `sender` was looked up before it): checklist, email, audit."""
        assert incident.id is not None and incident.resolved_at is not None
        if needs_email(incident, self._playbook):
            timeline.record(session, incident, Event.EMAIL_DRAFTED, by=None, at=incident.resolved_at, sender=sender)
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
                    + "".join(f"\n:warning: {w}" for w in flagged)
                )
            flagged = customer_email.warnings(self._playbook.wording, incident, resolution, fixes=False)
            incident.email_sent_at, incident.email_sent_by = self._clock.now(), by
            session.add(incident)
            timeline.record(session, incident, Event.EMAIL_SENT, by=by, at=incident.email_sent_at)
            self._refresh(session, incident)
            told = self._notices.mirror.email_sent(incident)  # agents answer in the words customers received
            self._to_mirror(session, incident, told, key=keys.mirror_notice(incident_id, keys.MirrorNotice.EMAIL))
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
            timeline.record(session, incident, Event.CREDITS_DECIDED, by=by, at=incident.credits_at, decision=decision)
            if incident.email_text is not None and incident.email_sent_at is None:  # the email says the same
                self._redraft(session, incident, signed=self._signature(session, incident))
            self._refresh(session, incident)
            told = self._notices.mirror.credits(incident, offered=decision == OFFERED)
            self._to_mirror(session, incident, told, key=keys.mirror_notice(incident_id, keys.MirrorNotice.CREDITS))
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
            timeline.record(session, incident, Event.EMAIL_PREVENTION_WRITTEN, by=by, at=self._clock.now(), text=clean)
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
            timeline.record(session, incident, Event.POSTMORTEM_LINKED, by=by, at=incident.postmortem_at, url=link)
            self._refresh(session, incident)
            told = self._notices.mirror.postmortem(incident)  # a second link updates the first in place
            self._to_mirror(session, incident, told, key=keys.mirror_notice(incident_id, keys.MirrorNotice.POSTMORTEM))
        self._on_commit()
        return incident

    # -- helpers ------------------------------------------------------------------------------------------

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
        self._to_mirror(
            session, incident, told, key=keys.mirror_notice(incident.id, keys.MirrorNotice.STAND_DOWN), broadcast=True
        )

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
                "Only ", User(approver(incident)), f", the communicator, writes what {incident.ref}'s customer email "
                "says. Send them your sentence in the war room."
            )  # fmt: skip
        return incident

    def _resolved(self, session: Session, incident_id: int, *, by: str) -> Incident:
        incident = session.exec(select(Incident).where(Incident.id == incident_id).with_for_update()).first()
        if incident is None or incident.resolved_at is None:
            raise UserError("Follow-ups start once the incident is resolved.")
        if by not in (incident.lead_id, incident.communicator_id):
            raise UserError(
                "Only the communicator or the incident lead (", User(incident.lead_id), ") can record "
                f"{incident.ref}'s follow-ups."
            )  # fmt: skip
        return incident
