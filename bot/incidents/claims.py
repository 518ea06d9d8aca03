"""Claiming due work on an incident: the one conditional UPDATE that lets every replica tick and one of them send.

A reminder (or any once-only chore) is marked by a timestamp column on the incident. Whoever sets the marker to
the value it is owed for, in the transaction that writes the messages to the outbox, sends them; a replica whose
UPDATE finds the marker already set (or the row no longer matching) sends nothing. A rollback undoes the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from bot.store.models import Incident

Due = datetime | Mapped[datetime] | ColumnElement[datetime]


def marker(name: str) -> Any:
    """The incident's marker column called `name` (e.g. "email_reminded_at")."""
    return col(getattr(Incident, name))


def differs(name: str, due: Due) -> ColumnElement[bool]:
    """The marker `name` is not yet set to `due`: the work it marks is owed."""
    column = marker(name)
    return or_(column.is_(None), column != due)


def unchanged(name: str, seen: datetime | None) -> ColumnElement[bool]:
    """The marker `name` still holds `seen`, the value read before claiming (nobody claimed in between)."""
    column = marker(name)
    same: ColumnElement[bool] = column.is_(None) if seen is None else column == seen
    return same


def claim(
    session: Session,
    incident_ids: Sequence[int],
    *,
    marker_name: str,
    due: Due,
    still: Sequence[ColumnElement[bool]] = (),
) -> dict[int, datetime]:
    """Set `marker_name` to `due` where it differs and `still` holds; the incidents this replica won, with `due`.

    `due` may be a column (the cadence claims `next_update_due_at` as it is at the moment of the UPDATE).
    """
    if not incident_ids:
        return {}
    won = session.execute(
        update(Incident)
        .where(col(Incident.id).in_(incident_ids), differs(marker_name, due), *still)
        .values({marker_name: due})
        .returning(col(Incident.id), marker(marker_name))
        .execution_options(synchronize_session=False)
    )
    return {incident_id: claimed for incident_id, claimed in won}


def claim_one(
    session: Session, incident_id: int, *, marker_name: str, due: Due, still: Sequence[ColumnElement[bool]] = ()
) -> Incident | None:
    """Claim one incident's marker (see `claim`); the incident, fresh from the database, if this replica won."""
    if not claim(session, [incident_id], marker_name=marker_name, due=due, still=still):
        return None
    incident = session.get(Incident, incident_id, populate_existing=True)
    assert incident is not None
    return incident
