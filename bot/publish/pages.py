"""The public status page in HTML: server-rendered, no script, every value escaped by Jinja's autoescape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from bot.publish.snapshot import HISTORY_DAYS, Snapshot

PAGES = Path(__file__).resolve().parent / "pages"
STATIC = Path(__file__).resolve().parent / "static"
_ENVIRONMENT = Environment(
    loader=FileSystemLoader(PAGES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def pages(snapshot: Snapshot) -> dict[str, bytes]:
    """The front page, one permanent page per incident, and the 404 page (under the key "404")."""
    prefix = urlsplit(snapshot.base_url).path.rstrip("/")

    def link(path: str) -> str:
        return prefix + path

    def when(moment: datetime | None) -> Markup:
        """A time in the playbook's zone, machine-readable in UTC."""
        if moment is None:
            return Markup("")
        local = moment.astimezone(snapshot.zone)
        shown = f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"
        machine = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Markup(f'<time datetime="{escape(machine)}">{escape(shown)}</time>')

    common = {"page": snapshot, "link": link, "when": when, "history_days": HISTORY_DAYS}
    rendered = {"/": _render("index.html.j2", **common), "404": _render("missing.html.j2", **common)}
    for incident in snapshot.incidents:
        rendered[f"/incidents/{incident.ref}"] = _render("incident.html.j2", incident=incident, **common)
    return rendered


def stylesheet() -> bytes:
    """The one stylesheet."""
    return (STATIC / "status.css").read_bytes()


def _render(name: str, **context: object) -> bytes:
    return _ENVIRONMENT.get_template(name).render(**context).encode()
