"""Buttons and pickers."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.incidents.flows import Incidents
from bot.listeners.errors import answering
from bot.render.text import mention


def register(app: App, *, incidents: Incidents) -> None:
    """Attach the interactive components."""

    @app.action(ids.NOMINATE_ACTION)
    def nominate_picked(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with answering(body, respond=respond, client=client):
            _nominate(body, respond=respond, incidents=incidents)


def _nominate(body: dict[str, Any], *, respond: Respond, incidents: Incidents) -> None:
    action = body["actions"][0]
    incident_id = int(action["block_id"].removeprefix(ids.NOMINATE_BLOCK_PREFIX))
    result = incidents.nominate(by=body["user"]["id"], nominee_id=action["selected_user"], incident_id=incident_id)
    text = f"You named {mention(result.communicator.id)} as the communicator for {result.incident.ref}."
    if result.self_nominated:
        text += " You named yourself: that works, but it is not advised. Hand over when someone is free."
    respond(text=text, response_type="ephemeral", replace_original=True)
