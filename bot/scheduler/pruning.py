"""Pruning delivered outbox rows once they are older than the retention, in small batches."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from bot.clock import Clock
from bot.delivery import outbox
from bot.store.db import session_scope

BATCH = 500
MAX_BATCHES = 20  # per run: at most 10,000 rows, so a long backlog is worked off without hogging the writer


class OutboxPruner:
    """Deletes delivered rows older than `retention` whose landing in Slack is recorded."""

    def __init__(self, *, engine: Engine, clock: Clock, retention: timedelta) -> None:
        self._engine = engine
        self._clock = clock
        self._retention = retention

    def run(self) -> int:
        """Prune what is due, one short transaction per batch; returns how many rows went."""
        before = self._clock.now() - self._retention
        pruned, after = 0, None
        for _ in range(MAX_BATCHES):  # rows kept (an incident still open, say) are stepped over, not read again
            with session_scope(self._engine) as session:
                batch = outbox.prune(session, before=before, after=after, batch=BATCH)
            pruned += batch.deleted
            if batch.last is None:
                break
            after = batch.last
        return pruned
