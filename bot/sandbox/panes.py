"""The page's panes for one person: the sidebar, the open conversation, its thread and their modal, as HTML.

Everything comes from the workspace, that is from what the bot sent; Block Kit goes through `blockkit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.sandbox.blockkit import Names, message_html, modal_html
from bot.sandbox.workspace import BOT, Conversation, Ephemeral, Workspace

PAGES = Path(__file__).resolve().parent / "pages"


@cache
def pages() -> Environment:
    """The sandbox page's templates (HTML, autoescaped)."""
    return Environment(
        loader=FileSystemLoader(PAGES), autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True
    )


@dataclass(frozen=True)
class Shown:
    """One message as the page shows it."""

    ts: str
    author: str
    is_bot: bool
    time: str
    html: Markup
    ephemeral_id: str | None = None
    replies: int = 0
    edited: bool = False
    files: tuple[dict[str, Any], ...] = ()


class Panes:
    """Renders the workspace as one person sees it."""

    def __init__(self, workspace: Workspace, *, zone: ZoneInfo) -> None:
        self.workspace = workspace
        self.zone = zone

    def names(self) -> Names:
        people = {p.id: p.name for p in self.workspace.people.values()}
        channels = {c.id: c.name for c in self.workspace.conversations.values() if not c.is_im}
        return Names(users=people, channels=channels)

    def users(self) -> list[tuple[str, str]]:
        """The people a user picker offers: everyone but the bot, by name."""
        people = [p for p in self.workspace.people.values() if not p.is_bot]
        return [(p.id, p.name) for p in sorted(people, key=lambda p: p.name)]

    def state(self, *, me: str, channel: str, thread_ts: str | None) -> dict[str, Any]:
        """Everything the page shows `me`: the panes' HTML and the modal, with the version they are of."""
        with self.workspace.lock:
            version = self.workspace.version
            mine = self.workspace.visible_to(me)
            conversation = next((c for c in mine if c.id == channel), mine[0] if mine else None)
            top = self.workspace.top_view(me)
            modal = None
            if top is not None:
                html = modal_html(top.view, names=self.names(), errors=top.errors, users=self.users())
                key = f"{top.view['id']}:{top.view['hash']}:{sorted(top.errors.items())}"
                modal = {"key": key, "html": str(html), "problem": top.errors.get("", "")}
            sidebar = (
                pages()
                .get_template("sidebar.html.j2")
                .render(conversations=mine, current=conversation, me=me, counts=self._counts(mine))
            )
            shown = self._conversation(conversation, me=me) if conversation else ""
            thread = self._thread(conversation, thread_ts, me=me) if conversation and thread_ts else ""
        return {
            "version": version,
            "channel": conversation.id if conversation else "",
            "sidebar": sidebar,
            "conversation": shown,
            "thread": thread,
            "modal": modal,
        }

    def _counts(self, conversations: list[Conversation]) -> dict[str, int]:
        return {c.id: sum(1 for m in c.messages if m.get("thread_ts") in (None, m["ts"])) for c in conversations}

    def _conversation(self, conversation: Conversation, *, me: str) -> str:
        top_level = [self._shown(m) for m in conversation.messages if m.get("thread_ts") in (None, m["ts"])]
        whispers = [
            self._whisper(e) for e in self.workspace.ephemerals if e.channel == conversation.id and e.user == me
        ]
        messages = sorted([*top_level, *whispers], key=lambda shown: float(shown.ts))
        can_post = conversation.posting is None or me in conversation.posting
        return (
            pages()
            .get_template("conversation.html.j2")
            .render(conversation=conversation, messages=messages, can_post=can_post, me=me)
        )

    def _thread(self, conversation: Conversation, thread_ts: str, *, me: str) -> str:
        asked = conversation.find(thread_ts)
        if asked is None:
            return ""
        thread_ts = str(asked.get("thread_ts") or asked["ts"])  # a reply's link opens its whole thread
        parent = conversation.find(thread_ts) or asked
        replies = [self._shown(m) for m in conversation.messages if m.get("thread_ts") == thread_ts and m is not parent]
        return (
            pages()
            .get_template("thread.html.j2")
            .render(conversation=conversation, parent=self._shown(parent), replies=replies, me=me)
        )

    def _shown(self, message: dict[str, Any]) -> Shown:
        user = str(message.get("user") or "")
        person = self.workspace.people.get(user)
        html = message_html(
            text=str(message.get("text") or ""), blocks=message.get("blocks"), names=self.names(), users=self.users()
        )
        return Shown(
            ts=str(message["ts"]),
            author=person.name if person else user,
            is_bot=user == BOT,
            time=self._time(str(message["ts"])),
            html=html,
            replies=int(message.get("reply_count") or 0),
            edited="edited" in message,
            files=tuple(message.get("files") or ()),
        )

    def _whisper(self, ephemeral: Ephemeral) -> Shown:
        html = message_html(text=ephemeral.text, blocks=ephemeral.blocks, names=self.names(), users=self.users())
        return Shown(
            ts=ephemeral.ts,
            author="Warroom",
            is_bot=True,
            time=self._time(ephemeral.ts),
            html=html,
            ephemeral_id=ephemeral.id,
        )

    def _time(self, ts: str) -> str:
        return datetime.fromtimestamp(float(ts), UTC).astimezone(self.zone).strftime("%H:%M")
