"""Modal submissions. A mistake in a field is shown beside it, in the open modal."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.app_types import Domain
from bot.incidents.errors import UserError
from bot.listeners.errors import answering


def register(app: App, *, domain: Domain) -> None:
    """Attach the modal handlers."""
    incidents, feed = domain.incidents, domain.feed

    @app.view(ids.DECLARE_VIEW)
    def declare_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        option = values[ids.SEVERITY_BLOCK][ids.SEVERITY_ACTION].get("selected_option") or {}
        severity = str(option.get("value") or "")
        title = _text(values, ids.TITLE_BLOCK, ids.TITLE_ACTION)
        communicator = values.get(ids.COMMUNICATOR_BLOCK, {}).get(ids.COMMUNICATOR_ACTION, {}).get("selected_user")
        channel_id = view["private_metadata"]
        try:
            incidents.check_declaration(channel_id=channel_id, severity=severity, title=title)
            if communicator:
                incidents.check_person(communicator, field=ids.COMMUNICATOR_BLOCK)
        except UserError as error:
            ack(response_action="errors", errors={error.field or ids.TITLE_BLOCK: error.message})
            return
        ack()
        with answering(body, respond=None, client=client):
            incidents.declare(
                channel_id=channel_id,
                lead_id=body["user"]["id"],
                severity=severity,
                title=title,
                communicator_id=communicator,
            )

    @app.view(ids.UPDATE_VIEW)
    def update_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        text = _text(values, ids.TEXT_BLOCK, ids.TEXT_ACTION)
        phase = (values[ids.PHASE_BLOCK][ids.PHASE_ACTION].get("selected_option") or {}).get("value")
        if not text.strip():
            ack(response_action="errors", errors={ids.TEXT_BLOCK: "Write the update: 2–3 factual sentences."})
            return
        ack()
        channel_id = json.loads(view["private_metadata"])["channel"]
        with answering(_in_channel(body, channel_id), respond=None, client=client):
            feed.draft(channel_id=channel_id, by=body["user"]["id"], text=text, phase=phase)

    @app.view(ids.EDIT_VIEW)
    def edit_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _revise(ack, body, view, client, revise=feed.edit)

    @app.view(ids.CORRECT_VIEW)
    def correct_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _revise(ack, body, view, client, revise=feed.correct)


def _revise(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, *, revise: Any) -> None:
    values = view["state"]["values"]
    text = _text(values, ids.TEXT_BLOCK, ids.TEXT_ACTION)
    cause = values.get(ids.CAUSE_BLOCK, {}).get(ids.CAUSE_ACTION, {}).get("value")
    if not text.strip():
        ack(response_action="errors", errors={ids.TEXT_BLOCK: "The update can't be empty."})
        return
    ack()
    entry_id = int(json.loads(view["private_metadata"])["entry"])
    with answering(body, respond=None, client=client):
        revise(entry_id=entry_id, by=body["user"]["id"], text=text, cause=cause)


def _text(values: dict[str, Any], block: str, action: str) -> str:
    return str(values.get(block, {}).get(action, {}).get("value") or "")


def _in_channel(body: dict[str, Any], channel_id: str) -> dict[str, Any]:
    """The body, with the channel errors should be answered in."""
    return {**body, "channel_id": channel_id}
