"""The Statuspage-compatible API: the documented paths, field names, nesting and values, field by field against a
pinned example of Statuspage's public API v2 (tests/data/statuspage_summary.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.vocabulary import ComponentStatus, Impact, Phase
from tests.support.harness import LEAD
from tests.support.status import TITLE, Public, parse_time, public_side

EXAMPLE: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "statuspage_summary.json").read_text())
IMPACT = "Card payments fail for some customers in the EU"
TIME_FIELDS = {"created_at", "updated_at", "monitoring_at", "resolved_at", "started_at", "display_at", "start_date"}


def _same_shape(ours: Any, theirs: Any, where: str) -> None:
    """Every field the example has, with the same JSON type (null allowed where the example allows a time), and
    nothing it lacks; lists compared item by item against the example's first item."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        assert set(ours) == set(theirs) - {"_source"}, f"{where}: {sorted(set(ours) ^ (set(theirs) - {'_source'}))}"
        for key, value in theirs.items():
            if key != "_source":
                _same_shape(ours[key], value, f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list), where
        for item in ours:
            if theirs:
                _same_shape(item, theirs[0], f"{where}[]")
    elif where.rsplit(".", 1)[-1] in TIME_FIELDS:
        assert ours is None or (isinstance(ours, str) and parse_time(ours).tzinfo is not None), where
    elif theirs is None:
        assert ours is None or isinstance(ours, str), where
    else:
        assert type(ours) is type(theirs), f"{where}: {ours!r} is not like {theirs!r}"


def _incident_with_components(public: Public) -> None:
    harness = public.harness
    harness.declare(f"P2 {TITLE}")
    harness.command(f"impact {IMPACT}", user=LEAD, response="impact")
    harness.wait_until(lambda: harness.incidents()[0].impact_proposed or harness.incidents()[0].impact)
    public.approve(harness.entries()[0].id or 0, response="first")
    public.mark(harness.incidents()[0].id or 0, API="partial_outage")
    harness.clock.advance(minutes=5)
    public.approve(public.draft("identified: A configuration change is rejecting card payments."), response="fix")


def test_every_endpoint_has_statuspage_s_fields_and_values(database_url: str) -> None:
    with public_side(database_url, base_url="https://status.acme.example") as public:
        _incident_with_components(public)
        summary = public.get("/api/v2/summary.json").json()
        _same_shape(summary, EXAMPLE, "summary")
        assert summary["page"] == {
            "id": "acme-cloud",
            "name": "Acme Cloud",
            "url": "https://status.acme.example",
            "time_zone": "Europe/Berlin",
            "updated_at": summary["page"]["updated_at"],
        }
        assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
        assert [(c["name"], c["status"], c["position"]) for c in summary["components"]] == [
            ("API", "partial_outage", 1),
            ("Dashboard", "operational", 2),
            ("Checkout", "operational", 3),
        ]
        [incident] = summary["incidents"]
        assert incident["id"] == "inc-1" and incident["name"] == IMPACT and incident["impact"] == "major"
        assert (
            incident["status"] == "identified"
            and incident["shortlink"] == "https://status.acme.example/incidents/INC-1"
        )
        assert [u["status"] for u in incident["incident_updates"]] == ["identified", "investigating"]
        assert all(u["incident_id"] == "inc-1" and u["id"].startswith("upd-") for u in incident["incident_updates"])
        assert [c["name"] for c in incident["components"]] == ["API"]
        for update in incident["incident_updates"]:
            assert update["display_at"] == update["created_at"]
        newest, first = incident["incident_updates"]
        assert parse_time(newest["created_at"]) > parse_time(first["created_at"])

        for path, keys in {
            "/api/v2/status.json": {"page", "status"},
            "/api/v2/components.json": {"page", "components"},
            "/api/v2/incidents.json": {"page", "incidents"},
            "/api/v2/incidents/unresolved.json": {"page", "incidents"},
        }.items():
            got = public.get(path)
            assert got.status == 200 and got.headers["Content-Type"] == "application/json; charset=utf-8", path
            body = got.json()
            assert set(body) == keys, path
            for key in keys:
                assert body[key] == summary[key], f"{path}: {key} differs from summary.json"


def test_values_stay_within_statuspage_s_enumerations_through_resolution(database_url: str) -> None:
    with public_side(database_url) as public:
        _incident_with_components(public)
        public.harness.clock.advance(minutes=20)
        public.resolve("A configuration change to card payments rejected them.")
        incidents = public.get("/api/v2/incidents.json").json()["incidents"]
        assert public.get("/api/v2/incidents/unresolved.json").json()["incidents"] == []
        [incident] = incidents
        _same_shape(incident, EXAMPLE["incidents"][0], "incident")
        assert incident["status"] == "resolved" and incident["resolved_at"] is not None
        assert incident["incident_updates"][0]["status"] == "resolved"
        assert {u["status"] for u in incident["incident_updates"]} <= set(Phase)
        assert incident["impact"] in set(Impact)
        status = public.get("/api/v2/status.json").json()["status"]
        assert status == {"indicator": "none", "description": "All Systems Operational"}
        components = public.get("/api/v2/components.json").json()["components"]
        assert {c["status"] for c in components} == {ComponentStatus.OPERATIONAL}


def test_an_incident_is_named_by_its_approved_impact_line_never_its_internal_title(database_url: str) -> None:
    with public_side(database_url) as public:
        harness = public.harness
        harness.declare(f"P1 {TITLE}")
        public.approve(harness.entries()[0].id or 0, response="first")
        body = public.get("/api/v2/summary.json").text
        assert "payments-api" not in body and "Marta" not in body
        assert public.get("/api/v2/summary.json").json()["incidents"][0]["name"] == "Service disruption (INC-1)"
        harness.command(f"impact {IMPACT}", user="UERIN0001", response="impact")  # a proposal: not public yet
        harness.wait_until(lambda: harness.incidents()[0].impact_proposed)
        assert public.get("/api/v2/summary.json").json()["incidents"][0]["name"] == "Service disruption (INC-1)"
        harness.command(f"impact {IMPACT}", user=LEAD, response="approved-impact")  # the approver's own: public
        harness.wait_until(lambda: harness.incidents()[0].impact)
        assert public.get("/api/v2/summary.json").json()["incidents"][0]["name"] == IMPACT
