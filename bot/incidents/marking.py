"""`/incident components`: the approver marks components at once; anyone else proposes, applied with the next
approval (the same rule as the public impact line)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.incidents import components
from bot.incidents.errors import UserError
from bot.incidents.flows import Flows, approver
from bot.store.db import session_scope
from bot.store.models import DRAFT, Entry, Incident


@dataclass(frozen=True)
class Marking:
    """An incident's component marks as they stand, and what one `/incident components` did."""

    incident: Incident
    marks: dict[str, str]  # the incident's marks now
    proposed: dict[str, str]  # waiting for the next approval
    applied: bool  # whether the marks asked for were applied at once (by the approver)
    changed: dict[str, str]  # what changed now


class ComponentMarks(Flows):
    """Mark the customer-facing components an incident affects, from the war room."""

    def mark(self, *, channel_id: str, by: str, text: str) -> Marking:
        """Apply `name=status` marks when `by` is the approver (the communicator, or the lead until one is named);
        otherwise propose them, to be applied with the next entry the approver approves."""
        wanted = {name: str(status) for name, status in components.parse(self._playbook, text).items()}
        now = self._clock.now()
        with session_scope(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, lock=True)
            proposal = dict(incident.components_proposed or {})
            applied = by == approver(incident)
            changed: dict[str, str] = {}
            if applied:  # the approver's word is the newest: a proposal on the same components is dropped
                changed = components.apply(session, incident, wanted, at=now, by=by)
                left = {name: status for name, status in proposal.items() if name not in wanted}
                self._refresh_card(session, incident)
            else:
                left = {**proposal, **wanted}
            if left != proposal:
                incident.components_proposed = left or None
                session.add(incident)
                self._refresh_pending(session, incident)
            marking = self._marking(session, incident, applied=applied, changed=changed)
        self._on_commit()
        return marking

    def current(self, *, channel_id: str) -> Marking:
        """The marks of the open incident in `channel_id`, and any proposal."""
        if not self._playbook.components:
            raise UserError(components.NONE_LISTED)
        with Session(self._engine) as session:
            incident = self._find(session, channel_id=channel_id)
            return self._marking(session, incident, applied=False, changed={})

    def _marking(self, session: Session, incident: Incident, *, applied: bool, changed: dict[str, str]) -> Marking:
        now = {name: str(status) for name, status in components.marks(session, incident).items()}
        proposed = dict(incident.components_proposed or {})
        return Marking(incident=incident, marks=now, proposed=proposed, applied=applied, changed=changed)

    def _refresh_pending(self, session: Session, incident: Incident) -> None:
        """The pending draft cards show what approving them applies, proposals included."""
        pending = select(Entry).where(Entry.incident_id == incident.id, Entry.state == DRAFT).order_by(col(Entry.id))
        for draft in session.exec(pending):
            self._refresh_draft(session, incident, draft)
