"""Customer-facing components: which ones an incident affects, and how, in Statuspage's statuses.

Marks are applied when the communicator approves (an entry that carries them, a proposal, or their own
`/incident components`), each change recorded once on the timeline; resolving returns them to operational.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from bot import ids
from bot.incidents import timeline
from bot.incidents.errors import UserError
from bot.playbook import Playbook
from bot.store.models import RESOLUTION, Entry, Incident
from bot.store.public import IncidentComponent
from bot.vocabulary import ComponentStatus, Event

# What an incident may mark a component, in the order a person reads them (maintenance is not an incident's).
MARKABLE = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)
_WORDS: dict[str, ComponentStatus] = {
    **{status.value: status for status in MARKABLE},
    "ok": ComponentStatus.OPERATIONAL,
    "degraded": ComponentStatus.DEGRADED_PERFORMANCE,
    "partial": ComponentStatus.PARTIAL_OUTAGE,
    "major": ComponentStatus.MAJOR_OUTAGE,
}
_SHORT = {
    ComponentStatus.DEGRADED_PERFORMANCE: "degraded",
    ComponentStatus.PARTIAL_OUTAGE: "partial",
    ComponentStatus.MAJOR_OUTAGE: "major",
}
_PAIR = re.compile(r"[\s,;]*([^=,;]+?)\s*=\s*([^\s,;]*)")
EXAMPLE = "/incident components API=major_outage Checkout=degraded"
NONE_LISTED = (
    "The playbook lists no customer-facing components, so there is nothing to mark. Add them to the playbook "
    "(the file WARROOM_PLAYBOOK names) as `components: [API, Dashboard, Checkout]`, then restart Warroom."
)


def readable(status: str) -> str:
    """'major_outage' -> 'major outage'."""
    return status.replace("_", " ")


def described(marks: Mapping[str, str]) -> str:
    """'Checkout · major outage, API · degraded performance' (plain text)."""
    return ", ".join(f"{name} · {readable(status)}" for name, status in marks.items())


def usage(playbook: Playbook) -> str:
    """The valid names and statuses, and an example."""
    statuses = ", ".join(
        f"`{status.value}`" + (f" (or `{_SHORT[status]}`)" if status in _SHORT else "") for status in MARKABLE
    )
    return f"Components: {', '.join(playbook.components)}. Statuses: {statuses}. For example: `{EXAMPLE}`."


def status_of(word: str) -> ComponentStatus | None:
    """The status a person means by `word` (a Statuspage value or its short form, any case), if any."""
    return _WORDS.get(re.sub(r"[\s-]+", "_", word.strip().lower()))


def check(playbook: Playbook, marks: Mapping[str, str], *, in_form: bool = False) -> dict[str, ComponentStatus]:
    """The marks with the playbook's spelling of each name and the status meant, or a UserError listing both
    (`in_form`: for the modal's select of that component)."""
    checked: dict[str, ComponentStatus] = {}
    for raw_name, word in marks.items():
        field = ids.component_block(raw_name) if in_form else None
        name = playbook.component(raw_name)
        if not playbook.components:
            raise UserError(NONE_LISTED, field=field)
        if name is None:
            raise UserError(
                f"“{raw_name.strip()}” is not one of the playbook's components. {usage(playbook)}", field=field
            )
        status = status_of(word)
        if status is None:
            what = f"“{word.strip()}” is not a status" if word.strip() else f"Say how {name} is affected"
            raise UserError(f"{what}. {usage(playbook)}", field=field)
        checked[name] = status
    return checked


def parse(playbook: Playbook, text: str) -> dict[str, ComponentStatus]:
    """`API=major_outage Checkout=degraded` (names in any case) as checked marks."""
    if not playbook.components:
        raise UserError(NONE_LISTED)
    pairs: dict[str, str] = {}
    end = 0
    for match in _PAIR.finditer(text):
        if match.start() != end:
            break
        pairs[match.group(1)] = match.group(2)
        end = match.end()
    rest = text[end:].strip(" \t\n,;")
    if rest or not pairs:
        said = f"“{rest}” is not a `name=status` pair. " if rest else "Say which components and how, as `name=status`. "
        raise UserError(said + usage(playbook))
    return check(playbook, pairs)


def marks(session: Session, incident: Incident) -> dict[str, ComponentStatus]:
    """The incident's current marks, in the order they were first made."""
    query = select(IncidentComponent).where(IncidentComponent.incident_id == incident.id)
    rows = session.exec(query.order_by(col(IncidentComponent.id)))
    return {row.name: ComponentStatus(row.status) for row in rows}


def shown(session: Session, incident: Incident, playbook: Playbook) -> dict[str, str]:
    """Every component the playbook lists, with the incident's mark on it (unmarked: operational), for a form."""
    now = marks(session, incident)
    return {name: str(now.get(name, ComponentStatus.OPERATIONAL)) for name in playbook.components}


def changes(session: Session, incident: Incident, wanted: Mapping[str, str]) -> dict[str, str] | None:
    """The part of `wanted` that differs from the incident's marks now (an unmarked component is operational)."""
    now = marks(session, incident)
    changed = {
        name: str(status) for name, status in wanted.items() if now.get(name, ComponentStatus.OPERATIONAL) != status
    }
    return changed or None


def apply(
    session: Session, incident: Incident, wanted: Mapping[str, str], *, at: datetime, by: str | None = None
) -> dict[str, str]:
    """Set the incident's marks; record one COMPONENTS_CHANGED event with the marks that changed (none: nothing)."""
    assert incident.id is not None
    query = select(IncidentComponent).where(IncidentComponent.incident_id == incident.id)
    rows = {row.name: row for row in session.exec(query)}
    changed: dict[str, str] = {}
    for name, status in wanted.items():
        row = rows.get(name)
        if (row.status if row else ComponentStatus.OPERATIONAL) == status:
            continue
        if row is None:
            row = IncidentComponent(incident_id=incident.id, name=name, status=str(status), updated_at=at)
        else:
            row.status, row.updated_at = str(status), at
        session.add(row)
        changed[name] = str(status)
    if changed:
        timeline.record(session, incident, Event.COMPONENTS_CHANGED, by=by, at=at, components=changed)
    return changed


def restore(session: Session, incident: Incident, *, at: datetime, by: str | None = None) -> dict[str, str]:
    """Return every component the incident marked to operational (one event, if any was not)."""
    return apply(session, incident, dict.fromkeys(marks(session, incident), ComponentStatus.OPERATIONAL), at=at, by=by)


def pending(incident: Incident, entry: Entry) -> dict[str, str]:
    """What approving `entry` would mark: its own marks, then any proposal (the newer word) over them."""
    if entry.kind == RESOLUTION:
        return {}
    return {**(entry.components or {}), **(incident.components_proposed or {})}


def on_approval(session: Session, incident: Incident, entry: Entry, *, by: str, at: datetime) -> bool:
    """Apply what approving `entry` marks (a resolution: all back to operational) and clear the proposal.

    Returns whether pending draft cards showed a proposal now cleared, and need refreshing (after a resolution,
    none is pending).
    """
    if entry.kind == RESOLUTION:
        restore(session, incident, at=at, by=by)
    else:
        apply(session, incident, pending(incident, entry), at=at, by=by)
    if not incident.components_proposed:
        return False
    incident.components_proposed = None
    session.add(incident)
    return entry.kind != RESOLUTION
