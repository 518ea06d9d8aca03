"""HTTP mode on gunicorn: Bolt's WSGI adapter behind a production server, plus a health check."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.config import Settings
from bot.runtime import build

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


def wsgi_app(handler: SlackRequestHandler) -> WSGIApplication:
    """Slack requests at /slack/events, and GET /healthz for load balancers."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return handler(environ, start_response)

    return application


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
            "worker_exit": _stop_warroom,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        warroom = build(self._settings)
        warroom.start()
        _RUNNING.append(warroom)
        return wsgi_app(SlackRequestHandler(warroom.app, path=EVENTS_PATH))


_RUNNING: list[Any] = []


def _stop_warroom(_server: Any, _worker: Any) -> None:
    for warroom in _RUNNING:
        warroom.stop()
