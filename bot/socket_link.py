"""Warroom's Socket Mode link to Slack: WebSocket connections kept open, replaced and given up on by rule.

Built on websocket-client's WebSocketApp, one thread per connection. A connection that ends, with or without a
close frame, is replaced at once; a refresh opens the new connection before the old one is closed, so envelopes
never wait for a handshake; an envelope Slack redelivers is answered once, from what its first run answered.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websocket import WebSocketApp, WebSocketException

log = logging.getLogger("warroom.socket")

# Errors from apps.connections.open that mean the app-level token itself is refused, not that Slack is away.
TOKEN_REFUSALS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type", "token_expired"}
)


@dataclass(frozen=True)
class ReconnectPolicy:
    """How hard to try before telling a supervisor that this process cannot reach Slack."""

    refusals: int = 3  # consecutive token refusals, then exit
    outage: float = 300.0  # seconds without a connection for any other reason, then exit
    first_pause: float = 0.25  # pause after the first failed attempt; it doubles up to max_pause
    max_pause: float = 10.0
    hello_timeout: float = 5.0  # Slack says hello at once; a connection without one is a failed attempt
    ping_interval: float = 10.0  # a half-open connection is noticed after ping_interval + ping_timeout
    ping_timeout: float = 5.0


class GaveUp(Exception):
    """Slack cannot be reached for good; str() is the one line to log."""


class EnvelopeLedger:
    """Remembers the envelopes lately answered, so a redelivery is acked again but not run again."""

    RUNNING: ClassVar[dict[str, Any]] = {"running": True}  # marker: the first delivery is still being handled

    def __init__(self, size: int = 10_000) -> None:
        self._answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def begin(self, envelope_id: str) -> dict[str, Any] | None:
        """None when this envelope is new (and now running); else RUNNING or the ack it was answered with."""
        with self._lock:
            seen = self._answers.get(envelope_id)
            if seen is None:
                self._answers[envelope_id] = self.RUNNING
                while len(self._answers) > self._size:
                    self._answers.popitem(last=False)
            return seen

    def finish(self, envelope_id: str, ack: dict[str, Any] | None) -> None:
        """Record the ack (or forget the envelope when it was not acked, so that Slack's retry runs it)."""
        with self._lock:
            if ack is None:
                self._answers.pop(envelope_id, None)
            else:
                self._answers[envelope_id] = ack


# Runs one envelope; returns the ack's payload ({} for a plain ack), or None to leave it unacked.
Handler = Callable[[dict[str, Any]], dict[str, Any] | None]


class _Connection:
    """One WebSocket to Slack, read on its own thread."""

    def __init__(self, url: str, *, number: int, link: SlackLink) -> None:
        self.number = number
        self.hello = threading.Event()
        self.gone = threading.Event()
        self.leaving = False  # Slack asked it to go; a replacement is being opened
        self.reason = "closed"
        self._link = link
        self._app = WebSocketApp(url, on_message=self._message, on_error=self._error)
        self._thread = threading.Thread(target=self._run, name=f"slack-socket-{number}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def send(self, text: str) -> bool:
        """Write a frame; False when this connection is no longer usable."""
        if self.gone.is_set():
            return False
        try:
            self._app.send(text)
        except (WebSocketException, OSError):
            return False
        return True

    def close(self) -> None:
        """Say goodbye with a close frame, waiting at most a second for Slack's reply."""
        self._app.close(timeout=1)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        policy = self._link.policy
        try:
            self._app.run_forever(ping_interval=policy.ping_interval, ping_timeout=policy.ping_timeout)
        finally:
            self.gone.set()
            self._link.gone(self)

    def _message(self, _app: WebSocketApp, text: str) -> None:
        message = json.loads(text)
        kind = message.get("type")
        if kind == "hello":
            self.hello.set()
            self._link.wake()
        elif kind == "disconnect":
            self.leaving = True
            self.reason = f"Slack asked to reconnect ({message.get('reason')})"
            self._link.wake()
        elif message.get("envelope_id"):
            self._link.received(self, message)

    def _error(self, _app: WebSocketApp, error: object) -> None:
        self.reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class SlackLink:
    """Keeps one Socket Mode connection open, hands each envelope to `handler`, and acks with what it returns."""

    def __init__(
        self,
        *,
        app_token: str,
        web_client: WebClient,
        handler: Handler,
        policy: ReconnectPolicy | None = None,
        workers: int = 10,
    ) -> None:
        self.policy = policy or ReconnectPolicy()
        self._app_token = app_token
        self._web = web_client
        self._handler = handler
        self._ledger = EnvelopeLedger()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-envelope")
        self._current: _Connection | None = None
        self._retired: list[_Connection] = []
        self._numbers = 0
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._stopping = False

    @property
    def connected(self) -> bool:
        """True while a connection is open and has had Slack's hello."""
        current = self._current
        return current is not None and current.hello.is_set() and not current.gone.is_set()

    def wake(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Connect and stay connected until `stop` is set; raise GaveUp when Slack stays out of reach."""
        failures = refusals = 0
        failing_since: float | None = None
        try:
            while not stop.is_set():
                if not self._needs_connection():
                    self._wake.wait(0.5)
                    self._wake.clear()
                    continue
                problem, refused = self._connect()
                if problem is None:
                    failures = refusals = 0
                    failing_since = None
                    continue
                failures += 1
                refusals = refusals + 1 if refused else 0
                failing_since = failing_since or time.monotonic()
                log.warning("Socket Mode: connecting failed (%s), attempt %d", problem, failures)
                if refusals >= self.policy.refusals:
                    raise GaveUp(
                        f"SLACK_APP_TOKEN: Slack refused it {refusals} times in a row ({problem}): it was revoked "
                        "or regenerated. Create one with connections:write (Basic Information → App-Level Tokens) "
                        "and set it; stopping so that a supervisor restarts Warroom or alerts"
                    )
                if time.monotonic() - failing_since > self.policy.outage:
                    raise GaveUp(
                        f"Socket Mode: no connection to Slack for {self.policy.outage:.0f} s ({problem}); stopping "
                        "so that a supervisor restarts Warroom or alerts"
                    )
                stop.wait(min(self.policy.first_pause * 2 ** (failures - 1), self.policy.max_pause))
        finally:
            self._shut_down()

    def received(self, connection: _Connection, message: dict[str, Any]) -> None:
        """An envelope arrived: handle it on a worker so the connection keeps reading."""
        with self._lock:
            if self._stopping:
                return  # unacked: Slack sends it again, to this replica after a restart or to another one
            self._pool.submit(self._answer, connection, message)

    def gone(self, connection: _Connection) -> None:
        """A connection's thread ended."""
        if connection is self._current and not self._stopping:
            log.warning("Socket Mode: connection %d lost (%s); reconnecting", connection.number, connection.reason)
        self._wake.set()

    # -- connecting ---------------------------------------------------------------------------------------

    def _needs_connection(self) -> bool:
        current = self._current
        return current is None or current.gone.is_set() or current.leaving

    def _connect(self) -> tuple[str | None, bool]:
        """Open a new connection and make it current: (None, False), or (what went wrong, token refused)."""
        try:
            url = str(self._web.apps_connections_open(app_token=self._app_token)["url"])
        except SlackApiError as error:
            code = str(error.response.get("error") if error.response is not None else "no answer")
            return code, code in TOKEN_REFUSALS
        except OSError as error:
            return f"{type(error).__name__}: {error}", False
        self._numbers += 1
        connection = _Connection(url, number=self._numbers, link=self)
        connection.start()
        deadline = time.monotonic() + self.policy.hello_timeout
        while not connection.hello.wait(0.05):
            if connection.gone.is_set() or time.monotonic() > deadline:
                self._retire(connection)
                return f"no hello from Slack ({connection.reason})", False
        previous, self._current = self._current, connection
        log.info("Socket Mode: connected (connection %d)", connection.number)
        if previous is not None:
            self._retire(previous)
        return None, False

    def _retire(self, connection: _Connection) -> None:
        """Close a connection in the background; acks for what it delivered may still use it until then."""
        self._retired = [each for each in self._retired if not each.gone.is_set()]
        self._retired.append(connection)
        threading.Thread(target=connection.close, name=f"slack-socket-close-{connection.number}", daemon=True).start()

    def _shut_down(self) -> None:
        """Finish the envelopes being handled (their acks go out), then close every connection."""
        with self._lock:
            self._stopping = True
        self._pool.shutdown(wait=True)
        connections = [*self._retired, *([self._current] if self._current else [])]
        for connection in connections:
            connection.close()
        for connection in connections:
            connection.join(timeout=2)

    # -- answering ----------------------------------------------------------------------------------------

    def _answer(self, connection: _Connection, message: dict[str, Any]) -> None:
        envelope_id = str(message["envelope_id"])
        seen = self._ledger.begin(envelope_id)
        if seen is EnvelopeLedger.RUNNING:
            return  # the first delivery is still running; it acks when done
        if seen is not None:
            log.info("Socket Mode: envelope %s delivered again; acked without running it twice", envelope_id)
            self._send(connection, seen)
            return
        ack: dict[str, Any] | None = None
        try:
            payload = self._handler(message)
            if payload is not None:
                ack = {"envelope_id": envelope_id, **({"payload": payload} if payload else {})}
        finally:
            self._ledger.finish(envelope_id, ack)
        if ack is not None:
            self._send(connection, ack)

    def _send(self, connection: _Connection, ack: dict[str, Any]) -> None:
        """Ack on the connection the envelope came on, or on the current one when that has gone."""
        text = json.dumps(ack)
        if connection.send(text):
            return
        current = self._current
        if current is not None and current is not connection and current.send(text):
            return
        log.warning("Socket Mode: could not ack envelope %s; Slack will send it again", ack.get("envelope_id"))
