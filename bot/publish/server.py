"""Serving the public side: pre-rendered bytes from memory, rebuilt when the timeline moves, on its own bind.

Read-only: GET and HEAD only, no Slack routes. A refresher checks `max(timeline_event.id)` every 200 ms (one
indexed query) and rebuilds the site when it changed, or every minute (the 90-day window moves with time).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.clock import Clock
from bot.playbook import Playbook
from bot.publish.site import NOT_FOUND, SECURITY_HEADERS, Site, build_site
from bot.publish.snapshot import latest_event_id, read_snapshot

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)
CHECK_EVERY = 0.2  # seconds between checks of the newest timeline event
REBUILD_AT_LEAST_EVERY = timedelta(minutes=1)  # the history window moves with the clock when nothing happens
_ALIASES = {"/index.html": "/", "/api/v2/summary": "/api/v2/summary.json"}


@dataclass(frozen=True)
class Reply:
    """A response: status line, headers and body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


class SiteHolder:
    """The current site; swapped whole when a rebuild finishes, so every request sees one consistent snapshot."""

    def __init__(self, engine: Engine, *, playbook: Playbook, clock: Clock, base_url: str) -> None:
        self._engine, self._playbook, self._clock, self._base_url = engine, playbook, clock, base_url
        self._lock = threading.Lock()
        self._built_at = clock.now()
        self.site = self.rebuild()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def rebuild(self) -> Site:
        """Read a snapshot and render it; the new site replaces the old one at once."""
        with self._lock:
            snapshot = read_snapshot(self._engine, playbook=self._playbook, clock=self._clock, base_url=self._base_url)
            self.site = build_site(snapshot)
            self._built_at = snapshot.now
            return self.site

    def refresh(self) -> bool:
        """Rebuild if the timeline moved (or the site is a minute old); whether it rebuilt."""
        if latest_event_id(self._engine) != self.site.event_id:
            self.rebuild()
            return True
        if self._clock.now() - self._built_at >= REBUILD_AT_LEAST_EVERY:
            self.rebuild()
            return True
        return False

    def start(self) -> None:
        """Check for changes in the background."""
        self._thread = threading.Thread(target=self._run, name="status-refresher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(CHECK_EVERY):
            try:
                self.refresh()
            except Exception:  # a database blip: keep serving the last site, try again in 200 ms
                log.exception("could not rebuild the status page; still serving the previous one")


def respond(site: Site, *, method: str, path: str, if_none_match: str | None) -> Reply:
    """The reply to one request: a dict lookup, a 304 when the ETag matches."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    found = site.get(_ALIASES.get(path, path))
    if method not in ("GET", "HEAD"):
        body = b"Method Not Allowed\n"
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Allow", "GET, HEAD"), *SECURITY_HEADERS]
        return Reply("405 Method Not Allowed", [*headers, _length(body)], body)
    if found is None:
        missing = site.resources[NOT_FOUND]
        body = b"" if method == "HEAD" else missing.body
        return Reply("404 Not Found", [*missing.headers, _length(missing.body)], body)
    if if_none_match is not None and _matches(if_none_match, found.etag):
        return Reply("304 Not Modified", [h for h in found.headers if h[0] != "Content-Type"], b"")
    return Reply("200 OK", [*found.headers, _length(found.body)], b"" if method == "HEAD" else found.body)


def _length(body: bytes) -> tuple[str, str]:
    return ("Content-Length", str(len(body)))


def _matches(header: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def wsgi_app(holder: SiteHolder) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    """The public side as a WSGI application (for gunicorn or any WSGI server)."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        reply = respond(
            holder.site,
            method=str(environ.get("REQUEST_METHOD", "GET")),
            path=str(environ.get("PATH_INFO") or "/"),
            if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
        )
        start_response(reply.status, reply.headers)
        return [reply.body]

    return application


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, straight from the holder's bytes (no WSGI layer on the hot path)."""

    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "Warroom"

    holder: SiteHolder

    def _reply(self) -> None:
        reply = respond(
            self.holder.site, method=self.command, path=self.path, if_none_match=self.headers.get("If-None-Match")
        )
        code, _, reason = reply.status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if reply.body:
            self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _reply

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


@dataclass
class StatusServer:
    """The public side listening on its own address, with its refresher."""

    holder: SiteHolder
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        """Where it listens."""
        host, port = self.server.server_address[:2]
        return f"http://[{host!s}]:{port}" if ":" in str(host) else f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.holder.stop()


def start_status_server(make_holder: Callable[[str], SiteHolder], *, host: str, port: int) -> StatusServer:
    """Listen on host:port (0 for a free port) in background threads, and keep the site fresh. `make_holder` is
    given the address it listens on (http://host:port), for links when no public URL is configured."""
    server = _Server((host, port), _Handler)
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host!s}]" if ":" in str(bound_host) else str(bound_host)
    holder = make_holder(f"http://{shown}:{bound_port}")
    server.RequestHandlerClass = type("StatusHandler", (_Handler,), {"holder": holder})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    holder.start()
    return StatusServer(holder=holder, server=server, thread=thread)
