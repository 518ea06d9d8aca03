"""Time comes from a clock object so that tests can move it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class ScaledClock:
    """The wall clock run `speed` times faster from the moment it was made, from `start` (drills in minutes).

    At speed 30 a 15-minute cadence passes in 30 seconds; the scheduler, the reminders and the timestamps all read
    this clock, so everything Warroom does happens as it would, only sooner.
    """

    def __init__(self, speed: float, *, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be above 0, not {speed}")
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._real_start = time.monotonic()

    def now(self) -> datetime:
        """The scaled time: the start plus the real time since, times the speed."""
        return self._start + timedelta(seconds=(time.monotonic() - self._real_start) * self.speed)
