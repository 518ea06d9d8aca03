"""The fake Slack's channels, DMs and message history, answered as strictly as Slack answers them."""

from __future__ import annotations

import threading
import time
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
    _ts: int

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, member: bool = True, people: set[str] | None = None
    ) -> None:
        """A channel in the workspace; with `member`, the bot has been invited to it; `people`: who else is in it."""
        with self._lock:
            self.channels[channel_id] = {"id": channel_id, "name": name, "is_private": private, "is_archived": False}
            if people is not None:
                self.channels[channel_id]["people"] = set(people)
            if member:
                self.members.add(channel_id)

    def add_group_dm(self, channel_id: str, people: list[str], *, member: bool = False) -> None:
        """A group DM (mpim) between `people`, named mpdm-… as Slack names it; with `member`, the bot is in it."""
        name = "mpdm-" + "--".join(people) + "-1"
        with self._lock:
            self.channels[channel_id] = {
                "id": channel_id, "name": name, "is_private": True, "is_archived": False, "is_mpim": True,
                "people": set(people),
            }  # fmt: skip
            if member:
                self.members.add(channel_id)

    def leave(self, channel_id: str, user_id: str) -> None:
        """A person leaves the channel."""
        with self._lock:
            self.channels[channel_id].setdefault("people", set()).discard(user_id)

    def chatter(self, channel_id: str, count: int) -> None:
        """People post `count` messages in the channel."""
        with self._lock:
            for n in range(count):
                self.messages.setdefault(channel_id, []).append({"ts": self._new_ts(), "text": f"chatter {n}"})

    def _new_ts(self) -> str:
        """A message's ts: when Slack stored it, in microseconds, unique in the workspace (hold the lock)."""
        self._ts = max(self._ts + 1, time.time_ns() // 1000)
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

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
            public = {k: v for k, v in info.items() if k != "people"}
            if info.get("is_mpim"):  # Slack's conversation object for a group DM
                kind = {"is_channel": False, "is_group": False, "is_im": False, "is_mpim": True}
                return {"ok": True, "channel": {**public, **kind, "is_member": member}}
            return {"ok": True, "channel": {**public, "is_channel": not info["is_private"], "is_member": member}}

    def _ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        """chat.postEphemeral: only to someone in the channel (user_not_in_channel otherwise)."""
        channel, user = str(params.get("channel") or ""), str(params.get("user") or "")
        _, error = self._postable(channel, direct=False)
        if error:
            return {"ok": False, "error": error}
        with self._lock:
            people = (self.channels.get(channel) or {}).get("people")
            if people is not None and user not in people:
                return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": f"{time.time():.6f}"}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages after `oldest`, newest first, a page a time; metadata only with include_all_metadata."""
        channel = str(params.get("channel") or "")
        _, error = self._postable(channel, direct=False)
        if error:
            return {"ok": False, "error": error}
        with_metadata = _flag(params.get("include_all_metadata"))
        oldest = float(params.get("oldest") or 0)
        with self._lock:
            history = [
                {k: v for k, v in message.items() if with_metadata or k != "metadata"}
                for message in reversed(self.messages.get(channel, []))
                if (not message.get("thread_ts") or message.get("thread_ts") == message["ts"])
                and float(message["ts"]) > oldest
            ]
        limit, cursor = int(params.get("limit") or 100), str(params.get("cursor") or "")
        if not 1 <= limit <= 999:
            return {"ok": False, "error": "invalid_limit"}
        if cursor and not cursor.removeprefix("next:").isdigit():
            return {"ok": False, "error": "invalid_cursor"}
        start = int(cursor.removeprefix("next:") or 0)
        page, more = history[start : start + limit], len(history) > start + limit
        answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
        if more:
            answer["response_metadata"] = {"next_cursor": f"next:{start + limit}"}
        return answer

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
