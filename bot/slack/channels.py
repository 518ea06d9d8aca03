"""Channel access, answered by Slack's conversations.info."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.incidents.channels import Reach

log = logging.getLogger(__name__)
_DIRECT_SCOPES = {"im:read", "mpim:read"}  # the scopes conversations.info needs for a DM and a group DM


class SlackChannels:
    """Asks conversations.info whether Warroom is in a channel (Slack hides private channels it is not in).

    A DM's ID starts with D; a group DM's doesn't, and asking about one needs mpim:read, which Warroom doesn't
    have: Slack's missing_scope naming im:read or mpim:read is its answer that the conversation is not a channel.
    """

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def reach(self, channel_id: str) -> Reach:
        """What Warroom can do in `channel_id`."""
        if channel_id.startswith("D"):
            return Reach.NOT_A_CHANNEL
        try:
            channel = self._client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            if code == "channel_not_found":
                return Reach.HIDDEN
            if code == "missing_scope" and error.response.get("needed") in _DIRECT_SCOPES:
                return Reach.NOT_A_CHANNEL
            log.warning("could not check channel %s (%s); declaring anyway", channel_id, code)
            return Reach.UNKNOWN
        except OSError as error:  # a timeout or a dropped connection: the outbox will retry the posts
            log.warning("could not check channel %s (%s); declaring anyway", channel_id, error)
            return Reach.UNKNOWN
        if channel.get("is_im") or channel.get("is_mpim"):
            return Reach.NOT_A_CHANNEL
        if channel.get("is_archived"):
            return Reach.ARCHIVED
        if channel.get("is_member"):
            return Reach.POSTABLE
        return Reach.NOT_INVITED
