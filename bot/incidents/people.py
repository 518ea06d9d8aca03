"""Who people are: the domain asks a Directory, which Slack's users.info answers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock


@dataclass(frozen=True)
class Person:
    """A workspace member as far as Warroom cares."""

    id: str
    name: str
    deleted: bool = False
    is_bot: bool = False
    real_name: str | None = None  # as on their profile ("Dana Whitfield"), never the handle
    title: str | None = None  # their profile's title ("Head of Support"), if any
    external: bool = False  # from another organisation (Slack Connect): not one of the company's own people


class Directory(Protocol):
    """Looks people up by user ID."""

    def person(self, user_id: str) -> Person | None:
        """The person with this ID, or None when the workspace has nobody by it."""
        ...


class CachedDirectory:
    """A Directory that remembers each answer for a short while, so a burst of lookups asks Slack once a person.

    Answers (a person, or nobody by that ID) are kept for `ttl` on the injected clock, at most `size` of them,
    the oldest dropped first. A failed lookup is not remembered. Safe to share between threads.
    """

    def __init__(
        self, directory: Directory, *, clock: Clock, ttl: timedelta = timedelta(seconds=60), size: int = 512
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._ttl = ttl
        self._size = size
        self._answers: OrderedDict[str, tuple[datetime, Person | None]] = OrderedDict()
        self._lock = threading.Lock()

    def person(self, user_id: str) -> Person | None:
        """The person with this ID, from the last `ttl`'s answer if there is one."""
        now = self._clock.now()
        with self._lock:
            kept = self._answers.get(user_id)
            if kept is not None and timedelta(0) <= now - kept[0] < self._ttl:
                return kept[1]
        person = self._directory.person(user_id)  # outside the lock: one slow lookup holds up nobody else's
        with self._lock:
            self._answers.pop(user_id, None)
            self._answers[user_id] = (now, person)
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
        return person
