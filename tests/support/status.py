"""The public status side for tests: Warroom through Slack's door, and its status server read over real HTTP."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from bot.playbook import Playbook
from bot.publish.listener import StatusServer
from bot.publish.serve import start_beside
from bot.store.db import session_scope
from bot.store.models import APPROVED, Incident
from tests.support.feed import approve
from tests.support.harness import LEAD, Harness, running, shipped_playbook
from tests.support.html_tree import Node, parse

COMPONENTS = ["API", "Dashboard", "Checkout"]
TITLE = "payments-api 500s after deploy 4411 (Marta's change)"


@dataclass(frozen=True)
class Got:
    """One HTTP response from the status server."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Public:
    """Warroom (Slack side) and its status server (public side), against the same database."""

    harness: Harness
    server: StatusServer

    def get(self, path: str, **headers: str) -> Got:
        """Request `path` from the status server, after it caught up with the last change (as its 200 ms check
        would: called here so the test knows the rebuild happened)."""
        self.harness.drain()
        self.server.holder.refresh()
        return self.fetch(path, **headers)

    def fetch(self, path: str, *, method: str = "GET", **headers: str) -> Got:
        """Request `path` as it is served right now."""
        request = urllib.request.Request(self.server.url + path, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Got(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Got(error.code, dict(error.headers), error.read())

    def mark(self, incident_id: int, **marks: str) -> None:
        """Mark components through Slack, as the lead (the approver until a communicator is named) does with
        `/incident components`: applied at once, one timeline event (which the status page rebuilds on)."""
        incident = next(i for i in self.harness.incidents() if i.id == incident_id)
        before = len(self.harness.events("components_changed"))
        pairs = " ".join(f"{name}={status}" for name, status in marks.items())
        self.harness.command(f"components {pairs}", user=LEAD, channel=incident.channel_id, response=f"mark-{before}")
        self.harness.wait_until(lambda: len(self.harness.events("components_changed")) > before)

    def make_internal(self, incident_id: int) -> None:
        """Flag an incident internal-only, as `/incident declare internal …` stores it."""
        with session_scope(self.harness.engine) as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            incident.internal = True
            session.add(incident)

    def draft(self, text: str, *, by: str = LEAD, response: str = "draft") -> int:
        """Draft an update through Slack; its entry id."""
        before = len(self.harness.entries())
        self.harness.command(f"update {text}", user=by, response=response)
        return self.harness.wait_until(lambda: self.harness.entries()[before:])[0].id or 0

    def approve(self, entry_id: int, *, response: str = "approve") -> None:
        """Approve as the lead (no communicator named), and wait until it is approved."""
        approve(self.harness, entry_id, by=LEAD, response=response)
        self.harness.wait_until(lambda: any(e.id == entry_id and e.state == APPROVED for e in self.harness.entries()))

    def resolve(self, cause: str) -> None:
        """Resolve through Slack and approve the resolution."""
        self.harness.command(f"resolve {cause}", user=LEAD, response="resolve")
        resolution = self.harness.wait_until(lambda: [e for e in self.harness.entries() if e.kind == "resolution"])
        approve(self.harness, resolution[-1].id or 0, by=LEAD, response="resolved")
        self.harness.wait_until(lambda: all(i.resolved_at for i in self.harness.incidents() if not i.drill))


def status_playbook() -> Playbook:
    """The shipped playbook with a status page title and three customer-facing components."""
    playbook = shipped_playbook()
    playbook.components = list(COMPONENTS)
    playbook.status_page.title = "Acme Cloud"
    playbook.timezone = "Europe/Berlin"
    return playbook


@contextmanager
def public_side(database_url: str, *, base_url: str | None = None) -> Iterator[Public]:
    """Warroom with a status page beside it on a free loopback port, against the same database and clock."""
    playbook = status_playbook()
    with running(database_url, playbook=playbook) as harness:
        server = start_beside(
            harness.engine, playbook=playbook, clock=harness.clock, bind="127.0.0.1:0", base_url=base_url
        )
        try:
            yield Public(harness=harness, server=server)
        finally:
            server.stop()


def main_of(html: str) -> Node:
    """The page's <main> as a tree (its head's void <meta> and <link> are not the tree's business)."""
    start, end = html.index("<main"), html.index("</main>") + len("</main>")
    return parse(Markup(html[start:end]))


def times(html: str) -> list[str]:
    """The machine-readable times (<time datetime>) on a page, in order."""
    return re.findall(r'<time datetime="([^"]+)"', html)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
