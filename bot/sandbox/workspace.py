"""The sandbox's small Slack workspace: its people, channels, messages, ephemerals and open modals.

Everything here is what the bot sent through the Web API stand-in (or what a person typed in the page); the page
renders from it. One lock guards it all, and every change bumps `version` so the page knows to redraw.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock

TEAM = "TSANDBOX1"
BOT = "UWARROOM1"
BOT_ID = "BWARROOM1"
WAR_ROOM = "CWARROOM1"
WAR_ROOM_2 = "CWARROOM2"
MIRROR = "CMIRROR01"
LEAD = "ULEAD0001"
COMMUNICATOR = "UCOMMS001"
ENGINEER = "UENGINEER"
SUPPORT_LEAD = "USUPPORT1"


@dataclass(frozen=True)
class Person:
    """Someone in the workspace; `role` says in the page what they do during an incident."""

    id: str
    name: str
    role: str
    is_bot: bool = False

    def profile(self) -> dict[str, Any]:
        """The user object users.info answers with, as Slack shapes it."""
        first = self.name.split()[0].lower()
        return {
            "id": self.id,
            "team_id": TEAM,
            "name": first,
            "real_name": self.name,
            "deleted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_restricted": False,
            "is_ultra_restricted": self.id == SUPPORT_LEAD,  # a single-channel guest: the outsourced team's lead
            "tz": "Etc/UTC",
            "profile": {"real_name": self.name, "display_name": self.name, "team": TEAM},
        }


@dataclass
class Conversation:
    """A channel or a DM with the bot; `posting` is who may type in it (the mirror is read-only)."""

    id: str
    name: str
    purpose: str
    members: set[str]
    is_im: bool = False
    posting: set[str] | None = None  # None: every member
    messages: list[dict[str, Any]] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """The conversation object conversations.info answers with."""
        if self.is_im:
            return {"id": self.id, "is_im": True, "user": next(iter(self.members - {BOT})), "is_member": True}
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": BOT in self.members,
            "purpose": {"value": self.purpose},
            "num_members": len(self.members),
        }

    def find(self, ts: str | None) -> dict[str, Any] | None:
        """The message `ts` (a top-level message or a reply), if there is one."""
        return next((message for message in self.messages if message["ts"] == ts), None)


@dataclass
class Ephemeral:
    """A message only `user` sees, in `channel`, until the page is reloaded past it or it is replaced."""

    id: str
    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None


@dataclass
class OpenView:
    """A modal open for someone, with the errors the bot answered its last submission with."""

    view: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


class Workspace:
    """The state of the sandbox's Slack; thread-safe, and versioned for the page's long poll."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.people: dict[str, Person] = {}
        self.conversations: dict[str, Conversation] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, list[OpenView]] = {}  # a stack per person: views.push adds, closing pops
        self.files: dict[str, dict[str, Any]] = {}
        self.read_threads: dict[str, set[str]] = {}  # the threads each person has opened (for the guide)
        self.version = 0
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self._next_id = 1
        self._last_ts = 0.0

    # -- who and where -----------------------------------------------------------------------------------

    def add_person(self, person: Person) -> None:
        with self.lock:
            self.people[person.id] = person
            if not person.is_bot:
                dm = self.dm_of(person.id)
                self.conversations[dm] = Conversation(dm, "Warroom", "", {person.id, BOT}, is_im=True)

    def add_channel(self, conversation: Conversation) -> None:
        with self.lock:
            self.conversations[conversation.id] = conversation

    @staticmethod
    def dm_of(user: str) -> str:
        """The ID of the bot's DM with `user`."""
        return "D" + user[1:]

    def visible_to(self, user: str) -> list[Conversation]:
        """The conversations `user` is in: channels first, then their DM with the bot."""
        with self.lock:
            mine = [c for c in self.conversations.values() if user in c.members]
        return sorted(mine, key=lambda c: (c.is_im, c.name))

    # -- changes -----------------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        with self.lock:
            number, self._next_id = self._next_id, self._next_id + 1
        return f"{prefix}{number:08d}"

    def new_ts(self) -> str:
        """A message timestamp from the sandbox's clock, unique and increasing, as Slack's are per channel."""
        with self.lock:
            stamp = max(self.clock.now().timestamp(), self._last_ts + 0.000001)
            self._last_ts = stamp
            return f"{stamp:.6f}"

    def changed(self) -> None:
        """Something the page shows changed: bump the version and wake the long polls."""
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def wait(self, since: int, timeout: float) -> int:
        """Wait until the version is past `since` (or the timeout passed); the version then."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > since, timeout=timeout)
            return self.version

    # -- messages ----------------------------------------------------------------------------------------

    def post(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add a message (a reply when `thread_ts` names a top-level message) and return it."""
        with self.lock:
            conversation = self.conversations[channel]
            message: dict[str, Any] = {"type": "message", "user": user, "ts": self.new_ts(), "text": text}
            if user == BOT:
                message["bot_id"] = BOT_ID
            if blocks:
                message["blocks"] = blocks
            message.update(extra or {})
            parent = conversation.find(thread_ts) if thread_ts else None
            if parent is not None:
                message["thread_ts"] = parent["ts"]
                message["parent_user_id"] = parent["user"]
                parent.update(thread_ts=parent["ts"], latest_reply=message["ts"])
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["reply_users"] = sorted({*parent.get("reply_users", []), user})
            conversation.messages.append(message)
        self.changed()
        return message

    def edit(self, channel: str, ts: str, *, text: str, blocks: list[dict[str, Any]] | None) -> dict[str, Any] | None:
        """Change a message in place (chat.update); None when there is no such message."""
        with self.lock:
            message = self.conversations[channel].find(ts)
            if message is None:
                return None
            message["text"] = text
            if blocks is not None:
                message["blocks"] = blocks
            message["edited"] = {"user": BOT, "ts": self.new_ts()}
        self.changed()
        return message

    def delete(self, channel: str, ts: str) -> None:
        with self.lock:
            conversation = self.conversations[channel]
            conversation.messages = [m for m in conversation.messages if m["ts"] != ts]
        self.changed()

    def whisper(self, channel: str, *, user: str, text: str, blocks: list[dict[str, Any]] | None) -> Ephemeral:
        """An ephemeral message that only `user` sees."""
        with self.lock:
            ephemeral = Ephemeral(self.new_id("E"), channel, user, self.new_ts(), text, blocks)
            self.ephemerals.append(ephemeral)
        self.changed()
        return ephemeral

    def replace_ephemeral(self, ephemeral_id: str, *, text: str | None, blocks: list[dict[str, Any]] | None) -> None:
        """Replace (or, with no text, remove) an ephemeral message, as a response_url's replace_original does."""
        with self.lock:
            for index, ephemeral in enumerate(self.ephemerals):
                if ephemeral.id == ephemeral_id:
                    if text is None:
                        del self.ephemerals[index]
                    else:
                        ephemeral.text, ephemeral.blocks = text, blocks
        self.changed()

    # -- keeping it across restarts -----------------------------------------------------------------------

    def snapshot(self) -> str:
        """What Slack would still hold after the sandbox stops, as JSON: the messages and files (not ephemerals or
        modals). Serialised under the lock, so no message changes while it is written."""
        with self.lock:
            return json.dumps(
                {
                    "messages": {c.id: c.messages for c in self.conversations.values() if c.messages},
                    "files": self.files,
                    "next_id": self._next_id,
                    "last_ts": self._last_ts,
                }
            )

    def restore(self, saved: dict[str, Any]) -> None:
        """Take back a snapshot; conversations that no longer exist are skipped."""
        with self.lock:
            for channel, messages in (saved.get("messages") or {}).items():
                if channel in self.conversations and isinstance(messages, list):
                    self.conversations[channel].messages = messages
            self.files.update(saved.get("files") or {})
            self._next_id = max(self._next_id, int(saved.get("next_id") or 1))
            self._last_ts = max(self._last_ts, float(saved.get("last_ts") or 0))
        self.changed()

    # -- modals ------------------------------------------------------------------------------------------

    def open_view(self, user: str, view: dict[str, Any], *, push: bool = False) -> dict[str, Any]:
        """Open a modal for `user` (on top of the one open when `push`); the view as Slack returns it."""
        with self.lock:
            opened = {**view, "id": self.new_id("V"), "hash": self.new_id("h"), "state": {"values": {}}}
            opened.setdefault("private_metadata", "")
            opened.setdefault("callback_id", "")
            stack = self.views.setdefault(user, [])
            if not push:
                stack.clear()
            stack.append(OpenView(opened))
        self.changed()
        return opened

    def find_view(self, view_id: str) -> tuple[str, int] | None:
        """Whose stack holds the view `view_id`, and where."""
        with self.lock:
            for user, stack in self.views.items():
                for index, open_view in enumerate(stack):
                    if open_view.view["id"] == view_id:
                        return user, index
        return None

    def replace_view(self, user: str, index: int, view: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            old = self.views[user][index].view
            new = {**view, "id": old["id"], "hash": self.new_id("h"), "state": {"values": {}}}
            new.setdefault("private_metadata", "")
            new.setdefault("callback_id", "")
            self.views[user][index] = OpenView(new)
        self.changed()
        return new

    def top_view(self, user: str) -> OpenView | None:
        with self.lock:
            stack = self.views.get(user) or []
            return stack[-1] if stack else None

    def close_view(self, user: str, *, all_views: bool = False) -> None:
        with self.lock:
            stack = self.views.get(user) or []
            if all_views:
                stack.clear()
            elif stack:
                stack.pop()
        self.changed()

    def show_errors(self, user: str, errors: dict[str, str]) -> None:
        with self.lock:
            top = self.top_view(user)
            if top is not None:
                top.errors = dict(errors)
        self.changed()
