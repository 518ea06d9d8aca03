"""Reading what Slack sent: who acted, and the ID a button carries."""

from __future__ import annotations

from typing import Any


def actor(body: dict[str, Any]) -> str:
    """The user who clicked, picked or submitted."""
    return str(body["user"]["id"])


def button_id(body: dict[str, Any]) -> int:
    """The incident or entry ID a button carries as its value."""
    return int(body["actions"][0]["value"])
