"""Modal submissions."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.incidents.errors import UserError
from bot.incidents.flows import Incidents


def register(app: App, *, incidents: Incidents) -> None:
    """Attach the modal handlers."""

    @app.view(ids.DECLARE_VIEW)
    def declare_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        option = values[ids.SEVERITY_BLOCK][ids.SEVERITY_ACTION].get("selected_option") or {}
        severity = str(option.get("value") or "")
        title = str(values[ids.TITLE_BLOCK][ids.TITLE_ACTION].get("value") or "")
        communicator = values.get(ids.COMMUNICATOR_BLOCK, {}).get(ids.COMMUNICATOR_ACTION, {}).get("selected_user")
        channel_id = view["private_metadata"]
        try:  # Slack shows these beside the field, in the open modal
            incidents.check_declaration(channel_id=channel_id, severity=severity, title=title)
            if communicator:
                incidents.check_person(communicator, field=ids.COMMUNICATOR_BLOCK)
        except UserError as error:
            ack(response_action="errors", errors={error.field or ids.TITLE_BLOCK: error.message})
            return
        ack()
        incidents.declare(
            channel_id=channel_id,
            lead_id=body["user"]["id"],
            severity=severity,
            title=title,
            communicator_id=communicator,
        )
