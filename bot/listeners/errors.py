"""The one error handler: a person's mistake becomes an ephemeral answer; anything else is logged and admitted."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.incidents.errors import UserError


def register(app: App) -> None:
    """Attach the error handler."""

    @app.error
    def on_error(
        error: Exception, body: dict[str, Any], respond: Respond | None, client: WebClient, logger: logging.Logger
    ) -> None:
        if isinstance(error, UserError):
            message = error.message
        else:
            reference = uuid.uuid4().hex[:8]
            logger.error("unexpected error %s handling %s", reference, body.get("type") or "a command", exc_info=error)
            message = (
                f":warning: Warroom hit an unexpected error (reference `{reference}`). Check `/incident list` "
                "before you retry; your admin can find the details in Warroom's logs under that reference."
            )
        tell(message, body=body, respond=respond, client=client, logger=logger)


def tell(
    message: str, *, body: dict[str, Any], respond: Respond | None, client: WebClient, logger: logging.Logger
) -> None:
    """Answer the person who made the request, visible only to them."""
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        respond(text=message, response_type="ephemeral", replace_original=False)
        return
    user = str(body.get("user_id") or (body.get("user") or {}).get("id") or "")
    channel = str(body.get("channel_id") or (body.get("view") or {}).get("private_metadata") or "")
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=message)
        else:
            client.chat_postMessage(channel=user, text=message)
    except SlackApiError:  # e.g. not in that channel: a DM still reaches them
        logger.warning("could not answer %s in %s; sending a DM", user, channel)
        client.chat_postMessage(channel=user, text=message)
