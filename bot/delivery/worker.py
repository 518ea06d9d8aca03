"""The outbox worker: delivers owed messages in order per channel, retrying what Slack refuses for now."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.delivery import outbox
from bot.store.db import session_scope
from bot.store.models import Incident, OutboxMessage

log = logging.getLogger(__name__)

METADATA_EVENT = "warroom_outbox"
# Errors that mean "not now": Slack is busy or the channel is not reachable yet. The row stays queued.
_TRANSIENT = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
}
# An ephemeral message for a channel or person that is gone can never be shown: drop it.
_NO_AUDIENCE = {"channel_not_found", "not_in_channel", "is_archived", "user_not_in_channel"}
_MAX_BACKOFF = timedelta(minutes=5)


class DeliveryWorker:
    """Posts outbox rows to Slack; safe to run in several threads, processes or replicas at once."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: WebClient,
        clock: Clock,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 1.0,
    ) -> None:
        self._engine = engine
        self._client = client
        self._clock = clock
        self._lease = lease
        self._poll = poll_seconds
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Deliver now rather than at the next poll."""
        self._wakeup.set()

    def start(self) -> None:
        """Run the delivery loop in a background thread."""
        self._thread = threading.Thread(target=self._loop, name="warroom-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the message in hand and stop."""
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def drain(self) -> int:
        """Deliver every row that is ready now; returns how many were settled."""
        settled = 0
        while not self._stopping.is_set():
            with Session(self._engine) as session:
                batch = outbox.ready(session, now=self._clock.now())
            progressed = sum(1 for row_id in batch if self.deliver(row_id))
            settled += progressed
            if not progressed:
                return settled
        return settled

    def deliver(self, row_id: int) -> bool:
        """Claim one row and try it; True when this worker handled it."""
        with session_scope(self._engine) as session:
            if not outbox.claim(session, row_id, now=self._clock.now(), lease=self._lease):
                return False
        with session_scope(self._engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            card_ts = self._card_ts(session, row)
        try:
            ts = self._send(row, card_ts)
        except SlackApiError as error:
            self._refused(row_id, error)
            return True
        except Exception as error:  # network trouble: the message is still owed
            log.warning("outbox %s: %s, will retry", row_id, error)
            self._retry(row_id, self._backoff(row.attempts), type(error).__name__)
            return True
        with session_scope(self._engine) as session:
            fresh = session.get(OutboxMessage, row_id)
            assert fresh is not None
            outbox.delivered(session, fresh, now=self._clock.now(), ts=ts)
            if fresh.purpose == outbox.CARD and card_ts is None:
                incident = session.get(Incident, fresh.incident_id)
                assert incident is not None
                incident.card_ts = ts
                session.add(incident)
        return True

    def _card_ts(self, session: Session, row: OutboxMessage) -> str | None:
        if row.purpose != outbox.CARD:
            return None
        incident = session.get(Incident, row.incident_id)
        return incident.card_ts if incident is not None else None

    def _send(self, row: OutboxMessage, card_ts: str | None) -> str | None:
        if row.purpose == outbox.EPHEMERAL:
            assert row.user_id is not None
            self._client.chat_postEphemeral(channel=row.channel_id, user=row.user_id, text=row.text, blocks=row.blocks)
            return None
        if row.purpose == outbox.CARD and card_ts is not None:
            self._client.chat_update(channel=row.channel_id, ts=card_ts, text=row.text, blocks=row.blocks)
            return card_ts
        response = self._client.chat_postMessage(
            channel=row.channel_id,
            text=row.text,
            blocks=row.blocks or None,
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row.id}},
        )
        return str(response["ts"])

    def _refused(self, row_id: int, error: SlackApiError) -> None:
        response = error.response
        code = str(response.get("error", "")) if response is not None else ""
        status = response.status_code if response is not None else 0
        with Session(self._engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            attempts, purpose = row.attempts, row.purpose
        if status == 429:
            self._retry(row_id, timedelta(seconds=_retry_after(error)), "ratelimited")
        elif status >= 500 or (code in _TRANSIENT and not (purpose == outbox.EPHEMERAL and code in _NO_AUDIENCE)):
            log.warning("outbox %s: Slack said %s (%s), will retry", row_id, code or status, purpose)
            self._retry(row_id, self._backoff(attempts), code or f"http_{status}")
        else:
            log.error("outbox %s: Slack refused it for good: %s", row_id, code or status)
            with session_scope(self._engine) as session:
                row = session.get(OutboxMessage, row_id)
                assert row is not None
                outbox.give_up(session, row, error=code or f"http_{status}")

    def _retry(self, row_id: int, delay: timedelta, error: str) -> None:
        with session_scope(self._engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            outbox.retry_later(session, row, at=self._clock.now() + delay, error=error)

    @staticmethod
    def _backoff(attempts: int) -> timedelta:
        return min(timedelta(seconds=2 ** max(0, attempts - 1)), _MAX_BACKOFF)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.drain()
            except Exception:
                log.exception("delivery loop failed; retrying at the next poll")
            self._wakeup.wait(timeout=self._poll)
            self._wakeup.clear()


def _retry_after(error: SlackApiError) -> float:
    headers = error.response.headers if error.response is not None else {}
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(raw))
            except ValueError:
                break
    return 1.0
