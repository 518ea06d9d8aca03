"""Reading the support team's mirror channel as its people see it: one thread per incident."""

from __future__ import annotations

from typing import Any

from bot.incidents import keys
from tests.support.harness import MIRROR, Harness


def settled(warroom: Harness, *, timeout: float = 10.0) -> None:
    """Wait until every message owed to Slack has been delivered (or given up)."""
    warroom.wait_until(lambda: all(row.state != "pending" for row in warroom.outbox()), timeout=timeout)


def activation_ts(warroom: Harness, incident_id: int) -> str:
    """Where the incident's activation notice, the parent of its mirror thread, landed."""
    return warroom.wait_until(lambda: warroom.fake.ts_of(MIRROR, keys.activation(incident_id)))


def activation_text(warroom: Harness, incident_id: int) -> str:
    """The activation notice as it reads now (after any update in place)."""
    ts = activation_ts(warroom, incident_id)
    return str(next(m["text"] for m in warroom.fake.messages[MIRROR] if m["ts"] == ts))


def thread(warroom: Harness, incident_id: int) -> list[str]:
    """The replies in the incident's mirror thread, oldest first, as they read now."""
    return warroom.fake.thread(MIRROR, activation_ts(warroom, incident_id))


def wait_in_thread(warroom: Harness, incident_id: int, needle: str, count: int = 1) -> list[str]:
    """Wait until `count` replies in the incident's mirror thread contain `needle`; return those replies."""

    def found() -> list[str] | None:
        replies = [t for t in thread(warroom, incident_id) if needle in t]
        return replies if len(replies) >= count else None

    return warroom.wait_until(found)


def render(messages: list[dict[str, Any]]) -> str:
    """The channel as plain text: each top-level message, then its thread's replies indented under it."""
    blocks: list[str] = []
    for message in messages:
        if message.get("thread_ts") not in (None, message["ts"]):
            continue  # a reply: shown under its parent
        blocks.append(str(message["text"]))
        for reply in messages:
            if reply.get("thread_ts") == message["ts"] and reply["ts"] != message["ts"]:
                also = " (also sent to the channel)" if reply.get("subtype") == "thread_broadcast" else ""
                body = "\n".join(f"      {line}" if line else "" for line in str(reply["text"]).split("\n"))
                blocks.append(f"    ↳ reply in the thread{also}\n{body}")
    return "\n\n".join(blocks)
