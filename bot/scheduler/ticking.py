"""Ticking: APScheduler runs each periodic job (the cadence, the follow-up reminders, pruning) on its own.

Every replica ticks; the database decides who sends. Each tick is its own APScheduler job with its own try: one
that raises (a broken template, a database fault) or runs long (a pruning backlog) never holds back another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock

log = logging.getLogger(__name__)
TICK_SECONDS = 0.5  # how often each tick looks at the clock; one due runs, one not yet due costs nothing


@dataclass(frozen=True)
class Tick:
    """Periodic work: `run` returns how much it did. It runs at most once per `every` of the clock's time.

    `every` of zero runs it on each beat (the cadence); the hours-scale follow-up reminders and pruning touch the
    database once per their period, while moving the clock (as the tests do) runs them at once.
    """

    name: str
    run: Callable[[], int]
    every: timedelta = timedelta(0)


@dataclass
class Round:
    """What one round of ticks did: how much each tick that ran did, and why each one that failed did."""

    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, Exception] = field(default_factory=dict)


class Ticker:
    """Runs each tick every TICK_SECONDS in background threads, each independent of the others."""

    def __init__(self, ticks: Sequence[Tick], *, clock: Clock, seconds: float = TICK_SECONDS) -> None:
        names = [tick.name for tick in ticks]
        if len(set(names)) != len(names):
            raise ValueError(f"tick names must be unique: {names}")
        self._ticks = list(ticks)
        self._clock = clock
        self._next: dict[str, datetime] = {}
        self._busy = {tick.name: threading.Lock() for tick in ticks}
        self._scheduler = BackgroundScheduler(timezone=UTC)
        for tick in ticks:
            self._scheduler.add_job(
                self._beat,
                "interval",
                args=[tick],
                seconds=seconds,
                id=tick.name,
                max_instances=2,  # the beat that finds its tick still running returns at once, unlogged
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=datetime.now(UTC),
            )

    def start(self) -> None:
        """Start ticking."""
        self._scheduler.start()

    def stop(self) -> None:
        """Stop ticking, letting the ticks in progress finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def round(self, *, every_tick: bool = False) -> Round:
        """Run every tick that is due (or `every_tick`), one after the other, each whatever the others did.

        A tick the background is running is waited for first.
        """
        result = Round()
        for tick in self._ticks:
            self._beat(tick, wait=True, due_or_not=every_tick, into=result)
        return result

    def tick_now(self) -> int:
        """Run every tick once, now, in the caller's thread; how much they did in all (for driving Warroom by hand).

        Every tick runs even if another fails; then the first failure is raised, so a test sees it.
        """
        result = self.round(every_tick=True)
        for error in result.failed.values():
            raise error
        return sum(result.done.values())

    def _beat(self, tick: Tick, *, wait: bool = False, due_or_not: bool = False, into: Round | None = None) -> None:
        """Run `tick` if it is due and not already running; a failure is logged (and noted in `into`), not raised."""
        busy = self._busy[tick.name]
        if not busy.acquire(blocking=wait):
            return
        try:
            if not self._due(tick) and not due_or_not:
                return
            try:
                done = tick.run()
            except Exception as error:  # the next beat (or period) retries: nothing was claimed unless it committed
                log.exception("%s failed", tick.name)
                if into is not None:
                    into.failed[tick.name] = error
                return
            if into is not None:
                into.done[tick.name] = done
            if done:
                log.info("%s: %d", tick.name, done)
        finally:
            busy.release()

    def _due(self, tick: Tick) -> bool:
        now = self._clock.now()
        due = self._next.get(tick.name)
        if due is not None and now < due <= now + tick.every:  # not yet (and the clock did not go back)
            return False
        self._next[tick.name] = now + tick.every
        return True
