"""The fake Slack's channels, DMs, threads and message history, answered as strictly as Slack answers them."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

BOT_USER = "UWARROOMBOT"


def _flag(value: Any) -> bool:
    """A boolean Web API argument as slack_sdk sends it ("1"/"0") or as JSON sends it."""
    return value is True or str(value).lower() in ("1", "true")


class Conversations:
    """Channels the bot is in or not, DMs opened by user ID, threads, and history newest first; mixed into FakeSlack.

    `messages[channel]` holds every message in the channel, oldest first: top-level ones and thread replies alike
    (a reply has a `thread_ts` other than its own `ts`). Read them as people see them with `top_level` and `thread`.
    """

    users: dict[str, dict[str, Any]]
    messages: dict[str, list[dict[str, Any]]]
    unthreaded: list[tuple[str, str]]  # (channel, ts) of replies Slack posted at the top level: no such parent
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
        """The channel's messages after `oldest`, newest first, a page a time; metadata only with include_all_metadata.

        Like Slack's, it never shows thread replies, except those also sent to the channel (`reply_broadcast`).
        """
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
                if _in_channel(message) and float(message["ts"]) > oldest
            ]
        return _page(history, params)

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

    # -- threads --------------------------------------------------------------------------------------------

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        """chat.postMessage: a message in the channel, or with `thread_ts` a reply in that message's thread."""
        channel, error = self._postable(str(params.get("channel") or ""))
        if error:
            return {"ok": False, "error": error}
        metadata = params.get("metadata")
        thread_ts = str(params.get("thread_ts") or "") or None
        with self._lock:
            parent = self._message(channel, thread_ts) if thread_ts else None
            if parent is not None and parent.get("thread_ts") not in (None, parent["ts"]):
                return {"ok": False, "error": "invalid_thread_ts"}  # a reply's ts: Slack wants the parent's
            ts = self._new_ts()
            message: dict[str, Any] = {
                "type": "message",
                "user": BOT_USER,
                "ts": ts,
                "text": params.get("text"),
                "metadata": json.loads(metadata) if isinstance(metadata, str) else metadata,
            }
            if thread_ts and parent is None:  # Slack does not refuse it: the reply lands in the channel, unthreaded
                self.unthreaded.append((channel, ts))
            elif parent is not None:
                message.update(thread_ts=parent["ts"], parent_user_id=parent.get("user", BOT_USER))
                if _flag(params.get("reply_broadcast")):
                    message["subtype"] = "thread_broadcast"
                parent.update(thread_ts=parent["ts"], latest_reply=ts, reply_count=parent.get("reply_count", 0) + 1)
                parent["reply_users"] = sorted({*parent.get("reply_users", []), BOT_USER})
            self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": dict(message)}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the parent, then its replies oldest first (after `oldest`), a page a time."""
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        _, error = self._postable(channel, direct=False)
        if error:
            return {"ok": False, "error": error}
        with_metadata = _flag(params.get("include_all_metadata"))
        with self._lock:
            asked = self._message(channel, ts) if ts else None
            if asked is None:
                return {"ok": False, "error": "thread_not_found"}
            root = str(asked.get("thread_ts") or asked["ts"])  # a reply's ts names its whole thread too
            replies = [m for m in self.messages.get(channel, []) if m.get("thread_ts") == root and m["ts"] != root]
            parent = self._message(channel, root)
            thread = [parent, *(m for m in replies if _within(m["ts"], params))] if parent else replies
            shown = [{k: v for k, v in m.items() if with_metadata or k != "metadata"} for m in thread]
        return _page(shown, params)

    def _message(self, channel: str, ts: str | None) -> dict[str, Any] | None:
        """The message `ts` in `channel`, if there is one (hold the lock)."""
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone deletes a message; a parent with replies stays as Slack's "This message was deleted." tombstone."""
        with self._lock:
            message = self._message(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            if message.get("reply_count"):
                message.update(subtype="tombstone", text="This message was deleted.", metadata=None)
            else:
                self.messages[channel].remove(message)

    # -- reading a channel as its people see it ---------------------------------------------------------------

    def top_level(self, channel: str) -> list[str]:
        """The texts shown in the channel itself, oldest first: its messages and the replies also sent to it."""
        with self._lock:
            return [str(m["text"]) for m in self.messages.get(channel, []) if _in_channel(m)]

    def thread(self, channel: str, parent_ts: str) -> list[str]:
        """The texts of the replies in the thread under `parent_ts`, oldest first (the parent not included)."""
        with self._lock:
            return [
                str(m["text"])
                for m in self.messages.get(channel, [])
                if m.get("thread_ts") == parent_ts and m["ts"] != parent_ts
            ]

    def ts_of(self, channel: str, key: str) -> str | None:
        """The ts of the message Warroom posted in `channel` with `key` in its metadata, if it has."""
        with self._lock:
            for message in self.messages.get(channel, []):
                if ((message.get("metadata") or {}).get("event_payload") or {}).get("key") == key:
                    return str(message["ts"])
        return None


def _in_channel(message: dict[str, Any]) -> bool:
    """Whether the channel shows the message: not a thread reply, unless it was also sent to the channel."""
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"


def _within(ts: str, params: dict[str, Any]) -> bool:
    """Whether `ts` is inside the `oldest`/`latest` window (bounds included only with `inclusive`)."""
    oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or "inf")
    if _flag(params.get("inclusive")):
        return oldest <= float(ts) <= latest
    return oldest < float(ts) < latest


def _page(messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """One page of `messages` by `limit` and `cursor`, with `has_more` and the next cursor, as Slack pages them."""
    limit, cursor = int(params.get("limit") or 100), str(params.get("cursor") or "")
    if not 1 <= limit <= 999:
        return {"ok": False, "error": "invalid_limit"}
    if cursor and not cursor.removeprefix("next:").isdigit():
        return {"ok": False, "error": "invalid_cursor"}
    start = int(cursor.removeprefix("next:") or 0)
    page, more = messages[start : start + limit], len(messages) > start + limit
    answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
    if more:
        answer["response_metadata"] = {"next_cursor": f"next:{start + limit}"}
    return answer
