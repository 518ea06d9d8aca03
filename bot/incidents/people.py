"""Who people are: the domain asks a Directory, which Slack's users.info answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Person:
    """A workspace member as far as Warroom cares."""

    id: str
    name: str
    deleted: bool = False
    is_bot: bool = False
    real_name: str | None = None  # as on their profile ("Dana Whitfield"), never the handle
    title: str | None = None  # their profile's title ("Head of Support"), if any


class Directory(Protocol):
    """Looks people up by user ID."""

    def person(self, user_id: str) -> Person | None:
        """The person with this ID, or None when the workspace has nobody by it."""
        ...
