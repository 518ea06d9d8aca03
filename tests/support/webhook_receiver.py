"""A webhook receiver on loopback, as a helpdesk would run one: it can answer 500 or 410, hold a request past the
sender's timeout, or be stopped and started again on the same port. It records every request it read."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook as Verifier


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and the status it was answered with (None: held until the sender gave up)."""

    headers: dict[str, str]
    body: str
    status: int | None

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict[str, Any]:
        """The payload, once the standardwebhooks library has checked its signature."""
        payload: dict[str, Any] = Verifier(secret).verify(self.body, self.headers)
        return payload


class Receiver:
    """Answers `status` (200 by default); with `hold`, keeps each request until `release()` or `hold_seconds`."""

    def __init__(self) -> None:
        self.status = 200
        self.hold = False
        self.hold_seconds = 30.0
        self.received: list[Received] = []
        self.holding = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hooks/warroom"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = receiver._answer()
                with receiver._lock:
                    receiver.received.append(Received(headers=headers, body=body, status=status))
                if status is None:
                    return
                try:
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def _answer(self) -> int | None:
        if not self.hold:
            return self.status
        with self._lock:
            self.holding += 1
        released = self._released.wait(self.hold_seconds)
        with self._lock:
            self.holding -= 1
        return self.status if released else None

    def release(self) -> None:
        """Let held requests (and any later ones) be answered."""
        self.hold = False
        self._released.set()

    def stop(self) -> None:
        """Close the port: connections are refused until `start()` binds it again."""
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def delivered(self) -> list[Received]:
        """The requests answered 2xx, in arrival order."""
        with self._lock:
            return [r for r in self.received if r.status is not None and 200 <= r.status < 300]

    def types(self) -> list[str]:
        return [json.loads(r.body)["type"] for r in self.delivered()]
