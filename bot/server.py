"""HTTP mode on gunicorn: Bolt's WSGI adapter behind a production server, plus a health check."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.app import AckGate
from bot.config import Settings
from bot.listeners.intake import malformed, signed_by_slack
from bot.runtime import Warroom, build

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; a modal with every field full stays far below this


def wsgi_app(
    handler: SlackRequestHandler, *, signing_secret: str | None, gate: AckGate | None = None
) -> WSGIApplication:
    """Slack requests at /slack/events, and GET /healthz for load balancers.

    With a signing secret, every POST is verified here, before Bolt reads anything: an unsigned or garbled
    request gets 401 and has no effect, and a signed one Bolt could not parse gets 400.
    """
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if environ.get("REQUEST_METHOD") == "POST":
            refusal = _refusal(environ, verifier)
            if refusal is not None:
                status, reason = refusal
                start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
                return [reason.encode()]
        try:
            if gate is None:
                return handler(environ, start_response)
            with gate.acking():  # this worker's lazy work waits until the acks in progress are written
                return handler(environ, start_response)
        except Exception as error:  # Bolt's adapter failed to read a signed request: the sender's fault, not ours
            log.warning("refused a request Bolt could not read: %s: %s", type(error).__name__, error)
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Bad Request\n"]

    return application


def _refusal(environ: WSGIEnvironment, verifier: SignatureVerifier | None) -> tuple[str, str] | None:
    """Read the body once (and put it back for Bolt); the HTTP status and reason to refuse it with, if any."""
    length = environ.get("CONTENT_LENGTH") or "0"
    if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY:
        log.warning("refused a request with Content-Length %r", length[:20])
        return "400 Bad Request", "Bad Request\n"
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    if verifier is not None and not signed_by_slack(
        verifier,
        body=body,
        timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
        signature=environ.get("HTTP_X_SLACK_SIGNATURE"),
    ):
        log.warning("refused a request that is not signed by Slack (from %s)", environ.get("REMOTE_ADDR", "?"))
        return "401 Unauthorized", "Unauthorized\n"
    problem = malformed(body, str(environ.get("CONTENT_TYPE") or ""))
    if problem is not None:
        log.warning("refused a malformed request: %s", problem)
        return "400 Bad Request", f"Bad Request: {problem}\n"
    return None


class WarroomServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn with threaded workers; each worker builds its own Warroom after the fork."""

    def __init__(self, settings: Settings, *, workers: int = 2, threads: int = 32) -> None:
        self._settings = settings
        self._options: dict[str, Any] = {
            "bind": f"0.0.0.0:{settings.port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 30,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "worker_exit": self._stop_warroom,
        }
        self._warroom: Warroom | None = None  # set in each worker after the fork; never shared between processes
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        warroom = build(self._settings)
        warroom.start()
        self._warroom = warroom
        handler = SlackRequestHandler(warroom.app, path=EVENTS_PATH)
        return wsgi_app(handler, signing_secret=self._settings.slack_signing_secret, gate=warroom.gate)

    def _stop_warroom(self, _server: Any, _worker: Any) -> None:
        """Gunicorn's worker_exit hook, run in the worker process: stop the Warroom that worker built."""
        if self._warroom is not None:
            self._warroom.stop()
