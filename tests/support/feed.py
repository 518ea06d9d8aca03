"""Helpers for driving the update feed the way people do: clicks on draft cards, modal submissions."""

from __future__ import annotations

import json
from typing import Any

from tests.support.fake_slack import Call
from tests.support.harness import MIRROR, WAR_ROOM, Harness


def click(
    warroom: Harness, action_id: str, entry_id: int, *, by: str, response: str = "click", channel: str = WAR_ROOM
) -> None:
    """Press a button carrying an entry ID (Approve, Edit, Reject, Correct)."""
    reply = warroom.slack.block_action(
        user=by,
        channel=channel,
        response=response,
        action={"type": "button", "action_id": action_id, "value": str(entry_id), "block_id": f"entry:{entry_id}"},
    )
    assert reply.status == 200 and reply.body == ""


def approve(warroom: Harness, entry_id: int, *, by: str, response: str = "approve") -> Call:
    """Approve, and wait for the confirmation or the refusal."""
    click(warroom, "entry_approve", entry_id, by=by, response=response)
    return warroom.fake.wait_response(response)[-1]


def opened_view(warroom: Harness, count: int = 1) -> dict[str, Any]:
    """The modal the app most recently opened."""
    call = warroom.fake.wait_for("views.open", count)[count - 1]
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def text_values(text: str, *, cause: str | None = None, phase: str | None = None) -> dict[str, Any]:
    """view.state.values for the feed's modals."""
    values: dict[str, Any] = {"text": {"text_input": {"type": "plain_text_input", "value": text}}}
    if cause is not None:
        values["cause"] = {"cause_input": {"type": "plain_text_input", "value": cause}}
    if phase is not None:
        option = {"value": phase, "text": {"type": "plain_text", "text": phase}}
        values["phase"] = {"phase_select": {"type": "static_select", "selected_option": option}}
    return values


def mirror_texts(warroom: Harness) -> list[str]:
    """What the support team sees: the current text of every message in the mirror channel."""
    return [str(message["text"]) for message in warroom.fake.messages.get(MIRROR, [])]


def entry_posts(warroom: Harness, channel: str) -> list[dict[str, Any]]:
    """Messages in `channel` that are approved entries."""
    return [m for m in warroom.fake.messages.get(channel, []) if ":war_room" in _key(m) or ":mirror" in _key(m)]


def _key(message: dict[str, Any]) -> str:
    return str(((message.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


def wait_posted(warroom: Harness, entry_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wait until an approved entry is in both the war room and the mirror; return both messages."""

    def landed() -> tuple[dict[str, Any], dict[str, Any]] | None:
        war = [m for m in warroom.fake.messages.get(WAR_ROOM, []) if _key(m) == f"entry:{entry_id}:war_room"]
        mirror = [m for m in warroom.fake.messages.get(MIRROR, []) if _key(m) == f"entry:{entry_id}:mirror"]
        return (war[0], mirror[0]) if war and mirror else None

    return warroom.wait_until(landed)
