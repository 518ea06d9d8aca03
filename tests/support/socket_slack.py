"""A Socket Mode stand-in: a WebSocket server on loopback that speaks Slack's envelope protocol.

Like Slack's server it says `hello` on connect, sends envelopes, waits for acks (recording their latency), asks for a
refresh with `disconnect` and keeps sending on the leaving connection until the app closes it, can drop a
connection without a close frame, and redelivers unacked envelopes (with `retry_attempt` one higher): at once on the
next connection after a drop, after its 3 s ack deadline after a clean close.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

T = TypeVar("T")


@dataclass
class Envelope:
    """One payload Slack owes the app until the app acks it."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    queued_at: float
    accepts_response_payload: bool = True
    retry_attempt: int = 0
    lose_ack: bool = False  # the connection dies after the app acked, before Slack read the ack

    def frame(self) -> str:
        """The envelope as Slack writes it on the socket."""
        return json.dumps(
            {
                "envelope_id": self.envelope_id,
                "type": self.type,
                "payload": self.payload,
                "accepts_response_payload": self.accepts_response_payload,
                "retry_attempt": self.retry_attempt,
                "retry_reason": "timeout" if self.retry_attempt else "",
            }
        )


@dataclass
class Ack:
    """An ack Slack read: which envelope, on which connection, how long after Slack had it to send."""

    envelope_id: str
    connection: int
    latency: float
    payload: dict[str, Any] | None
    attempt: int  # the envelope's retry_attempt when Slack read the ack: 0 means acked on its first delivery
    at: float = field(default_factory=time.monotonic)


@dataclass
class Link:
    """One WebSocket connection from the app."""

    number: int
    socket: ServerConnection
    opened_at: float
    closed_at: float | None = None
    told_to_leave: bool = False
    parting: list[Envelope] = field(default_factory=list)  # sent on it the moment the app's replacement connects
    parted: bool = False  # the parting envelopes were sent
    sent: list[str] = field(default_factory=list)  # envelope ids delivered on this connection, unacked


class SocketSlack:
    """Slack's Socket Mode server, as far as an app can tell."""

    def __init__(self, *, app_id: str = "AWARROOM") -> None:
        self.app_id = app_id
        self.links: list[Link] = []
        self.acks: list[Ack] = []
        self.deliveries: list[tuple[str, int, int]] = []  # (envelope id, retry attempt, connection)
        self.tickets_issued = 0
        self.drop_after_hello = False  # cut every new connection right after its hello (a flapping proxy)
        self.ack_deadline = 3.0  # Slack retries an envelope not acked this long after a clean close
        self._timers: list[threading.Timer] = []
        self._pending: dict[str, Envelope] = {}  # sent or queued, not acked yet, in order
        self._queue: list[str] = []  # waiting for a connection
        self._numbers = itertools.count(1)
        self._lock = threading.Condition()
        self._server: Server = serve(self._serve, "127.0.0.1", 0, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-slack", daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> SocketSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            links = [link for link in self.links if link.closed_at is None]
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        for link in links:
            with contextlib.suppress(OSError):
                link.socket.socket.shutdown(socket.SHUT_RDWR)
        self._server.shutdown()
        self._thread.join(timeout=5)

    def issue_url(self) -> str:
        """What apps.connections.open answers with: a fresh one-use ticket URL."""
        with self._lock:
            self.tickets_issued += 1
            ticket = self.tickets_issued
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={ticket}&app_id={self.app_id}"

    # -- what Slack does ----------------------------------------------------------------------------------

    def send(self, kind: str, payload: dict[str, Any], *, lose_ack: bool = False) -> str:
        """Send an envelope (`slash_commands`, `interactive`, ...) now, or on the next connection if none is open."""
        envelope = Envelope(str(uuid.uuid4()), kind, payload, time.monotonic(), lose_ack=lose_ack)
        with self._lock:
            self._pending[envelope.envelope_id] = envelope
            self._queue.append(envelope.envelope_id)
        self._flush()
        return envelope.envelope_id

    def disconnect(
        self, reason: str = "refresh_requested", *, parting: Sequence[tuple[str, dict[str, Any]]] = ()
    ) -> Link:
        """Ask the newest connection to go (`refresh_requested`, `warning`, `link_disabled`, ...); `parting`
        envelopes (kind, payload) are sent on it as the app's replacement connects, as Slack still uses it then."""
        link = self._newest()
        frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}}
        now = time.monotonic()
        with self._lock:
            link.told_to_leave = True
            for kind, payload in parting:
                envelope = Envelope(str(uuid.uuid4()), kind, payload, now)
                self._pending[envelope.envelope_id] = envelope
                link.parting.append(envelope)
        link.socket.send(json.dumps(frame))
        return link

    def drop(self) -> Link:
        """Cut the newest connection without a close frame, as a dying proxy or server does."""
        link = self._newest()
        link.socket.socket.shutdown(socket.SHUT_RDWR)
        self._gone(link)  # Slack knows at once; nothing more is sent on it
        return link

    # -- what a test reads --------------------------------------------------------------------------------

    def open_links(self) -> list[Link]:
        with self._lock:
            return [link for link in self.links if link.closed_at is None]

    def wait_links(self, count: int, timeout: float = 15.0) -> list[Link]:
        """Wait until `count` connections have been opened in all; return them."""
        return self._wait(lambda: list(self.links) if len(self.links) >= count else None, timeout, f"{count} links")

    def wait_ack(self, envelope_id: str, timeout: float = 15.0) -> Ack:
        """Wait for the app's ack of an envelope."""
        return self._wait(
            lambda: next((a for a in self.acks if a.envelope_id == envelope_id), None), timeout, f"ack {envelope_id}"
        )

    def acks_of(self, envelope_id: str) -> list[Ack]:
        with self._lock:
            return [ack for ack in self.acks if ack.envelope_id == envelope_id]

    def delivered(self, envelope_id: str) -> list[tuple[str, int, int]]:
        with self._lock:
            return [d for d in self.deliveries if d[0] == envelope_id]

    def _wait(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = probe()
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"Socket Mode stand-in: no {what} within {timeout} s")
                self._lock.wait(remaining)

    # -- the server side ----------------------------------------------------------------------------------

    def _serve(self, connection: ServerConnection) -> None:
        request = connection.request
        query = parse_qs(urlparse(request.path if request else "").query)
        if not query.get("ticket"):
            connection.close(code=1008, reason="no ticket")
            return
        link = Link(next(self._numbers), connection, time.monotonic())
        with self._lock:
            self.links.append(link)
            count = len([each for each in self.links if each.closed_at is None])
            leaving = [each for each in self.links if each.parting and not each.parted and each.closed_at is None]
            self._lock.notify_all()
        for each in leaving:
            self._send_parting(each)
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        clean = False
        try:
            connection.send(json.dumps(hello))
            if self.drop_after_hello:
                connection.socket.shutdown(socket.SHUT_RDWR)
            self._flush()
            for message in connection:
                self._read_ack(link, message)
            clean = True  # the app closed it with a close frame
        except (ConnectionClosed, OSError):
            pass
        finally:
            self._gone(link, clean=clean)

    def _send_parting(self, link: Link) -> None:
        with self._lock:
            envelopes, link.parted = link.parting, True
            for envelope in envelopes:
                envelope.queued_at = time.monotonic()
                link.sent.append(envelope.envelope_id)
                self.deliveries.append((envelope.envelope_id, envelope.retry_attempt, link.number))
        for envelope in envelopes:
            try:
                link.socket.send(envelope.frame())
            except (ConnectionClosed, OSError):
                return

    def _read_ack(self, link: Link, message: str | bytes) -> None:
        data = json.loads(message)
        envelope_id = data.get("envelope_id")
        with self._lock:
            envelope = self._pending.get(envelope_id)
            if envelope is None:  # an ack for something already acked, or never sent: Slack ignores it
                return
            if envelope.lose_ack:
                envelope.lose_ack = False
                lost = True
            else:
                lost = False
                del self._pending[envelope_id]
                for each in self.links:  # Slack takes an ack on any of the app's connections
                    if envelope_id in each.sent:
                        each.sent.remove(envelope_id)
                latency = time.monotonic() - envelope.queued_at
                self.acks.append(Ack(envelope_id, link.number, latency, data.get("payload"), envelope.retry_attempt))
                self._lock.notify_all()
        if lost:
            link.socket.socket.shutdown(socket.SHUT_RDWR)

    def _gone(self, link: Link, *, clean: bool = False) -> None:
        with self._lock:
            if link.closed_at is not None:
                return
            link.closed_at = time.monotonic()
            unacked, link.sent = link.sent, []
            self._lock.notify_all()
            if clean:  # their acks may still come on another connection; Slack retries at the ack deadline
                timer = threading.Timer(self.ack_deadline, self._retry, (unacked,))
                timer.daemon = True
                self._timers.append(timer)
                timer.start()
                return
        self._retry(unacked)

    def _retry(self, envelope_ids: list[str]) -> None:
        """Redeliver the envelopes still unacked, with retry_attempt one higher, on another connection."""
        with self._lock:
            for envelope_id in envelope_ids:
                envelope = self._pending.get(envelope_id)
                if envelope is not None:
                    envelope.retry_attempt += 1
                    self._queue.append(envelope_id)
        self._flush()

    def _newest(self) -> Link:
        with self._lock:
            open_links = [link for link in self.links if link.closed_at is None]
        if not open_links:
            raise AssertionError("Socket Mode stand-in: no open connection")
        return open_links[-1]

    def _flush(self) -> None:
        """Send queued envelopes on the newest connection not told to leave (else any open one)."""
        while True:
            with self._lock:
                open_links = [link for link in self.links if link.closed_at is None]
                staying = [link for link in open_links if not link.told_to_leave]
                candidates = staying or open_links
                if not candidates or not self._queue:
                    return
                target = candidates[-1]
                envelope = self._pending.get(self._queue.pop(0))
                if envelope is None:
                    continue
                target.sent.append(envelope.envelope_id)
                self.deliveries.append((envelope.envelope_id, envelope.retry_attempt, target.number))
            try:
                target.socket.send(envelope.frame())
            except (ConnectionClosed, OSError):
                return  # it died under us; _gone requeues what it held
