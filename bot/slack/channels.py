"""Channel access, answered by Slack's conversations.info."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.incidents.channels import Reach

log = logging.getLogger(__name__)


class SlackChannels:
    """Asks conversations.info whether Warroom is in a channel (Slack hides private channels it is not in)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def reach(self, channel_id: str) -> Reach:
        """What Warroom can do in `channel_id`."""
        try:
            channel = self._client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            if code == "channel_not_found":
                return Reach.HIDDEN
            log.warning("could not check channel %s (%s); declaring anyway", channel_id, code)
            return Reach.UNKNOWN
        except OSError as error:  # a timeout or a dropped connection: the outbox will retry the posts
            log.warning("could not check channel %s (%s); declaring anyway", channel_id, error)
            return Reach.UNKNOWN
        if channel.get("is_archived"):
            return Reach.ARCHIVED
        if channel.get("is_im") or channel.get("is_member"):
            return Reach.POSTABLE
        return Reach.NOT_INVITED
