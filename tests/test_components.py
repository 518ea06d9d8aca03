"""Customer-facing components: marked in the declare and update forms and by `/incident components`, applied only
when the communicator approves, back to operational on resolution; and internal-only incidents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.incidents import keys
from bot.store.public import IncidentComponent
from tests.support.feed import approve, opened_view, text_values
from tests.support.harness import DANA, ERIN, LEAD, OTHER_ROOM, WAR_ROOM, Harness, running, shipped_playbook
from tests.support.mirror import settled

COMPONENTS = ["API", "Dashboard", "Checkout", "Notifications"]


@pytest.fixture
def marked(database_url: str) -> Iterator[Harness]:
    """Warroom with a playbook that lists the customer-facing components."""
    playbook = shipped_playbook().model_copy(update={"components": COMPONENTS})
    with running(database_url, playbook=playbook) as harness:
        yield harness


def _select(status: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": status, "text": {"type": "plain_text", "text": "x"}}}


def _declare_values(marks: dict[str, str], *, internal: bool = False) -> dict[str, Any]:
    option = {"value": "P1", "text": {"type": "plain_text", "text": "P1"}}
    ticked = [{"value": "internal", "text": {"type": "plain_text", "text": "Internal only"}}] if internal else []
    return {
        "severity": {"severity_select": {"type": "static_select", "selected_option": option}},
        "title": {"title_input": {"type": "plain_text_input", "value": "payments-api 500s"}},
        "communicator": {"communicator_select": {"type": "users_select", "selected_user": None}},
        "internal": {"internal_check": {"type": "checkboxes", "selected_options": ticked}},
        **{f"component:{name}": {"component_status": _select(status)} for name, status in marks.items()},
    }


def _rows(warroom: Harness) -> dict[str, str]:
    with Session(warroom.engine) as session:
        rows = session.exec(select(IncidentComponent).order_by(col(IncidentComponent.id)))
        return {row.name: row.status for row in rows}


def _card(warroom: Harness, incident_id: int = 1, channel: str = WAR_ROOM) -> str:
    """The incident card as it reads now (after every update in place): text and blocks."""
    return _latest(warroom, keys.card(incident_id), channel=channel)


def _draft_card(warroom: Harness, entry_id: int) -> str:
    return _latest(warroom, keys.draft(entry_id))


def _latest(warroom: Harness, key: str, *, channel: str = WAR_ROOM) -> str:
    """The last version of the war-room message `key` that Slack received (posted, then updated in place)."""
    settled(warroom)
    ts = warroom.wait_until(lambda: warroom.fake.ts_of(channel, key))
    posted = [c for c in warroom.fake.received("chat.postMessage", channel=channel) if key in str(c.params)]
    updated = [c for c in warroom.fake.received("chat.update", channel=channel) if c.params["ts"] == ts]
    return (posted + updated)[-1].everything


def _changed(warroom: Harness) -> list[tuple[str | None, Any]]:
    return [(event.actor_id, event.data) for event in warroom.events("components_changed")]


def _answer(warroom: Harness, text: str, *, user: str = LEAD, name: str = "c") -> str:
    warroom.command(f"components {text}".strip(), user=user, response=name)
    return str(warroom.fake.wait_response(name)[-1].text)


def test_marks_from_the_declare_modal_apply_only_when_the_first_draft_is_approved(marked: Harness) -> None:
    marked.command("declare")
    view = opened_view(marked)
    blocks = [block.get("block_id") for block in view["blocks"]]
    assert [f"component:{name}" for name in COMPONENTS] == [b for b in blocks if str(b).startswith("component:")]
    options = [o["text"]["text"] for o in view["blocks"][blocks.index("component:API")]["element"]["options"]]
    assert options == ["Operational (not affected)", "Degraded performance", "Partial outage", "Major outage"]

    marks = {"API": "degraded_performance", "Dashboard": "operational", "Checkout": "major_outage"}
    reply = marked.slack.view_submission(user=LEAD, view=view, values=_declare_values(marks))

    assert reply.status == 200 and reply.body == ""
    first = marked.wait_until(lambda: marked.entries())[0]
    assert first.components == {"API": "degraded_performance", "Checkout": "major_outage"}, "not affected: no mark"
    settled(marked)
    assert _rows(marked) == {} and _changed(marked) == [], "nothing is marked before approval"
    assert "Components:" not in _card(marked)
    assert "*Components, applied with this update:* API · degraded performance, Checkout · major outage" in _draft_card(
        marked, first.id or 0
    )

    approve(marked, first.id or 0, by=LEAD)
    settled(marked)

    assert _rows(marked) == {"API": "degraded_performance", "Checkout": "major_outage"}
    assert _changed(marked) == [(LEAD, {"components": {"API": "degraded_performance", "Checkout": "major_outage"}})]
    assert "*Components:* API · degraded performance, Checkout · major outage" in _card(marked)
    assert "Components, applied" not in _draft_card(marked, first.id or 0), "a decided card no longer promises it"


def test_the_internal_box_in_the_modal_keeps_the_incident_in_slack(marked: Harness) -> None:
    marked.command("declare")
    marked.slack.view_submission(user=LEAD, view=opened_view(marked), values=_declare_values({}, internal=True))

    incident = marked.wait_until(lambda: marked.incidents())[0]
    assert incident.internal and not incident.public
    assert marked.events("declared")[0].data["internal"] is True
    assert "Internal only" in _card(marked)
    assert marked.entries()[0].components is None


def test_declare_internal_with_arguments_and_a_plain_declaration_is_public(marked: Harness) -> None:
    marked.declare("internal P2 Search is slow for staff")
    marked.declare("P2 Search is slow", channel=OTHER_ROOM)

    internal, public = marked.incidents()
    assert (internal.internal, internal.severity, internal.title) == (True, "P2", "Search is slow for staff")
    assert (public.internal, public.public) == (False, True)
    assert "Internal only" in _card(marked) and "Internal only" not in _card(marked, 2, channel=OTHER_ROOM)


def test_the_update_form_shows_the_marks_and_its_changes_go_onto_the_draft(marked: Harness) -> None:
    marked.declare()
    assert "Marked for INC-1" in _answer(marked, "Checkout=major")

    marked.command("update")
    view = opened_view(marked)
    initial = {
        b["block_id"].removeprefix("component:"): b["element"]["initial_option"]["value"]
        for b in view["blocks"]
        if b.get("block_id", "").startswith("component:")
    }
    assert initial == {
        "API": "operational",
        "Dashboard": "operational",
        "Checkout": "major_outage",
        "Notifications": "operational",
    }
    values = {
        **text_values("Card payments work again for most customers.", phase="monitoring"),
        "component:API": {"component_status": _select("operational")},
        "component:Checkout": {"component_status": _select("partial_outage")},
        "component:Notifications": {"component_status": _select("degraded_performance")},
    }
    assert marked.slack.view_submission(user=ERIN, view=view, values=values).status == 200

    drafted = marked.wait_until(lambda: [e for e in marked.entries() if e.drafted_by == ERIN])[0]
    assert drafted.components == {"Checkout": "partial_outage", "Notifications": "degraded_performance"}
    assert _rows(marked) == {"Checkout": "major_outage"}, "a draft changes nothing until it is approved"
    approve(marked, drafted.id or 0, by=LEAD)
    assert _rows(marked) == {"Checkout": "partial_outage", "Notifications": "degraded_performance"}
    assert _changed(marked)[-1] == (
        LEAD,
        {"components": {"Checkout": "partial_outage", "Notifications": "degraded_performance"}},
    )


def test_the_communicators_marks_apply_at_once_and_are_recorded_once(marked: Harness) -> None:
    marked.declare()
    marked.command(f"communicator <@{DANA}|dana>")
    marked.wait_until(lambda: marked.incidents()[0].communicator_id)

    said = _answer(marked, "api=Major_Outage, checkout=degraded", user=DANA, name="first")

    assert said == (
        "Marked for INC-1: API · major outage, Checkout · degraded performance. The incident card shows them."
    )
    assert _rows(marked) == {"API": "major_outage", "Checkout": "degraded_performance"}
    assert _changed(marked) == [(DANA, {"components": {"API": "major_outage", "Checkout": "degraded_performance"}})]
    marked.wait_until(lambda: "*Components:* API · major outage, Checkout · degraded performance" in _card(marked))

    again = _answer(marked, "API=major Checkout=partial", user=DANA, name="again")

    assert again.startswith("Marked for INC-1: API · major outage, Checkout · partial outage.")
    assert _changed(marked)[-1] == (DANA, {"components": {"Checkout": "partial_outage"}}), "only what changed"
    assert _answer(marked, "Checkout=partial", user=DANA, name="same").startswith("Nothing changed")
    assert len(_changed(marked)) == 2


def test_anyone_elses_marks_are_a_proposal_applied_with_the_next_approval(marked: Harness) -> None:
    marked.declare()
    marked.command(f"communicator <@{DANA}|dana>")
    marked.wait_until(lambda: marked.incidents()[0].communicator_id)

    said = _answer(marked, "Checkout=major", user=ERIN)

    assert said.startswith(f"Proposed for INC-1: Checkout · major outage. They apply when <@{DANA}> approves")
    assert _rows(marked) == {} and _changed(marked) == []
    assert marked.incidents()[0].components_proposed == {"Checkout": "major_outage"}
    first = marked.entries()[0]
    marked.wait_until(
        lambda: "*Components, applied with this update:* Checkout · major outage" in _draft_card(marked, first.id or 0)
    )
    shown = _answer(marked, "", user=ERIN, name="shown")
    assert shown.startswith(
        "INC-1's components: none marked (all operational). Proposed, applied with the next approval: "
        "Checkout · major outage."
    )

    approve(marked, first.id or 0, by=DANA)

    assert _rows(marked) == {"Checkout": "major_outage"}
    assert marked.incidents()[0].components_proposed is None
    assert _changed(marked) == [(DANA, {"components": {"Checkout": "major_outage"}})]
    assert _answer(marked, "", name="after").startswith("INC-1's components: Checkout · major outage. Components:")


def test_a_wrong_name_or_status_lists_the_valid_ones_and_marks_nothing(marked: Harness) -> None:
    marked.declare()
    valid = "Components: API, Dashboard, Checkout, Notifications. Statuses: `operational`, `degraded_performance`"

    wrong_name = _answer(marked, "Paymnts=major", name="name")
    wrong_status = _answer(marked, "API=down", name="status")
    no_status = _answer(marked, "API", name="pair")

    assert wrong_name.startswith("“Paymnts” is not one of the playbook's components.") and valid in wrong_name
    assert wrong_status.startswith("“down” is not a status.") and valid in wrong_status
    assert "`major_outage` (or `major`)" in wrong_status
    assert no_status.startswith("“API” is not a `name=status` pair.") and valid in no_status
    assert _rows(marked) == {} and _changed(marked) == [] and marked.incidents()[0].components_proposed is None


def test_approving_the_resolution_returns_the_components_to_operational(marked: Harness) -> None:
    marked.declare()
    _answer(marked, "API=major Checkout=partial")
    marked.command("resolve A configuration change exhausted the connection pool.")
    resolution = marked.wait_until(lambda: [e for e in marked.entries() if e.kind == "resolution"])[0]

    approve(marked, resolution.id or 0, by=LEAD)
    settled(marked)

    assert _rows(marked) == {"API": "operational", "Checkout": "operational"}
    assert _changed(marked)[-1] == (LEAD, {"components": {"API": "operational", "Checkout": "operational"}})
    assert "*Components:* API · operational, Checkout · operational" in _card(marked)


def test_a_correction_leaves_the_marks_alone(marked: Harness) -> None:
    marked.declare()
    _answer(marked, "API=major")
    first = marked.entries()[0]
    approve(marked, first.id or 0, by=LEAD)
    marked.slack.block_action(
        user=LEAD,
        channel=WAR_ROOM,
        action={"type": "button", "action_id": "entry_correct", "value": str(first.id), "block_id": "posted:1"},
    )
    view = opened_view(marked)
    marked.slack.view_submission(user=LEAD, view=view, values=text_values("We are investigating errors on the API."))
    marked.wait_until(lambda: marked.events("corrected"))

    assert _rows(marked) == {"API": "major_outage"} and len(_changed(marked)) == 1


def test_without_components_in_the_playbook_the_forms_offer_none_and_the_command_says_how(warroom: Harness) -> None:
    warroom.command("declare")
    declare_blocks = [str(block.get("block_id")) for block in opened_view(warroom)["blocks"]]
    assert not [b for b in declare_blocks if b.startswith("component:")] and "internal" in declare_blocks
    warroom.declare()
    warroom.command("update")
    update_blocks = [str(block.get("block_id")) for block in opened_view(warroom, 2)["blocks"]]
    assert update_blocks == ["phase", "text"]

    said = _answer(warroom, "API=major")

    assert said.startswith("The playbook lists no customer-facing components, so there is nothing to mark.")
    assert "`components: [API, Dashboard, Checkout]`" in said
    assert _answer(warroom, "", name="bare") == said


def test_the_timeline_says_which_components_were_marked_and_how() -> None:
    from datetime import UTC, datetime

    from bot.incidents.story import lines
    from bot.playbook import load_playbook
    from bot.store.models import Incident, TimelineEvent
    from bot.vocabulary import Event

    incident = Incident(id=1, channel_id=WAR_ROOM, title="t", severity="P1", status="investigating", lead_id=LEAD)
    at = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    marked = {"components": {"Checkout": "major_outage", "API": "degraded_performance"}}
    event = TimelineEvent(incident_id=1, at=at, actor_id=DANA, kind=Event.COMPONENTS_CHANGED, data=marked)

    [told] = lines(incident, [event], load_playbook())

    assert told.text.endswith("marked the components: Checkout · major outage, API · degraded performance")
