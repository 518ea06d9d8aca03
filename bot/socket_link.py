"""Warroom's Socket Mode link to Slack: WebSocket connections kept open, replaced and given up on by rule.

Built on websocket-client's WebSocketApp, one thread per connection. A connection that ends, with or without a
close frame, is replaced at once; a refresh opens the new connection before the old one is closed, so envelopes
never wait for a handshake; an envelope Slack redelivers is answered once, from what its first run answered.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websocket import WebSocket, WebSocketApp, WebSocketException

from bot.slack.client import retry_after

log = logging.getLogger("warroom.socket")

# Errors from apps.connections.open that mean the app-level token itself is refused, not that Slack is away.
TOKEN_REFUSALS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type", "token_expired"}
)


@dataclass(frozen=True)
class ReconnectPolicy:
    """How hard to try before telling a supervisor that this process cannot reach Slack."""

    refusals: int = 3  # consecutive token refusals, spanning at least refusal_span seconds, then exit
    refusal_span: float = 30.0  # so that a brief invalid_auth blip on Slack's side does not stop Warroom
    outage: float = 300.0  # seconds without a connection for any other reason, then exit
    first_pause: float = 0.25  # pause after the first failed attempt; it doubles up to max_pause
    max_pause: float = 10.0
    hello_timeout: float = 5.0  # Slack says hello at once; a connection without one is a failed attempt
    stable_after: float = 30.0  # a connection that drops sooner is a failed attempt: the back-off goes on
    flap_pause: float = 1.0  # ...but after a connection Slack said hello on, never wait longer than this (a 429's
    # Retry-After still applies), so every drop is followed by a reconnect within 2 s
    close_timeout: float = 3.0  # a retired connection is read until Slack's close frame, at most this long
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
        self.hello_at = self.gone_at = 0.0
        self.leaving = False  # Slack asked it to go; a replacement is being opened
        self.closing = False  # our close frame is sent: still read, but acks go on the current connection
        self.reason = "closed"
        self._link = link
        self._app = WebSocketApp(url, on_open=self._open, on_message=self._message, on_error=self._error)
        self._socket: WebSocket | None = None  # kept: run_forever forgets it before its close, which skips a
        # socket whose close frame was already sent, and so would leak it
        self._thread = threading.Thread(target=self._run, name=f"slack-socket-{number}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def send(self, text: str) -> bool:
        """Write a frame; False when this connection is no longer usable."""
        if self.gone.is_set() or self.closing:
            return False
        try:
            self._app.send(text)
        except (WebSocketException, OSError):
            return False
        return True

    @property
    def lived(self) -> float:
        """Seconds from Slack's hello to the end of the connection (0 without a hello)."""
        return self.gone_at - self.hello_at if self.hello.is_set() and self.gone.is_set() else 0.0

    def say_goodbye(self) -> None:
        """Send a close frame only: the reader goes on handling what Slack sent before it read ours."""
        self.closing = True
        sock = self._socket
        if sock is not None and sock.connected:
            try:
                sock.send_close()
            except (WebSocketException, OSError):
                self._abort()

    def await_goodbye(self, timeout: float) -> None:
        """Wait for Slack's close frame (or the peer's drop); cut the socket when it does not come in time."""
        if not self.gone.wait(timeout):
            self._abort()
        self._thread.join(1.0)

    def close(self) -> None:
        """Close the connection without losing an envelope already on the wire."""
        self.say_goodbye()
        self.await_goodbye(self._link.policy.close_timeout)

    def _abort(self) -> None:
        self._app.keep_running = False  # also stops a run_forever that has not connected yet
        sock = self._socket or self._app.sock
        raw = sock.sock if sock is not None else None
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)

    def _run(self) -> None:
        policy = self._link.policy
        try:
            self._app.run_forever(ping_interval=policy.ping_interval, ping_timeout=policy.ping_timeout)
        finally:
            raw = self._socket.sock if self._socket is not None else None
            if raw is not None:
                raw.close()
            self.gone_at = time.monotonic()
            self.gone.set()
            self._link.gone(self)

    def _open(self, app: WebSocketApp) -> None:
        self._socket = app.sock

    def _message(self, _app: WebSocketApp, text: str) -> None:
        message = json.loads(text)
        kind = message.get("type")
        if kind == "hello":
            self.hello_at = time.monotonic()
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
        refusing_since = 0.0
        judged: _Connection | None = None  # the lost connection whose lifetime was already counted
        try:
            while not stop.is_set():
                if not self._needs_connection():
                    self._wake.wait(0.5)
                    self._wake.clear()
                    continue
                lost = self._current
                if lost is not None and lost is not judged and not lost.leaving:
                    judged = lost
                    if lost.lived >= self.policy.stable_after:
                        failures = 0
                    else:  # hello, then gone at once: reconnecting without a pause would spin on Slack
                        failures += 1
                        stop.wait(min(self._backoff(failures), self.policy.flap_pause))
                        continue
                problem, refused, retry_after = self._connect()
                now = time.monotonic()
                if problem is None:
                    refusals = 0
                    failing_since = None
                    continue
                failures += 1
                refusing_since = refusing_since if refusals and refused else now
                refusals = refusals + 1 if refused else 0
                failing_since = failing_since or now
                log.warning("Socket Mode: connecting failed (%s), attempt %d", problem, failures)
                if refusals >= self.policy.refusals and now - refusing_since >= self.policy.refusal_span:
                    raise GaveUp(
                        f"SLACK_APP_TOKEN: Slack refused it {refusals} times in {now - refusing_since:.0f} s "
                        f"({problem}): it was revoked or regenerated. Create one with connections:write (Basic "
                        "Information → App-Level Tokens) and set it; stopping so that a supervisor restarts "
                        "Warroom or alerts"
                    )
                if now - failing_since > self.policy.outage:
                    raise GaveUp(
                        f"Socket Mode: no connection to Slack for {self.policy.outage:.0f} s ({problem}); stopping "
                        "so that a supervisor restarts Warroom or alerts"
                    )
                stop.wait(max(self._backoff(failures), retry_after))
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

    def _backoff(self, failures: int) -> float:
        return float(min(self.policy.first_pause * 2 ** (failures - 1), self.policy.max_pause))

    def _connect(self) -> tuple[str | None, bool, float]:
        """Open a new connection and make it current: (None, False, 0), or (what went wrong, token refused, the
        seconds Slack asked to wait)."""
        try:
            url = str(self._web.apps_connections_open(app_token=self._app_token)["url"])
        except SlackApiError as error:
            code = str(error.response.get("error") if error.response is not None else "no answer")
            rate_limited = error.response is not None and error.response.status_code == 429
            return code, code in TOKEN_REFUSALS, retry_after(error) if rate_limited else 0.0
        except OSError as error:
            return f"{type(error).__name__}: {error}", False, 0.0
        self._numbers += 1
        connection = _Connection(url, number=self._numbers, link=self)
        connection.start()
        deadline = time.monotonic() + self.policy.hello_timeout
        while not connection.hello.wait(0.05):
            if connection.gone.is_set() or time.monotonic() > deadline:
                self._retire(connection)
                return f"no hello from Slack ({connection.reason})", False, 0.0
        previous, self._current = self._current, connection
        log.info("Socket Mode: connected (connection %d)", connection.number)
        if previous is not None:
            self._retire(previous)
        return None, False, 0.0

    def _retire(self, connection: _Connection) -> None:
        """Close a connection in the background, still handling what Slack sent on it until its close frame."""
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
            connection.say_goodbye()
        deadline = time.monotonic() + self.policy.close_timeout
        for connection in connections:
            connection.await_goodbye(max(deadline - time.monotonic(), 0.0))

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
        except Exception:
            log.exception("Socket Mode: envelope %s (%s) failed; not acked", envelope_id, message.get("type"))
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
