"""The Slack Web API methods Warroom calls, answered from the sandbox's workspace the way Slack answers them.

Only the sandbox's own bot token is accepted; channels the bot is not in refuse posts with `not_in_channel`; a
`trigger_id` opens one modal within 3 s. Slack's answers are shaped as its docs show, so the bot runs unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from bot.sandbox.workspace import BOT, BOT_ID, TEAM, Workspace

TRIGGER_SECONDS = 3.0  # Slack: a trigger_id is good for 3 seconds, for one modal


@dataclass(frozen=True)
class Trigger:
    """Who a trigger_id was issued to, and when (real time)."""

    user: str
    issued: float


class WebApi:
    """Answers the bot's Web API calls; `url` is where the page server mounts it (for upload URLs)."""

    def __init__(self, workspace: Workspace, *, token: str, url: str) -> None:
        self.workspace = workspace
        self.token = token
        self.url = url.rstrip("/")
        self._triggers: dict[str, Trigger] = {}
        self._lock = threading.Lock()

    def issue_trigger(self, user: str) -> str:
        """A new trigger_id for an interaction by `user`."""
        trigger = f"{time.time_ns()}.{self.workspace.new_id('t')}"
        with self._lock:
            self._triggers[trigger] = Trigger(user, time.monotonic())
        return trigger

    def answer(self, method: str, params: dict[str, Any], *, token: str) -> dict[str, Any]:
        """Slack's answer to `method` called with `params` and `token`."""
        if token != self.token:
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        answer: dict[str, Any] = handler(params)
        return answer

    # -- who ---------------------------------------------------------------------------------------------

    def _auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://sandbox.slack.invalid/",
            "team": "Sandbox",
            "user": "warroom",
            "team_id": TEAM,
            "user_id": BOT,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        person = self.workspace.people.get(str(params.get("user") or ""))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": person.profile()}

    # -- conversations -----------------------------------------------------------------------------------

    def _where(self, channel: str, *, post: bool = False) -> tuple[str, str | None]:
        """The conversation a call names (a user ID posts in the bot's DM with them), or Slack's error."""
        if post and channel[:1] in ("U", "W"):
            if channel not in self.workspace.people:
                return channel, "channel_not_found"
            channel = self.workspace.dm_of(channel)
        conversation = self.workspace.conversations.get(channel)
        if conversation is None:
            return channel, "channel_not_found"
        if BOT not in conversation.members:
            return channel, "not_in_channel"
        return channel, None

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self.workspace.conversations.get(str(params.get("channel") or ""))
        if conversation is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": conversation.info()}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1 or users[0] not in self.workspace.people:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.workspace.dm_of(users[0])}}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._where(str(params.get("channel") or ""))
        if error:
            return {"ok": False, "error": error}
        oldest = float(params.get("oldest") or 0)
        with self.workspace.lock:
            messages = [
                dict(m)
                for m in reversed(self.workspace.conversations[channel].messages)
                if m.get("thread_ts") in (None, m["ts"]) and float(m["ts"]) > oldest
            ]
        return _page(messages, params)

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._where(str(params.get("channel") or ""))
        if error:
            return {"ok": False, "error": error}
        with self.workspace.lock:
            conversation = self.workspace.conversations[channel]
            asked = conversation.find(str(params.get("ts") or ""))
            if asked is None:
                return {"ok": False, "error": "thread_not_found"}
            root = str(asked.get("thread_ts") or asked["ts"])
            oldest = float(params.get("oldest") or 0)
            thread = [
                dict(m)
                for m in conversation.messages
                if m["ts"] == root or (m.get("thread_ts") == root and float(m["ts"]) > oldest)
            ]
        return _page(thread, params)

    # -- messages ----------------------------------------------------------------------------------------

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._where(str(params.get("channel") or ""), post=True)
        if error:
            return {"ok": False, "error": error}
        text, blocks = _content(params)
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        metadata = params.get("metadata")
        extra = {"metadata": json.loads(metadata) if isinstance(metadata, str) else metadata} if metadata else {}
        thread_ts = str(params.get("thread_ts") or "") or None
        message = self.workspace.post(channel, user=BOT, text=text, blocks=blocks, thread_ts=thread_ts, extra=extra)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": dict(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._where(str(params.get("channel") or ""))
        if error:
            return {"ok": False, "error": error}
        text, blocks = _content(params)
        message = self.workspace.edit(channel, str(params.get("ts") or ""), text=text, blocks=blocks)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": message["ts"], "text": text}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._where(str(params.get("channel") or ""))
        if error:
            return {"ok": False, "error": error}
        user = str(params.get("user") or "")
        if user not in self.workspace.conversations[channel].members:
            return {"ok": False, "error": "user_not_in_channel"}
        text, blocks = _content(params)
        ephemeral = self.workspace.whisper(channel, user=user, text=text, blocks=blocks)
        return {"ok": True, "message_ts": ephemeral.ts}

    def _chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        ts = str(params.get("message_ts") or "")
        conversation = self.workspace.conversations.get(channel)
        if conversation is None or conversation.find(ts) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "permalink": f"{self.url}/#{channel}/{ts}"}

    # -- modals ------------------------------------------------------------------------------------------

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._open(params, push=False)

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._open(params, push=True)

    def _open(self, params: dict[str, Any], *, push: bool) -> dict[str, Any]:
        with self._lock:
            trigger = self._triggers.pop(str(params.get("trigger_id") or ""), None)
        if trigger is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if time.monotonic() - trigger.issued > TRIGGER_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        view = _json(params.get("view"))
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": self.workspace.open_view(trigger.user, view, push=push)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self.workspace.find_view(str(params.get("view_id") or ""))
        view = _json(params.get("view"))
        if found is None:
            return {"ok": False, "error": "not_found"}
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        user, index = found
        return {"ok": True, "view": self.workspace.replace_view(user, index, view)}

    # -- files: files_upload_v2's steps --------------------------------------------------------------------

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        length = str(params.get("length") or "")
        if not params.get("filename") or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self.workspace.new_id("F")
        with self.workspace.lock:
            self.workspace.files[file_id] = {"id": file_id, "name": str(params["filename"]), "content": None}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """The bytes of a reserved file, sent to its upload URL."""
        with self.workspace.lock:
            reserved = self.workspace.files.get(file_id)
            if reserved is None:
                return False
            reserved["content"] = content.decode(errors="replace")
        return True

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = _json(params.get("files"))
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        with self.workspace.lock:
            found = [self.workspace.files.get(str(f.get("id"))) for f in files]
            if any(f is None or f["content"] is None for f in found):
                return {"ok": False, "error": "file_not_found"}
        shared = [{**f, "title": asked.get("title") or f["name"]} for f, asked in zip(found, files, strict=True) if f]
        channel = str(params.get("channel_id") or "")
        if channel:
            channel, error = self._where(channel)
            if error:
                return {"ok": False, "error": error}
            thread_ts = str(params.get("thread_ts") or "") or None
            text = str(params.get("initial_comment") or "")
            self.workspace.post(channel, user=BOT, text=text, thread_ts=thread_ts, extra={"files": shared})
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}


def _json(value: Any) -> Any:
    """A parameter slack_sdk sends as a JSON string in a form, or as JSON already."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _content(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    blocks = _json(params.get("blocks"))
    return str(params.get("text") or ""), blocks if isinstance(blocks, list) else None


def _page(messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """One page of `messages` by `limit` and `cursor`, as Slack pages them."""
    limit = int(params.get("limit") or 100)
    cursor = str(params.get("cursor") or "")
    start = int(cursor.removeprefix("next:") or 0) if cursor.removeprefix("next:").isdigit() else 0
    page, more = messages[start : start + limit], len(messages) > start + limit
    answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
    if more:
        answer["response_metadata"] = {"next_cursor": f"next:{start + limit}"}
    return answer
