"""The Statuspage-compatible read API: Atlassian Statuspage's public API v2 paths, field names and values."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from bot.publish.snapshot import PublicComponent, PublicEntry, PublicIncident, Snapshot

API_PATHS = (
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
)
INCIDENTS_LIMIT = 50  # Statuspage's incidents.json lists the 50 most recent


def stamp(moment: datetime | None) -> str | None:
    """A time the way Statuspage writes it: ISO 8601 with milliseconds, in UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page_id(snapshot: Snapshot) -> str:
    """A stable id for the page, from its title."""
    return re.sub(r"[^a-z0-9]+", "-", snapshot.title.casefold()).strip("-") or "status"


def documents(snapshot: Snapshot) -> dict[str, bytes]:
    """Every API path and its JSON body."""
    page = {
        "id": page_id(snapshot),
        "name": snapshot.title,
        "url": snapshot.base_url,
        "time_zone": snapshot.zone.key,
        "updated_at": stamp(snapshot.updated_at),
    }
    status = {"indicator": str(snapshot.indicator), "description": snapshot.description}
    components = [component_json(snapshot, component) for component in snapshot.components]
    unresolved = [incident_json(snapshot, incident) for incident in snapshot.active]
    recent = [incident_json(snapshot, incident) for incident in snapshot.incidents[:INCIDENTS_LIMIT]]
    bodies: dict[str, dict[str, Any]] = {
        "/api/v2/summary.json": {
            "page": page,
            "status": status,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": [],
        },
        "/api/v2/status.json": {"page": page, "status": status},
        "/api/v2/components.json": {"page": page, "components": components},
        "/api/v2/incidents.json": {"page": page, "incidents": recent},
        "/api/v2/incidents/unresolved.json": {"page": page, "incidents": unresolved},
    }
    return {path: _encode(body) for path, body in bodies.items()}


def component_json(snapshot: Snapshot, component: PublicComponent) -> dict[str, Any]:
    """A component, with every field Statuspage's public API gives one."""
    return {
        "id": component.key,
        "name": component.name,
        "status": str(component.status),
        "created_at": stamp(component.created_at),
        "updated_at": stamp(component.updated_at),
        "position": component.position,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": page_id(snapshot),
        "group": False,
        "only_show_if_degraded": False,
    }


def incident_json(snapshot: Snapshot, incident: PublicIncident) -> dict[str, Any]:
    """An incident with its updates (newest first) and the components it affects."""
    by_name = {component.name: component for component in snapshot.components}
    affected = [by_name[name] for name, _status in incident.components if name in by_name]
    return {
        "id": incident.key,
        "name": incident.name,
        "status": str(incident.status),
        "created_at": stamp(incident.created_at),
        "updated_at": stamp(incident.updated_at),
        "monitoring_at": stamp(incident.monitoring_at),
        "resolved_at": stamp(incident.resolved_at),
        "impact": str(incident.impact),
        "shortlink": f"{snapshot.base_url}/incidents/{incident.ref}",
        "started_at": stamp(incident.started_at),
        "page_id": page_id(snapshot),
        "incident_updates": [_update_json(incident, entry) for entry in incident.entries],
        "components": [component_json(snapshot, component) for component in affected],
    }


def _update_json(incident: PublicIncident, entry: PublicEntry) -> dict[str, Any]:
    """One approved entry as an incident update; `affected_components` lists the marks it changed."""
    return {
        "id": entry.key,
        "status": str(entry.status),
        "body": entry.body,
        "incident_id": incident.key,
        "created_at": stamp(entry.created_at),
        "updated_at": stamp(entry.updated_at),
        "display_at": stamp(entry.created_at),
        "affected_components": [
            {"code": _code(name), "name": name, "old_status": str(old), "new_status": str(new)}
            for name, old, new in entry.changes
        ],
    }


def _code(name: str) -> str:
    return "cmp-" + (re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "component")


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
