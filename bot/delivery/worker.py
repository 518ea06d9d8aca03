"""The outbox worker: delivers owed messages in order per channel, retrying what Slack refuses for now."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.config import longest_attempt
from bot.delivery import files, outbox
from bot.delivery.lookup import METADATA_EVENT, UNREACHABLE, Unanswered, already_posted, error_code
from bot.slack.client import retry_after
from bot.store.db import session_scope
from bot.store.models import OutboxMessage

log = logging.getLogger(__name__)
_LINK_GONE = frozenset({"message_not_found", "channel_not_found", "not_in_channel", "is_archived"})

# Slack is busy, or the token is being fixed: try again later.
_TRANSIENT = UNREACHABLE | {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
}
# An ephemeral message for a channel or person that is gone can never be shown: drop it.
_NO_AUDIENCE = UNREACHABLE | {"user_not_in_channel"}
_MAX_BACKOFF = timedelta(seconds=60)
CHANNELS_AT_ONCE = 4


def settle_wait(timeout: float) -> timedelta:
    """How long to wait after a post whose answer never came before looking for it in the channel's history.

    Slack may still act on it after the client gave up (the soak saw answers 11 s into a 10 s timeout): twice the
    timeout, and at least the timeout plus 5 s, puts the look a full timeout or more past the latest answer seen.
    """
    return timedelta(seconds=max(2 * timeout, timeout + 5))


Unreachable = Callable[[Session, OutboxMessage, str], None]
Reachable = Callable[[Session, OutboxMessage], None]


@dataclass(frozen=True)
class Hooks:
    """What the domain wants to hear about delivery: a channel unreachable, reachable again, or given up on."""

    unreachable: Unreachable = lambda _session, _row, _error: None
    reachable: Reachable = lambda _session, _row: None
    given_up: Unreachable = lambda _session, _row, _error: None


@dataclass(frozen=True)
class _Claimed:
    """A row this worker holds, with where its keyed message, the message it links to and its thread's parent are."""

    row: OutboxMessage
    target: tuple[str, str] | None
    link_to: tuple[str, str] | None
    held_until: datetime
    parent_ts: str | None = None


class _LeaseLost(Exception):
    """Another worker took the row while this one was uploading its file: it is theirs to share now."""


class DeliveryWorker:
    """Posts outbox rows to Slack; safe to run in several threads, processes or replicas at once."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: WebClient,
        clock: Clock,
        lease: timedelta = timedelta(seconds=90),
        poll_seconds: float = 1.0,
        hooks: Hooks | None = None,
        wait_for: frozenset[str] = frozenset(),
    ) -> None:
        """`wait_for`: channels whose rows stay queued while Slack says they are unreachable (the mirror).

        The lease must outlast the longest attempt, or another worker could take a row whose post is still in flight.
        """
        longest = longest_attempt(client.timeout)
        if lease <= longest:
            raise ValueError(f"the delivery lease ({lease}) must be longer than the longest attempt ({longest})")
        self._engine = engine
        self._client = client
        self._clock = clock
        self._lease = lease
        self._settle_wait = settle_wait(client.timeout)
        self._poll = poll_seconds
        self._hooks = hooks or Hooks()
        self._wait_for = wait_for
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=CHANNELS_AT_ONCE, thread_name_prefix="warroom-deliver")

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
        self._pool.shutdown(wait=True)

    def drain(self) -> int:
        """Deliver every row that is ready now; returns how many were settled.

        A batch holds at most one row per channel (the oldest owed). It is claimed in one transaction and its
        channels are delivered in parallel, so one slow or throttled channel never holds up the mirror.
        """
        settled = 0
        while not self._stopping.is_set():
            claimed = self._claim()
            if not claimed:
                return settled
            settled += sum(1 for _ in self._pool.map(self._deliver, claimed))
        return settled

    def _claim(self) -> list[_Claimed]:
        now = self._clock.now()
        with Session(self._engine) as session:
            batch = outbox.ready(session, now=now)
        if not batch:
            return []
        with session_scope(self._engine) as session:
            taken = outbox.claim(session, batch, now=now, lease=self._lease)
            claimed = []
            for row_id in taken:
                row = session.get(OutboxMessage, row_id)
                assert row is not None
                landed = outbox.landed(session, row.message_key) if row.message_key else None
                link = outbox.landed(session, row.link_key) if row.link_key else None
                claimed.append(
                    _Claimed(
                        row=row,
                        target=(landed.channel_id, landed.ts) if landed else None,
                        link_to=(link.channel_id, link.ts) if link else None,
                        held_until=now + self._lease,
                        parent_ts=None if landed else _parent_ts(session, row),  # an update stays where it is
                    )
                )
        return claimed

    def _deliver(self, claimed: _Claimed) -> None:
        row = claimed.row
        assert row.id is not None
        try:
            if row.purpose == outbox.UPLOAD:
                channel, ts = files.share(
                    self._client,
                    row,
                    parent_ts=claimed.parent_ts,
                    reserved=lambda file_id: self._reserved(claimed, file_id),
                )
            else:
                channel, ts = self._send(
                    row, target=claimed.target, link_to=claimed.link_to, parent_ts=claimed.parent_ts
                )
        except _LeaseLost:
            log.warning("outbox %s: the lease ran out while uploading and another worker took the row", row.id)
            return
        except SlackApiError as error:
            self._refused(claimed, error)
            return
        except Unanswered as unanswered:  # Slack may still post it: look in the history only once it would show
            cause = unanswered.__cause__ or unanswered
            wait = max(self._backoff(row.attempts), self._settle_wait)
            log.warning("outbox %s: no answer from Slack (%s); will look for it in %ss", row.id, cause, wait.seconds)
            self._retry(claimed, wait, type(cause).__name__)
            return
        except Exception as error:  # network trouble or a timeout before anything was posted: still owed
            log.warning("outbox %s: %s, will retry", row.id, error)
            self._retry(claimed, self._backoff(row.attempts), type(error).__name__)
            return
        with session_scope(self._engine) as session:
            fresh = self._held(session, claimed)
            if fresh is None:
                return
            now = self._clock.now()
            outbox.delivered(session, fresh, now=now, ts=ts)
            if fresh.message_key and claimed.target is None and ts is not None:
                outbox.record_landing(session, key=fresh.message_key, channel_id=channel, ts=ts, at=now)
            self._hooks.reachable(session, fresh)

    # -- talking to Slack ---------------------------------------------------------------------------------

    def _send(
        self,
        row: OutboxMessage,
        *,
        target: tuple[str, str] | None,
        link_to: tuple[str, str] | None,
        parent_ts: str | None,
    ) -> tuple[str, str | None]:
        blocks = list(row.blocks)
        link = self._link_block(row.id, *link_to) if link_to is not None else None
        if link is not None:
            blocks.append(link)
        if row.purpose == outbox.EPHEMERAL:
            assert row.user_id is not None
            self._client.chat_postEphemeral(channel=row.channel_id, user=row.user_id, text=row.text, blocks=blocks)
            return row.channel_id, None
        if target is not None:
            channel, ts = target
            self._client.chat_update(channel=channel, ts=ts, text=row.text, blocks=blocks)
            return channel, ts
        key = row.message_key or f"outbox:{row.id}"  # every post carries one, keyed or not
        if row.attempts > 1:  # an earlier attempt may have landed without its answer reaching us
            found = already_posted(self._client, row.channel_id, key, since=row.created_at, thread_ts=parent_ts)
            if found is not None:
                log.info("outbox %s: %s was already posted (ts %s); not posting again", row.id, key, found[1])
                return found
        try:
            response = self._client.chat_postMessage(
                channel=row.channel_id,
                text=row.text,
                blocks=blocks or None,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
                thread_ts=parent_ts,
                reply_broadcast=True if parent_ts is not None and row.broadcast else None,
            )
        except SlackApiError:
            raise
        except Exception as error:
            raise Unanswered() from error
        if parent_ts is not None and not (response.get("message") or {}).get("thread_ts"):
            log.warning("outbox %s: Slack posted it at the top level: the thread %s is gone", row.id, parent_ts)
        return str(response.get("channel") or row.channel_id), str(response["ts"])

    def _reserved(self, claimed: _Claimed, file_id: str) -> None:
        """Record the file Slack reserved for the row, unless the row's lease ran out (then it is another's)."""
        with session_scope(self._engine) as session:
            fresh = outbox.still_held(session, claimed.row.id or 0, until=claimed.held_until)
            if fresh is None:
                raise _LeaseLost()
            outbox.reserved(session, fresh, file_id=file_id)

    def _link_block(self, row_id: int | None, channel: str, ts: str) -> dict[str, Any] | None:
        """A link to the message the row refers to; none when that message is gone (deleted, or past retention)."""
        try:
            permalink = self._client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError as error:
            if error_code(error) not in _LINK_GONE:
                raise
            log.warning(
                "outbox %s: the message it links to (%s in %s) is gone; posting it without the link",
                row_id,
                ts,
                channel,
            )
            return None
        return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{permalink}|Open it in the channel>"}]}

    # -- settling -------------------------------------------------------------------------------------------

    def _refused(self, claimed: _Claimed, error: SlackApiError) -> None:
        row = claimed.row
        response = error.response
        code = error_code(error)
        status = response.status_code if response is not None else 0
        if status == 429:
            self._retry(claimed, timedelta(seconds=max(1.0, retry_after(error))), "ratelimited")
        elif row.purpose == outbox.EPHEMERAL and code in _NO_AUDIENCE:
            self._give_up(claimed, code)
        elif code in UNREACHABLE and row.channel_id not in self._wait_for:
            log.error("outbox %s: Slack can't deliver to %s (%s); giving up on it", row.id, row.channel_id, code)
            self._give_up(claimed, code, tell=True, refusal=error)
        elif status >= 500 or code in _TRANSIENT:
            log.warning("outbox %s: Slack said %s (%s), will retry", row.id, code or status, row.channel_id)
            self._retry(claimed, self._backoff(row.attempts), code or f"http_{status}", unreachable=code in UNREACHABLE)
        else:
            log.error("outbox %s: Slack refused it for good: %s", row.id, code or status)
            self._give_up(claimed, code or f"http_{status}", refusal=error)

    def _held(self, session: Session, claimed: _Claimed) -> OutboxMessage | None:
        """The row to settle, unless this worker's lease ran out and another worker has taken the row since."""
        assert claimed.row.id is not None
        row = outbox.still_held(session, claimed.row.id, until=claimed.held_until)
        if row is None:
            log.warning("outbox %s: the lease ran out and another worker took the row; leaving it", claimed.row.id)
        return row

    def _retry(self, claimed: _Claimed, delay: timedelta, error: str, *, unreachable: bool = False) -> None:
        with session_scope(self._engine) as session:
            row = self._held(session, claimed)
            if row is None:
                return
            outbox.retry_later(session, row, at=self._clock.now() + delay, error=error)
            if unreachable:
                self._hooks.unreachable(session, row, error)

    def _give_up(
        self, claimed: _Claimed, error: str, *, tell: bool = False, refusal: SlackApiError | None = None
    ) -> None:
        with session_scope(self._engine) as session:
            row = self._held(session, claimed)
            if row is None:
                return
            outbox.give_up(session, row, error=error)
            if row.purpose == outbox.UPLOAD and row.user_id is not None and refusal is not None:
                self._tell_requester(session, row, refusal)
            if tell:
                self._hooks.given_up(session, row, error)

    def _tell_requester(self, session: Session, row: OutboxMessage, refusal: SlackApiError) -> None:
        """Owe the person who asked for a file a DM saying that Slack refused it for good, and what fixes that."""
        assert row.user_id is not None
        text = files.refusal_for_requester(row, refusal)
        outbox.enqueue(
            session, text=text, blocks=[], incident_id=row.incident_id, channel_id=row.user_id, at=self._clock.now()
        )

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


def _parent_ts(session: Session, row: OutboxMessage) -> str | None:
    """Where the row's thread starts: the ts of its parent's landing, or None to post at the top level.

    The parent is an earlier row in the same channel, so per-channel order has settled it. If it never landed
    (given up, or an incident older than threads whose parent was never keyed), the message is not lost: it goes
    to the top level. An ephemeral message has no thread.
    """
    if row.thread_key is None or row.purpose == outbox.EPHEMERAL:
        return None
    parent = outbox.landed(session, row.thread_key)
    if parent is None:
        log.warning(
            "outbox %s: %s never landed; posting it at the top level, not in its thread", row.id, row.thread_key
        )
        return None
    return parent.ts
