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
