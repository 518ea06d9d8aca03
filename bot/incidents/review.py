"""Looking back at an incident: its trust audit and its timeline, for `/incident audit` and `/incident timeline`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.incidents import timeline
from bot.incidents.audit import Audit, audit
from bot.incidents.errors import UserError
from bot.incidents.flows import Flows
from bot.incidents.story import Told, lines
from bot.playbook import Playbook
from bot.render.blocks import Message
from bot.render.drills import PREFIX as DRILL_PREFIX
from bot.render.followups import audit_message
from bot.render.text import escape
from bot.store.models import Entry, Incident


def audited(
    session: Session, incident: Incident, playbook: Playbook, *, held: dict[str, timedelta], now: datetime
) -> Audit:
    """The incident's trust audit as of `now`, from its entries and the time it held each severity."""
    entries = list(session.exec(select(Entry).where(Entry.incident_id == incident.id)))
    return audit(incident, entries, playbook, held=held, now=now)


def audit_shown(incident: Incident, result: Audit) -> Message:
    """The audit as a message."""
    answers = [(a.state, a.question, escape(a.evidence)) for a in result.answers]
    pending = f", {result.pending} not yet due" if result.pending else ""
    drill = DRILL_PREFIX if incident.drill else ""  # asked with `/incident audit`: a drill's says so too
    title = f"{drill}Trust audit for {incident.ref}: {result.passed} of {len(result.answers)}{pending}"
    return audit_message(title=title, answers=answers, metrics=result.metrics)


class Review(Flows):
    """Read-only questions about an incident, open or resolved, asked from any channel."""

    def audit_of(self, *, channel_id: str | None = None, reference: str | None = None) -> tuple[Incident, Audit]:
        """The trust audit of the incident named by `reference` (INC-12), or of this channel's latest."""
        with Session(self._engine) as session:
            incident = self._named(session, channel_id=channel_id, reference=reference)
            held = self._held(session, incident)
            return incident, audited(session, incident, self._playbook, held=held, now=self._clock.now())

    def audit_message(self, incident: Incident, result: Audit) -> Message:
        """The audit as a message."""
        return audit_shown(incident, result)

    def events_of(self, *, channel_id: str | None = None, reference: str | None = None) -> tuple[Incident, list[Told]]:
        """Every event of the incident, as lines with their time, oldest first."""
        with Session(self._engine) as session:
            incident = self._named(session, channel_id=channel_id, reference=reference)
            return incident, lines(incident, timeline.events(session, incident.id or 0), self._playbook)

    def _named(self, session: Session, *, channel_id: str | None, reference: str | None) -> Incident:
        if reference:
            match = re.fullmatch(r"(?i)(?:INC-)?(\d{1,9})", reference.strip())
            incident = session.get(Incident, int(match.group(1))) if match else None
            if incident is None:
                raise UserError(f"There is no incident “{reference.strip()}”. Use a reference like INC-12.")
            return incident
        query = select(Incident).where(Incident.channel_id == channel_id).order_by(col(Incident.id).desc())
        incident = session.exec(query).first()
        if incident is None:
            raise UserError("This channel has no incident. Name one: `/incident audit INC-12`.")
        return incident
