"""Socket Mode: Warroom connected to Slack over a WebSocket, with the same /healthz as HTTP mode."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from bot.config import Settings
from bot.runtime import Warroom, build
from bot.socket_link import GaveUp, Handler, ReconnectPolicy, SlackLink

log = logging.getLogger("warroom.socket")


def bolt_handler(app: App) -> Handler:
    """Run an envelope through the Bolt app; the ack's payload once its listener acked, None when it failed."""

    def handle(envelope: dict[str, Any]) -> dict[str, Any] | None:
        headers: dict[str, str | Sequence[str]] = {}
        if envelope.get("retry_attempt"):
            headers["x-slack-retry-num"] = str(envelope["retry_attempt"])
        if envelope.get("retry_reason"):
            headers["x-slack-retry-reason"] = str(envelope["retry_reason"])
        response = app.dispatch(BoltRequest(mode="socket_mode", body=envelope.get("payload") or {}, headers=headers))
        if response.status in (400, 404):  # malformed, or no listener (a link button's click): a retry cannot help
            log.warning(
                "Socket Mode: envelope %s (%s) not handled (status %s: %s); acked so that Slack does not retry it",
                envelope.get("envelope_id"),
                envelope.get("type"),
                response.status,
                response.body,
            )
            return {}
        if response.status != 200:
            log.warning("Socket Mode: envelope %s not acked (status %s)", envelope.get("envelope_id"), response.status)
            return None
        if not response.body:
            return {}
        content_type = (response.headers.get("content-type") or [""])[0]
        if content_type.startswith("application/json"):
            return dict(json.loads(response.body))
        return {"text": response.body}

    return handle


class HealthServer:
    """GET /healthz: 200 while the socket is connected, 503 while it is not (an orchestrator sees a deaf process)."""

    def __init__(self, link: SlackLink, *, port: int, host: str = "0.0.0.0") -> None:
        class Health(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # load balancers ask every few seconds
                pass

            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/healthz":
                    self._answer(404, b"not found\n")
                elif link.connected:
                    self._answer(200, b"ok\n")
                else:
                    self._answer(503, b"Socket Mode is not connected to Slack\n")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer((host, port), Health)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="healthz", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class SocketModeService:
    """A started Warroom, its Socket Mode link and its health check, run until stopped or Slack is out of reach."""

    def __init__(
        self,
        warroom: Warroom,
        settings: Settings,
        *,
        policy: ReconnectPolicy | None = None,
        health_port: int | None = None,
    ) -> None:
        self.warroom = warroom
        self.link = SlackLink(
            app_token=settings.slack_app_token or "",
            web_client=WebClient(base_url=settings.slack_api_url, timeout=10),
            handler=bolt_handler(warroom.app),
            policy=policy,
        )
        self.health = HealthServer(self.link, port=settings.port if health_port is None else health_port)

    def run(self, stop: threading.Event) -> int:
        """Serve until `stop` is set (0), or until Slack cannot be reached for good (1, after one log line)."""
        self.health.start()
        try:
            self.link.run(stop)
        except GaveUp as reason:
            log.error("%s", reason)
            return 1
        finally:
            self.health.stop()
        return 0


def serve_socket_mode(settings: Settings) -> int:
    """Run Warroom in Socket Mode until SIGTERM/SIGINT (0) or until Slack cannot be reached for good (1)."""
    logging.getLogger("websocket").setLevel(logging.CRITICAL)  # it logs each drop as an error; we log it once
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info(
            "Socket Mode: %s received; finishing the envelopes and listener work in hand", signal.Signals(signum).name
        )
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    warroom = build(settings)
    warroom.start()
    try:
        return SocketModeService(warroom, settings).run(stop)
    finally:
        warroom.stop()
