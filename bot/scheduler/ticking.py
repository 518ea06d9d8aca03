"""APScheduler ticks the cadence twice a second and the slower chores on their own, coarser clock.

Every replica ticks; the database decides who sends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock

log = logging.getLogger(__name__)
TICK_SECONDS = 0.5
CHORE_CHECK_SECONDS = 1.0  # how often the chores look at the clock (cheap: no database)


@dataclass(frozen=True)
class Chore:
    """Hours-scale work (follow-up reminders, pruning) run once per `every` of the clock's time."""

    name: str
    run: Callable[[], int]
    every: timedelta


class Ticker:
    """Calls `tick` every TICK_SECONDS, and each chore once its period has passed, in background threads.

    Chores go by the domain's clock, checked each tick, so moving the clock (as the tests do) runs them at once,
    while in production a chore touches the database once per period, not twice a second.
    """

    def __init__(
        self,
        tick: Callable[[], int],
        *,
        clock: Clock,
        chores: Sequence[Chore] = (),
        seconds: float = TICK_SECONDS,
    ) -> None:
        self._tick = tick
        self._clock = clock
        self._chores = list(chores)
        self._next: dict[str, datetime] = {}
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._busy = threading.Lock()
        # A chore may outlast a tick (a pruning run); the tick that finds it busy returns at once, unlogged.
        jobs = (("cadence", self._run, seconds, 1), ("chores", self._run_chores, CHORE_CHECK_SECONDS, 2))
        for job_id, job, every, instances in jobs:
            self._scheduler.add_job(
                job,
                "interval",
                seconds=every,
                id=job_id,
                max_instances=instances,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=datetime.now(UTC),
            )

    def start(self) -> None:
        """Start ticking."""
        self._scheduler.start()

    def stop(self) -> None:
        """Stop ticking, letting a tick in progress finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def tick_now(self) -> int:
        """Run the cadence tick and every chore once, now, in the caller's thread; returns how much they did.

        For driving Warroom step by step (the tests): errors propagate, and the background jobs need not run.
        """
        done = self._tick()
        with self._busy:
            for chore in self._chores:
                self._next[chore.name] = self._clock.now() + chore.every
                done += chore.run()
        return done

    def _run(self) -> None:
        try:
            sent = self._tick()
        except Exception:  # the next tick retries: nothing was claimed unless its transaction committed
            log.exception("cadence tick failed")
            return
        if sent:
            log.info("sent %d cadence reminder(s)", sent)

    def _run_chores(self) -> None:
        if not self._busy.acquire(blocking=False):
            return
        try:
            self._each_chore()
        finally:
            self._busy.release()

    def _each_chore(self) -> None:
        for chore in self._chores:
            now = self._clock.now()
            due = self._next.get(chore.name)
            if due is not None and now < due <= now + chore.every:  # not yet (and the clock did not go back)
                continue
            self._next[chore.name] = now + chore.every
            try:
                done = chore.run()
            except Exception:  # its next period retries
                log.exception("%s failed", chore.name)
                continue
            if done:
                log.info("%s: %d", chore.name, done)
