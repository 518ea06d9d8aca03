"""Warroom in Socket Mode for tests: the real app and link, a fake Web API and the Socket Mode stand-in."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlmodel import Session, col, select

from bot.playbook import load_playbook
from bot.runtime import build
from bot.socket_link import ReconnectPolicy
from bot.socket_mode import SocketModeService
from bot.store.models import Incident
from tests.support.fake_slack import FakeSlack
from tests.support.harness import LEAD, SECRET, WAR_ROOM, FakeClock, make_settings, start_fake_slack
from tests.support.slack_requests import Slack
from tests.support.socket_slack import SocketSlack

APP_TOKEN = "xapp-1-A0WARROOM-socket-test"
# Quick to give up in tests; the production defaults are in ReconnectPolicy.
FAST = ReconnectPolicy(first_pause=0.1, max_pause=0.5, hello_timeout=2.0, refusal_span=1.0)


@dataclass
class SocketHarness:
    """Everything a Socket Mode test drives and inspects."""

    fake: FakeSlack
    socket: SocketSlack
    service: SocketModeService
    requests: Slack
    stop: threading.Event
    exit_codes: list[int]

    def slash_command(self, text: str, *, user: str = LEAD, channel: str = WAR_ROOM, lose_ack: bool = False) -> str:
        """`/incident <text>` as Slack sends it over Socket Mode; returns the envelope ID."""
        payload = self.command_payload(text, user=user, channel=channel)
        return self.socket.send("slash_commands", payload, lose_ack=lose_ack)

    def command_payload(self, text: str, *, user: str = LEAD, channel: str = WAR_ROOM) -> dict[str, str]:
        """The payload of a `slash_commands` envelope for `/incident <text>`."""
        return dict(parse_qsl(self.requests.command_body(text, user=user, channel=channel, response="cmd")))

    def incidents(self) -> list[Incident]:
        with Session(self.service.warroom.engine) as session:
            return list(session.exec(select(Incident).order_by(col(Incident.id))))

    def health(self) -> int:
        """The status GET /healthz answers."""
        url = f"http://127.0.0.1:{self.service.health.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            error.close()
            return int(error.code)

    def wait_connected(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.service.link.connected:
            if time.monotonic() > deadline:
                raise AssertionError(f"Socket Mode did not connect within {timeout} s")
            time.sleep(0.01)


@contextmanager
def socket_mode_running(database_url: str, *, policy: ReconnectPolicy = FAST) -> Iterator[SocketHarness]:
    """Start Warroom in Socket Mode against the stand-ins, and stop everything it started afterwards."""
    fake = start_fake_slack()
    socket = SocketSlack().start()
    fake.socket_mode_url = socket.issue_url
    settings = make_settings(fake=fake, database_url=database_url, slack_app_token=APP_TOKEN)
    warroom = build(settings, clock=FakeClock(), playbook=load_playbook())
    warroom.start()
    service = SocketModeService(warroom, settings, policy=policy, health_port=0)
    stop = threading.Event()
    exit_codes: list[int] = []

    def serve() -> None:
        exit_codes.append(service.run(stop))

    thread = threading.Thread(target=serve, name="socket-mode-service")
    thread.start()
    harness = SocketHarness(
        fake=fake,
        socket=socket,
        service=service,
        requests=Slack(app_url="unused: Socket Mode", fake_url=fake.url, secret=SECRET),
        stop=stop,
        exit_codes=exit_codes,
    )
    try:
        harness.wait_connected()
        yield harness
    finally:
        stop.set()
        thread.join(timeout=15)
        warroom.stop()
        socket.stop()
        fake.stop()
