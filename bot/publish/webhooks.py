"""The webhook worker: delivers each endpoint's events in order, retrying with back-off for up to a day.

It is not the Slack delivery worker: each endpoint has its own thread, so a dead or slow endpoint delays neither
Slack nor another endpoint. A row is claimed with a lease (one conditional UPDATE), sent outside any transaction,
and settled only while the lease is still this worker's, so replicas never send an event twice at once. The next
event to an endpoint waits until the one before it is delivered or given up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, literal_column, or_, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.delivery import outbox
from bot.publish.webhook_sending import Answer, Endpoint, send
from bot.render.text import escape
from bot.store.db import session_scope
from bot.store.models import DELIVERED, FAILED, LAST_ERROR_LIMIT, PENDING, Incident
from bot.store.public import WebhookMessage

log = logging.getLogger(__name__)
FIRST_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=15)
PRUNE_BATCH = 500
RETRY_FOR = timedelta(days=1)  # from the event's creation; then it is given up and the war room told


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 5 s, doubling, at most 15 minutes."""
    doublings: int = max(0, min(attempts - 1, 20))
    return min(FIRST_BACKOFF * (1 << doublings), MAX_BACKOFF)


class WebhookWorker:
    """Sends webhook messages to their endpoints; safe to run in several replicas at once."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        endpoints: Sequence[Endpoint],
        timeout: timedelta = timedelta(seconds=10),
        retention: timedelta = timedelta(days=14),
        poll_seconds: float = 1.0,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`wall` signs the requests: receivers check webhook-timestamp against their own clock."""
        self._engine = engine
        self._clock = clock
        self._endpoints = {endpoint.name: endpoint for endpoint in endpoints}
        self._timeout = timeout
        self._lease = 3 * timeout + timedelta(seconds=30)  # outlasts one attempt, so no one takes a row in flight
        self._poll = poll_seconds
        self._retention = retention
        self._wall = wall
        self._wakeups = {name: threading.Event() for name in self._endpoints}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def names(self) -> list[str]:
        """The endpoints' names, in playbook order."""
        return list(self._endpoints)

    def wake(self) -> None:
        """Deliver now rather than at the next poll."""
        for event in self._wakeups.values():
            event.set()

    def start(self) -> None:
        """One thread per endpoint."""
        self._stopping.clear()
        for name in self._endpoints:
            thread = threading.Thread(target=self._run, args=(name,), name=f"warroom-webhook-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop after the attempts in flight (each at most the timeout)."""
        self._stopping.set()
        self.wake()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def deliver_now(self) -> int:
        """Deliver everything due now, each endpoint in its own thread, until none is due; returns the rows settled."""
        if not self._endpoints:
            return 0
        with ThreadPoolExecutor(max_workers=len(self._endpoints)) as pool:
            return sum(pool.map(self._drain, self._endpoints))

    def prune(self) -> int:
        """Forget the next batch of delivered events older than the retention (given-up ones stay, for the record)."""
        before = self._clock.now() - self._retention
        delivered_at = col(WebhookMessage.delivered_at)
        with session_scope(self._engine) as session:
            doomed = select(WebhookMessage.id).where(  # the partial index's condition, spelled as a literal
                col(WebhookMessage.state) == literal_column(f"'{DELIVERED}'"), delivered_at < before
            )
            ids = list(session.exec(doomed.order_by(delivered_at).limit(PRUNE_BATCH)))
            if ids:
                session.execute(delete(WebhookMessage).where(col(WebhookMessage.id).in_(ids)))
        return len(ids)

    def _drain(self, name: str) -> int:
        settled = 0
        while self.deliver_one(name):
            settled += 1
        return settled

    def _run(self, name: str) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.deliver_one(name)
            except Exception:
                log.exception("webhook delivery to %s failed; trying again", name)
                busy = False
            if not busy:
                self._wakeups[name].wait(self._poll)
                self._wakeups[name].clear()

    def deliver_one(self, name: str) -> bool:
        """Send the endpoint's oldest pending event if it is due; True when one was settled."""
        now = self._clock.now()
        held = self._claim(name, now=now)
        if held is None:
            return False
        row_id, event_id, body, lease_until = held
        answer = send(self._endpoints[name], event_id=event_id, body=body, at=self._wall(), timeout=self._timeout_s)
        with session_scope(self._engine) as session:
            row = self._still_held(session, row_id, until=lease_until)
            if row is None:
                return True  # another replica took it over after our lease ran out: theirs to settle
            self._settle(session, row, answer)
        return True

    @property
    def _timeout_s(self) -> float:
        return self._timeout.total_seconds()

    def _claim(self, name: str, *, now: datetime) -> tuple[int, str, str, datetime] | None:
        with session_scope(self._engine) as session:
            pending = col(WebhookMessage.state) == literal_column(f"'{PENDING}'")  # the partial index's condition
            oldest = session.exec(
                select(WebhookMessage.id, WebhookMessage.event_id, WebhookMessage.body)
                .where(WebhookMessage.endpoint == name, pending)
                .order_by(col(WebhookMessage.id))
                .limit(1)
            ).first()
            if oldest is None or oldest[0] is None:
                return None
            lease_until = now + self._lease
            claimed = session.execute(
                update(WebhookMessage)
                .where(
                    col(WebhookMessage.id) == oldest[0],
                    col(WebhookMessage.state) == PENDING,
                    col(WebhookMessage.next_attempt_at) <= now,
                    or_(col(WebhookMessage.claimed_until).is_(None), col(WebhookMessage.claimed_until) < now),
                )
                .values(claimed_until=lease_until, attempts=col(WebhookMessage.attempts) + 1)
                .returning(col(WebhookMessage.id))
                .execution_options(synchronize_session=False)
            ).first()
            return None if claimed is None else (oldest[0], oldest[1], oldest[2], lease_until)

    def _still_held(self, session: Session, row_id: int, *, until: datetime) -> WebhookMessage | None:
        query = select(WebhookMessage).where(
            WebhookMessage.id == row_id, WebhookMessage.state == PENDING, WebhookMessage.claimed_until == until
        )
        return session.exec(query.with_for_update()).first()

    def _settle(self, session: Session, row: WebhookMessage, answer: Answer) -> None:
        now = self._clock.now()
        row.claimed_until = None
        row.last_error = None if answer.delivered else answer.detail[:LAST_ERROR_LIMIT]
        deadline = row.created_at + RETRY_FOR
        if answer.delivered:
            row.state, row.delivered_at = DELIVERED, now
        elif answer.retry and now < deadline:
            wait = timedelta(seconds=answer.retry_after) if answer.retry_after is not None else backoff(row.attempts)
            row.next_attempt_at = min(now + min(wait, MAX_BACKOFF), deadline)
        else:
            row.state = FAILED
            self._tell_war_room(session, row, answer, retried=answer.retry)
        session.add(row)
        if not answer.delivered:
            log.warning("webhook %s to %s: %s", row.event_id, row.endpoint, answer.detail)

    def _tell_war_room(self, session: Session, row: WebhookMessage, answer: Answer, *, retried: bool) -> None:
        """Once per outage of an endpoint (an event given up right after one that was not), in the war room."""
        before = session.exec(
            select(WebhookMessage.state)
            .where(WebhookMessage.endpoint == row.endpoint, col(WebhookMessage.id) < (row.id or 0))
            .order_by(col(WebhookMessage.id).desc())
            .limit(1)
        ).first()
        incident = session.get(Incident, row.incident_id) if row.incident_id is not None else None
        if incident is None or incident.id is None or before == FAILED:  # told when the outage began
            return
        how = f"after retrying for {_span(RETRY_FOR)}" if retried else "at once: retrying would not help"
        text = (
            f":warning: Webhook *{escape(row.endpoint)}* did not take {incident.ref}'s {escape(row.event_type)} "
            f"event; Warroom gave up {how}. Last error: {escape(answer.detail)}. The helpdesk or customers behind "
            "it may be missing updates: fix the endpoint (or its playbook entry). Later events are still sent, "
            "in order, and this is said once until the endpoint takes an event again."
        )
        outbox.enqueue(
            session, text=text, blocks=[], incident_id=incident.id, channel_id=incident.channel_id, at=self._clock.now()
        )


def _span(duration: timedelta) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g} hours" if hours != 24 else "a day"
