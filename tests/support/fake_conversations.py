"""The fake Slack's channels, DMs and message history, answered as strictly as Slack answers them."""

from __future__ import annotations

import threading
from typing import Any


def _flag(value: Any) -> bool:
    """A boolean Web API argument as slack_sdk sends it ("1"/"0") or as JSON sends it."""
    return value is True or str(value).lower() in ("1", "true")


class Conversations:
    """Channels the bot is in or not, DMs opened by user ID, and history newest first; mixed into FakeSlack."""

    users: dict[str, dict[str, Any]]
    messages: dict[str, list[dict[str, Any]]]
    channels: dict[str, dict[str, Any]]
    members: set[str]
    _lock: threading.Condition

    def add_channel(self, channel_id: str, name: str, *, private: bool = False, member: bool = True) -> None:
        """A channel in the workspace; with `member`, the bot has been invited to it."""
        with self._lock:
            self.channels[channel_id] = {"id": channel_id, "name": name, "is_private": private, "is_archived": False}
            if member:
                self.members.add(channel_id)

    def remove_bot(self, channel_id: str) -> None:
        """The bot is removed from (or was never invited to) the channel."""
        with self._lock:
            self.members.discard(channel_id)

    def invite_bot(self, channel_id: str) -> None:
        """`/invite @Warroom` in the channel."""
        with self._lock:
            self.members.add(channel_id)

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The ID of the bot's DM with this user, as conversations.open returns it."""
        return "D" + user_id[1:]

    def _postable(self, channel: str, *, direct: bool = True) -> tuple[str, str | None]:
        """Where a post to `channel` lands, or Slack's error: a user ID posts in the bot's DM with them."""
        with self._lock:
            if direct and channel[:1] in ("U", "W"):
                return (self.dm_channel(channel), None) if channel in self.users else (channel, "channel_not_found")
            if channel[:1] == "D":
                known = any(self.dm_channel(user) == channel for user in self.users)
                return channel, None if known else "channel_not_found"
            info = self.channels.get(channel)
            if info is None or (info["is_private"] and channel not in self.members):
                return channel, "channel_not_found"
            if info["is_archived"]:
                return channel, "is_archived"
            return channel, None if channel in self.members else "not_in_channel"

    def _info(self, channel: str) -> dict[str, Any]:
        with self._lock:
            if channel[:1] == "D":
                _, error = self._postable(channel)
                if error:
                    return {"ok": False, "error": error}
                return {"ok": True, "channel": {"id": channel, "is_im": True, "is_member": True}}
            info = self.channels.get(channel)
            if info is None or (info["is_private"] and channel not in self.members):
                return {"ok": False, "error": "channel_not_found"}
            member = channel in self.members
            return {"ok": True, "channel": {**info, "is_channel": not info["is_private"], "is_member": member}}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first; metadata only when asked for with include_all_metadata."""
        channel = str(params.get("channel") or "")
        _, error = self._postable(channel, direct=False)
        if error:
            return {"ok": False, "error": error}
        with_metadata = _flag(params.get("include_all_metadata"))
        with self._lock:
            history = [
                {k: v for k, v in message.items() if with_metadata or k != "metadata"}
                for message in reversed(self.messages.get(channel, []))
                if not message.get("thread_ts") or message.get("thread_ts") == message["ts"]
            ]
        limit = int(params.get("limit") or 100)
        return {"ok": True, "messages": history[:limit], "has_more": len(history) > limit}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        _, error = self._postable(channel, direct=False)
        if error:
            return {"ok": False, "error": error}
        with self._lock:
            for message in self.messages.get(channel, []):
                if message["ts"] == params.get("ts"):
                    message["text"] = params.get("text")
                    message["edits"] = message.get("edits", 0) + 1
                    return {"ok": True, "channel": channel, "ts": params.get("ts")}
        return {"ok": False, "error": "message_not_found"}
