"""Whether Warroom can post in a channel: the domain asks a ChannelAccess, which Slack's conversations.info answers."""

from __future__ import annotations

from enum import Enum
from typing import Protocol


class Reach(Enum):
    """What Warroom can do in a channel."""

    POSTABLE = "postable"
    NOT_INVITED = "not_invited"  # a public channel Warroom is not a member of
    HIDDEN = "hidden"  # a private channel Warroom was not invited to, or no channel by that ID
    ARCHIVED = "archived"
    NOT_A_CHANNEL = "not_a_channel"  # a DM or a group DM: no war room, and no history Warroom may read there
    UNKNOWN = "unknown"  # the check itself failed (Slack busy, a scope missing): delivery will find out


class ChannelAccess(Protocol):
    """Looks up whether Warroom can post in a channel."""

    def reach(self, channel_id: str) -> Reach:
        """What Warroom can do in `channel_id`."""
        ...
