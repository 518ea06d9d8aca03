"""The one error handler: a person's mistake becomes an ephemeral answer; anything else is logged and admitted.

Listeners ack on the request thread and do their work in Bolt lazy listeners, inside `answering(...)`: Bolt
does not pass errors from lazy listeners to its error handler. `register` still installs that handler for
errors raised while acking; it answers only requests that passed verification (see bot/listeners/intake.py).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.incidents.errors import UserError
from bot.listeners.intake import VERIFIED, MalformedRequest
from bot.render.text import said

log = logging.getLogger(__name__)
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")


def ack_at_once(ack: Ack) -> None:
    """Ack on the request's own thread, so a burst never waits for a free worker; the work runs lazily after."""
    ack()


@contextmanager
def answering(body: dict[str, Any], *, respond: Respond | None, client: WebClient) -> Iterator[None]:
    """Run a flow; if it fails, tell the person why, visible only to them."""
    try:
        yield
    except Exception as error:
        tell(explain(error, body), body=body, respond=respond, client=client)


def register(app: App) -> None:
    """Answer errors that escape a listener before it could run its flow."""

    @app.error
    def on_error(
        error: Exception, body: dict[str, Any], context: BoltContext, respond: Respond | None, client: WebClient
    ) -> BoltResponse | None:
        if not context.get(VERIFIED):  # failed before verification: nothing in the body may be used
            log.warning("refused a request that failed before it was verified: %s", type(error).__name__)
            return BoltResponse(status=401, body="Unauthorized")
        if isinstance(error, MalformedRequest):
            log.warning("refused a malformed %s request: %s", body.get("type") or body.get("command"), error)
            return BoltResponse(status=400, body=f"Bad Request: {error}")
        tell(explain(error, body), body=body, respond=respond, client=client)
        return None


def explain(error: Exception, body: dict[str, Any]) -> str:
    """What to tell the person: the mistake itself, or an honest note with a reference for the logs."""
    if isinstance(error, UserError):  # plain text from the domain: escaped here, its people mentioned
        return said(error.parts)
    reference = uuid.uuid4().hex[:8]
    log.error("unexpected error %s handling %s", reference, body.get("type") or body.get("command"), exc_info=error)
    return (
        f":warning: Warroom hit an unexpected error (reference `{reference}`). Check `/incident list` before "
        "you retry; your admin can find the details in Warroom's logs under that reference."
    )


def tell(message: str, *, body: dict[str, Any], respond: Respond | None, client: WebClient) -> None:
    """Answer the person who made the request, visible only to them."""
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        respond(text=message, response_type="ephemeral", replace_original=False)
        return
    user = str(body.get("user_id") or (body.get("user") or {}).get("id") or "")
    metadata = str((body.get("view") or {}).get("private_metadata") or "")
    channel = str(body.get("channel_id") or (metadata if _CHANNEL.match(metadata) else ""))
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=message)
            return
    except SlackApiError:  # e.g. the bot is not in that channel: a DM still reaches them
        log.warning("could not answer %s in %s; sending a DM", user, channel)
    client.chat_postMessage(channel=user, text=message)
