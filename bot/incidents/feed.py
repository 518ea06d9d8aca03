"""The update feed: draft, edit, reject, approve and correct entries; resolve; mirror what was approved."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from bot import ids
from bot.incidents import components, keys, severities, timeline
from bot.incidents.errors import UserError
from bot.incidents.flows import FlowDeps, Flows, approver
from bot.incidents.mirror import check_impact
from bot.render.entries import UpdateForm
from bot.render.text import clock_time
from bot.store.db import session_scope
from bot.store.models import APPROVED, DRAFT, REJECTED, RESOLUTION, SUPERSEDED, Entry, Incident, OutboxMessage
from bot.vocabulary import (
    CAUSE_LIMIT,
    ENTRY_TEXT_LIMIT,
    NO_NEW_INFORMATION,
    REASON_LIMIT,
    UPDATE_PHASES,
    Event,
    Phase,
    Said,
    User,
)

_PHASE_PREFIX = re.compile(rf"^\s*({'|'.join(Phase)})\s*:\s*", re.IGNORECASE)


class OnResolved(Protocol):
    """Called in the resolving transaction, with who signs the customer email (looked up before it)."""

    def __call__(self, session: Session, incident: Incident, *, sender: str) -> None: ...


def _nothing_more(session: Session, incident: Incident, *, sender: str) -> None:
    """No follow-ups."""


class Feed(Flows):
    """The update-feed flows. Only approved entries ever reach the mirror channel."""

    def __init__(
        self,
        deps: FlowDeps,
        *,
        on_resolved: OnResolved = _nothing_more,
        sender_for: Callable[[str], str] = lambda _by: "the team",
        on_corrected: Callable[[Session, Incident, Entry], None] = lambda _session, _incident, _entry: None,
    ) -> None:
        super().__init__(deps)
        self._on_resolved = on_resolved
        self._sender_for = sender_for
        self._on_corrected = on_corrected  # e.g. a corrected resolution re-renders the unsent customer email

    # -- drafting -----------------------------------------------------------------------------------------

    def draft(
        self, *, channel_id: str, by: str, text: str, phase: str | None = None, marks: Mapping[str, str] | None = None
    ) -> Entry:
        """Draft an entry; `identified: …` or `monitoring: …` also moves the status when it is approved (and the
        component `marks` that differ from the incident's now, the update form's, apply with it)."""
        match = _PHASE_PREFIX.match(text)
        if match:
            phase, text = match.group(1).lower(), text[match.end() :]
        if phase == Phase.RESOLVED:
            raise UserError("To resolve, use `/incident resolve <one sentence on the cause>`.")
        if phase is not None and phase not in UPDATE_PHASES:
            raise UserError(f"Unknown status “{phase}”. Use one of {', '.join(UPDATE_PHASES)}.")
        clean, wanted = self._check_text(text), components.check(self._playbook, marks or {})
        with session_scope(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, lock=True)
            delta = components.changes(session, incident, wanted)
            entry = self._draft(session, incident, text=clean, phase=phase, by=by, marks=delta)
        self._on_commit()
        return entry

    def draft_resolution(self, *, channel_id: str, by: str, cause: str) -> Entry:
        """Draft the resolved entry, with its cause; approving it closes the incident."""
        clean_cause = " ".join(cause.split())
        if not clean_cause:
            raise UserError(
                "Say what caused it, in one honest sentence: `/incident resolve A configuration change at 14:30 "
                "exhausted the database connection pool`."
            )
        if len(clean_cause) > CAUSE_LIMIT:
            raise UserError(f"The cause is {len(clean_cause)} characters; keep it to one sentence ({CAUSE_LIMIT}).")
        with session_scope(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, lock=True)
            text = self._notices.draft_text(incident, Phase.RESOLVED)
            entry = self._draft(
                session, incident, text=text, phase=Phase.RESOLVED, by=by, kind=RESOLUTION, cause=clean_cause
            )
        self._on_commit()
        return entry

    def update_form(self, *, channel_id: str | None = None, incident_id: int | None = None) -> UpdateForm:
        """What the `/incident update` form offers: a draft per status from the severity's templates."""
        with Session(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, incident_id=incident_id)
            marks = components.shown(session, incident, self._playbook)
        drafts = {phase: self._notices.draft_text(incident, phase) for phase in UPDATE_PHASES}
        current = Phase(incident.status) if incident.status in UPDATE_PHASES else UPDATE_PHASES[0]
        return UpdateForm(channel_id=incident.channel_id, phase=current, drafts=drafts, marks=marks)

    def draft_no_news(self, *, incident_id: int, by: str) -> Entry:
        """The one-click "no new information" draft, from the severity's template; it still needs approval."""
        with session_scope(self._engine) as session:
            incident = self._find(session, incident_id=incident_id, lock=True)
            text = self._notices.draft_text(incident, NO_NEW_INFORMATION)
            waiting = select(Entry.id).where(Entry.incident_id == incident_id, Entry.state == DRAFT, Entry.text == text)
            if session.exec(waiting).first() is not None:
                raise UserError(f"A “no new information” draft for {incident.ref} is already waiting for approval.")
            entry = self._draft(session, incident, text=text, phase=None, by=by)
        self._on_commit()
        return entry

    # -- deciding -----------------------------------------------------------------------------------------

    def approve(self, *, entry_id: int, by: str) -> Entry:
        """Approve a draft: post it to the war room and the mirror, committing the next update time."""
        with Session(self._engine) as session:  # Slack is asked who signs the email before any lock is taken
            kind = session.exec(select(Entry.kind).where(Entry.id == entry_id)).first()
        sender = self._sender_for(by) if kind == RESOLUTION else ""
        now = self._clock.now()
        with session_scope(self._engine) as session:
            entry, incident = self._entry(session, entry_id, lock=True)
            self._check_decidable(entry, incident, by=by)
            if incident.resolved_at is not None:
                raise UserError(f"{incident.ref} is already resolved; this draft can't be approved any more.")
            entry.state, entry.decided_by, entry.decided_at = APPROVED, by, now
            incident.last_update_at = now
            if entry.kind == RESOLUTION:
                incident.status, incident.resolved_at = Phase.RESOLVED, now
            else:
                entry.next_update_due_at = now + self._playbook.severities[incident.severity].cadence
                incident.next_update_due_at = entry.next_update_due_at
                incident.status = entry.phase or incident.status
            session.add_all([entry, incident])
            timeline.record(
                session, incident, Event.APPROVED, by=by, at=now, entry=entry_id, text=entry.text,
                phase=incident.status, next_update_due_at=_iso(entry.next_update_due_at),
            )  # fmt: skip
            impact_approved = self._approve_proposal(session, incident, by=by, at=now)
            marks_cleared = components.on_approval(session, incident, entry, by=by, at=now)
            self._supersede(session, incident, entry, by=by, at=now)
            self._publish(session, incident, entry)
            if impact_approved or marks_cleared:  # the pending draft cards drop the proposals they showed
                self._impact_settled(session, incident, but=entry, activation=impact_approved)
            elif entry.kind == RESOLUTION:
                self._activate(session, incident)  # the thread's parent says it is over, for who scans the channel
            self._refresh_draft(session, incident, entry)
            self._refresh_card(session, incident)
            if entry.kind == RESOLUTION:
                timeline.record(session, incident, Event.RESOLVED, by=by, at=now, entry=entry_id, cause=entry.cause)
                session.flush()
                self._on_resolved(session, incident, sender=sender)
        self._on_commit()
        return entry

    def rejectable(self, *, entry_id: int, by: str) -> tuple[Entry, Incident]:
        """The draft to open in the Reject modal, and its incident, if `by` may reject it."""
        with Session(self._engine) as session:
            entry, incident = self._entry(session, entry_id)
            self._check_decidable(entry, incident, by=by)
        return entry, incident

    def reject(self, *, entry_id: int, by: str, reason: str | None = None) -> Entry:
        """Reject a draft, with an optional reason told to whoever drafted it; it can never be approved after."""
        clean = " ".join((reason or "").split()) or None
        if clean is not None and len(clean) > REASON_LIMIT:
            raise UserError(
                f"The reason is {len(clean)} characters; keep it to {REASON_LIMIT}.", field=ids.REASON_BLOCK
            )
        now = self._clock.now()
        with session_scope(self._engine) as session:
            entry, incident = self._entry(session, entry_id, lock=True)
            self._check_decidable(entry, incident, by=by)
            entry.state, entry.decided_by, entry.decided_at, entry.reason = REJECTED, by, now, clean
            session.add(entry)
            timeline.record(session, incident, Event.REJECTED, by=by, at=now, entry=entry_id, reason=clean)
            self._refresh_draft(session, incident, entry)
            if entry.drafted_by is not None and entry.drafted_by != by:  # an automatic draft has no one to tell
                told = self._notices.draft_rejected(incident, entry)
                self._owe(session, incident, told, channel_id=entry.drafted_by)
        self._on_commit()
        return entry

    def editable(self, *, entry_id: int, by: str) -> Entry:
        """The draft to open in the Edit modal, if `by` may edit it."""
        with Session(self._engine) as session:
            entry, incident = self._entry(session, entry_id)
            self._check_decidable(entry, incident, by=by)
        return entry

    def edit(self, *, entry_id: int, by: str, text: str, cause: str | None = None) -> Entry:
        """Replace a draft's text (and a resolution's cause)."""
        return self._revise(entry_id, by=by, text=text, cause=cause, correcting=False)

    def correctable(self, *, entry_id: int, by: str) -> Entry:
        """The approved entry to open in the Correct modal, if `by` may correct it."""
        with Session(self._engine) as session:
            entry, incident = self._entry(session, entry_id)
            self._check_correctable(entry, incident, by=by)
        return entry

    def correct(self, *, entry_id: int, by: str, text: str, cause: str | None = None) -> Entry:
        """Correct an approved entry in place, in the war room and in the mirror, marked as edited."""
        return self._revise(entry_id, by=by, text=text, cause=cause, correcting=True)

    def _revise(self, entry_id: int, *, by: str, text: str, cause: str | None, correcting: bool) -> Entry:
        clean = self._check_text(text)
        now = self._clock.now()
        with session_scope(self._engine) as session:
            entry, incident = self._entry(session, entry_id, lock=True)
            if correcting:
                self._check_correctable(entry, incident, by=by)
                entry.corrected_by, entry.corrected_at = by, now
            else:
                self._check_decidable(entry, incident, by=by)
                entry.edited_by, entry.edited_at = by, now
            old, cause_before, entry.text = entry.text, entry.cause, clean
            if cause is not None and entry.kind == RESOLUTION:
                entry.cause = " ".join(cause.split()) or entry.cause
            session.add(entry)
            kind = Event.CORRECTED if correcting else Event.EDITED
            timeline.record(session, incident, kind, by=by, at=now, entry=entry_id, old=old, new=clean)
            if correcting:
                self._publish(session, incident, entry)
                self._on_corrected(session, incident, entry)
                if old != clean or cause_before != entry.cause:  # whoever quoted the old words must hear of it
                    note = self._notices.mirror.correction(incident, entry, at=now)
                    self._to_mirror(session, incident, note, broadcast=True)
                    self._to_war_room_thread(session, incident, note)
            else:
                self._refresh_draft(session, incident, entry)
        self._on_commit()
        return entry

    # -- the public impact line ------------------------------------------------------------------------------

    def set_impact(self, *, channel_id: str, by: str, text: str) -> tuple[Incident, bool]:
        """Set the public impact line: approved at once when `by` is the approver, else proposed to them.

        Returns the incident and whether the line was approved (and so reaches the mirror now).
        """
        line = check_impact(text)
        now = self._clock.now()
        with session_scope(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, lock=True)
            approved = by == approver(incident)
            previous = incident.impact
            if approved:
                incident.impact, incident.impact_proposed, incident.impact_proposed_by = line, None, None
                timeline.record(session, incident, Event.IMPACT_APPROVED, by=by, at=now, text=line)
                if line != previous:  # the parent is updated in place; the thread says so, for who read it already
                    told = self._notices.mirror.impact_changed(incident, previous=previous, at=now)
                    self._to_mirror(session, incident, told, broadcast=True)
            else:
                incident.impact_proposed, incident.impact_proposed_by = line, by
                timeline.record(session, incident, Event.IMPACT_PROPOSED, by=by, at=now, text=line)
            session.add(incident)
            self._impact_settled(session, incident, but=None, activation=approved)
        self._on_commit()
        return incident, approved

    def has_impact(self, incident_id: int) -> bool:
        """Whether the incident has an approved public impact line (the support team can say what is affected)."""
        with Session(self._engine) as session:
            line = session.exec(select(Incident.impact).where(Incident.id == incident_id)).first()
        return bool(line)

    def _approve_proposal(self, session: Session, incident: Incident, *, by: str, at: datetime) -> bool:
        """Approving an entry approves the impact line proposed before it; True if there was one."""
        proposal = incident.impact_proposed
        if not proposal:
            return False
        incident.impact, incident.impact_proposed, incident.impact_proposed_by = proposal, None, None
        session.add(incident)
        timeline.record(session, incident, Event.IMPACT_APPROVED, by=by, at=at, text=proposal)
        return True

    def _impact_settled(
        self, session: Session, incident: Incident, *, but: Entry | None, activation: bool = True
    ) -> None:
        """The activation notice shows the approved line in place; pending draft cards show the proposal, if any."""
        if activation:
            self._activate(session, incident)
        pending = select(Entry).where(Entry.incident_id == incident.id, Entry.state == DRAFT).order_by(col(Entry.id))
        for draft in session.exec(pending):
            if but is None or draft.id != but.id:
                self._refresh_draft(session, incident, draft)

    # -- delivery hooks -------------------------------------------------------------------------------------

    def mirror_unreachable(self, session: Session, row: OutboxMessage, error: str) -> None:
        """Tell the war room once that the mirror can't be reached; the entries stay queued."""
        if row.channel_id != self._mirror:  # checked first: no read for the rows of every other channel
            return
        incident = session.get(Incident, row.incident_id)
        if incident is None or incident.mirror_alerted:
            return
        incident.mirror_alerted = True
        session.add(incident)
        timeline.record(session, incident, Event.MIRROR_UNREACHABLE, by=None, at=self._clock.now(), error=error)
        notice = self._notices.mirror_unreachable(incident, error=error, mirror=self._mirror)
        self._to_war_room_thread(session, incident, notice)

    def mirror_reachable(self, session: Session, row: OutboxMessage) -> None:
        """After a mirror problem: say so once the queued entries are through."""
        if row.channel_id != self._mirror:  # checked first: no read for each delivered row of every other channel
            return
        incident = session.get(Incident, row.incident_id)
        if incident is None or not incident.mirror_alerted:
            return
        incident.mirror_alerted = False
        session.add(incident)
        self._to_war_room_thread(session, incident, self._notices.mirror_reachable(incident))

    # -- helpers ------------------------------------------------------------------------------------------

    def _publish(self, session: Session, incident: Incident, entry: Entry) -> None:
        """Post (or, after a correction, update) the entry in the war room and in the mirror."""
        assert entry.id is not None
        # the resolved post names the highest severity the incident held, not the last one
        held = None
        if entry.kind == RESOLUTION:
            held = severities.highest(self._playbook.severity_names(), self._held(session, incident))
        war_room = self._notices.entry_post(incident, entry, war_room=True, highest=held)
        mirror = self._notices.entry_post(incident, entry, war_room=False, highest=held)
        self._owe(session, incident, war_room, key=keys.war_room_post(entry.id))
        self._to_mirror(session, incident, mirror, key=keys.mirror_post(entry.id), broadcast=True)

    def _check_text(self, text: str) -> str:
        clean = text.strip()
        if not clean:
            raise UserError(
                "An update needs text: `/incident update Checkout is failing for all card payments; we are "
                "investigating.` (or `/incident update` alone for a form).",
                field=ids.TEXT_BLOCK,
            )
        if len(clean) > ENTRY_TEXT_LIMIT:
            raise UserError(
                f"The update is {len(clean)} characters; keep it to 2–3 sentences ({ENTRY_TEXT_LIMIT} at most).",
                field=ids.TEXT_BLOCK,
            )
        return clean

    def _check_decidable(self, entry: Entry, incident: Incident, *, by: str) -> None:
        self._check_approver(incident, by)
        zone = self._playbook.zone
        when = clock_time(entry.decided_at, zone) if entry.decided_at else ""
        who: Said = User(entry.decided_by) if entry.decided_by else "someone"
        if entry.state == APPROVED:
            raise UserError("This update was already approved by ", who, f" at {when}; it has been posted once.")
        if entry.state == REJECTED:
            raise UserError(
                "This draft was rejected by ", who, f" at {when} and can't be approved or edited. "
                "Draft a new one with `/incident update <text>`."
            )  # fmt: skip
        if entry.state == SUPERSEDED:
            resolved = incident.resolved_at is not None and entry.decided_at == incident.resolved_at
            newer = "the resolution" if resolved else "a newer update"
            after = (
                f"{incident.ref} is resolved."
                if incident.resolved_at is not None
                else "To say something new, draft it with `/incident update <text>`."
            )
            raise UserError(
                f"This draft was superseded at {when}, when ", who, f" approved {newer}: it can no longer be "
                f"approved, edited or rejected, and nothing from it will be posted. {after}"
            )  # fmt: skip
        assert entry.state == DRAFT

    def _check_correctable(self, entry: Entry, incident: Incident, *, by: str) -> None:
        self._check_approver(incident, by)
        if entry.state != APPROVED:
            raise UserError("Only approved entries can be corrected; edit a draft with its Edit button.")

    def _check_approver(self, incident: Incident, by: str) -> None:
        allowed = approver(incident)
        if by != allowed:
            role = "the communicator" if incident.communicator_id else "the incident lead (no communicator yet)"
            raise UserError(
                "Only ", User(allowed), f", {role}, can approve, edit, reject or correct {incident.ref}'s updates. "
                "Send them your suggestion in the war room."
            )  # fmt: skip


def _iso(moment: object) -> str | None:
    return moment.isoformat() if hasattr(moment, "isoformat") else None
