"""Block Kit for cadence reminders: the text, and a one-click button for the update that is owed."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot import ids
from bot.render.blocks import Message, text_message


def with_button(text: str, *, label: str, action_id: str, incident_id: int) -> Message:
    """A reminder carrying one button that acts on the incident."""
    message = text_message(text)
    button = ActionsBlock(
        block_id=ids.reminder_buttons(incident_id),
        elements=[ButtonElement(text=label, action_id=action_id, value=str(incident_id), style="primary")],
    )
    return Message(text=message.text, blocks=[*message.blocks, button.to_dict()])
