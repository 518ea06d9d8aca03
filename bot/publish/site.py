"""The whole public site as bytes: every path, its body, content type, ETag and headers, built once per snapshot.

Serving a request is then a dict lookup; `warroom status export DIR` writes the same bytes as files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.publish.api import documents
from bot.publish.feeds import feeds
from bot.publish.pages import pages, stylesheet
from bot.publish.snapshot import Snapshot

CACHE_CONTROL = "public, max-age=10"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)
HTML = "text/html; charset=utf-8"
TYPES = {
    ".json": "application/json; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
NOT_FOUND = "404"


@dataclass(frozen=True)
class Resource:
    """One path's response, ready to send."""

    body: bytes
    content_type: str
    etag: str
    headers: tuple[tuple[str, str], ...]  # everything but Content-Length, for 200 and 304 alike


@dataclass(frozen=True)
class Site:
    """Every public path of one snapshot (and the 404 page under "404")."""

    event_id: int
    resources: dict[str, Resource]

    def get(self, path: str) -> Resource | None:
        return self.resources.get(path)


def build_site(snapshot: Snapshot) -> Site:
    """Render everything the public side serves from one snapshot."""
    bodies = {**pages(snapshot), "/status.css": stylesheet(), **documents(snapshot), **feeds(snapshot)}
    return Site(
        event_id=snapshot.event_id,
        resources={path: resource(path, body) for path, body in bodies.items()},
    )


def resource(path: str, body: bytes) -> Resource:
    """A body with its content type, strong ETag and headers."""
    content_type = next((kind for suffix, kind in TYPES.items() if path.endswith(suffix)), HTML)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = (
        ("Content-Type", content_type),
        ("ETag", etag),
        ("Cache-Control", CACHE_CONTROL if path != NOT_FOUND else "public, max-age=60"),
        *SECURITY_HEADERS,
    )
    if content_type.startswith("application/json"):
        headers = (*headers, ("Access-Control-Allow-Origin", "*"))  # like Statuspage: widgets read it cross-origin
    return Resource(body=body, content_type=content_type, etag=etag, headers=headers)
