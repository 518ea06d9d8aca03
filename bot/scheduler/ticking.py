"""APScheduler ticks the cadence twice a second; every replica ticks, the database decides who sends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)
TICK_SECONDS = 0.5


class Ticker:
    """Calls `tick` every TICK_SECONDS in a background thread, never two at once."""

    def __init__(self, tick: Callable[[], int], *, seconds: float = TICK_SECONDS) -> None:
        self._tick = tick
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            self._run,
            "interval",
            seconds=seconds,
            id="cadence",
            max_instances=1,
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

    def _run(self) -> None:
        try:
            sent = self._tick()
        except Exception:  # the next tick retries: nothing was claimed unless its transaction committed
            log.exception("cadence tick failed")
            return
        if sent:
            log.info("sent %d cadence reminder(s)", sent)
