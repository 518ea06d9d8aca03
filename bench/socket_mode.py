"""Socket Mode clients against the tests' stand-in of Slack's server: reconnect after a drop, acks during a refresh.

Compares Bolt's default handler (slack_sdk's built-in client), Bolt's websocket-client handler, and Warroom's own
link (bot/socket_link.py, on websocket-client). Each runs a Bolt app whose `/incident` listener only acks, so the
figures are the transport's. Two scenarios, each repeated:

- drop: the stand-in cuts the connection without a close frame and sends a command at once; measured are the
  time to the next connection and to the command's ack (cut off at --give-up seconds);
- refresh: `disconnect` / `refresh_requested`, with a command every 20 ms for 1.5 s around it; measured is each
  command's ack latency (from when Slack had it to send), and how many were not acked within 10 s. As Slack does,
  the stand-in also sends 20 commands on the leaving connection as the new one comes up; counted is how many of
  those were lost there (acked only on Slack's retry after its 3 s deadline, or never).

    python -m bench.socket_mode [--rounds 3] [--give-up 60] [--only websocket]   # from the repository root
"""

from __future__ import annotations

import argparse
import logging
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.socket_link import ReconnectPolicy, SlackLink
from bot.socket_mode import bolt_handler
from tests.support.fake_slack import FakeSlack
from tests.support.harness import start_fake_slack
from tests.support.socket_slack import SocketSlack

APP_TOKEN = "xapp-1-A0BENCH-socket"
PARTING = 20
COMMAND = {
    "command": "/incident",
    "text": "help",
    "user_id": "ULEAD0001",
    "channel_id": "CWARROOM1",
    "team_id": "T0TEAM",
    "api_app_id": "AWARROOM",
    "trigger_id": "1.bench",
    "response_url": "",
}


@dataclass
class Figures:
    """What one client achieved."""

    reconnect: list[float] = field(default_factory=list)  # drop → next connection, s
    first_ack: list[float] = field(default_factory=list)  # drop → ack of the command sent at the drop, s
    refresh_acks: list[list[float]] = field(default_factory=list)  # per refresh, every ack latency around it, s
    refresh_missing: int = 0  # commands not acked within 10 s
    parting_sent: int = 0  # commands sent on the leaving connection as the new one came up
    parting_lost: int = 0  # of those, acked only after Slack's retry, or never


class Client:
    """A Socket Mode client under test: connect, then close."""

    def __init__(self, name: str, start: Callable[[App, FakeSlack], Callable[[], None]]) -> None:
        self.name = name
        self.start = start


def _bolt_handler(module: str) -> Callable[[App, FakeSlack], Callable[[], None]]:
    def start(app: App, _fake: FakeSlack) -> Callable[[], None]:
        if module == "builtin":
            from slack_bolt.adapter.socket_mode import SocketModeHandler
        else:
            from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler  # type: ignore[assignment]
        handler = SocketModeHandler(app, app_token=APP_TOKEN)
        handler.connect()  # type: ignore[no-untyped-call]
        return handler.close

    return start


def _warroom_link(app: App, fake: FakeSlack) -> Callable[[], None]:
    link = SlackLink(
        app_token=APP_TOKEN,
        web_client=WebClient(base_url=fake.api_url),
        handler=bolt_handler(app),
        policy=ReconnectPolicy(),
    )
    stop = threading.Event()
    thread = threading.Thread(target=link.run, args=(stop,), daemon=True)
    thread.start()

    def close() -> None:
        stop.set()
        thread.join(timeout=10)

    return close


CLIENTS = [
    Client("Bolt default (slack_sdk builtin)", _bolt_handler("builtin")),
    Client("Bolt websocket_client handler", _bolt_handler("websocket_client")),
    Client("Warroom link (websocket-client)", _warroom_link),
]


def _app(fake: FakeSlack) -> App:
    app = App(
        client=WebClient(token="xoxb-bench", base_url=fake.api_url),
        token_verification_enabled=False,
        request_verification_enabled=False,
    )

    @app.command("/incident")
    def _help(ack: Ack) -> None:
        ack()

    return app


def _wait_ack(stand_in: SocketSlack, envelope: str, timeout: float) -> float | None:
    try:
        ack = stand_in.wait_ack(envelope, timeout=timeout)
    except AssertionError:
        return None
    return ack.latency


def measure(client: Client, *, rounds: int, give_up: float) -> Figures:
    """Run both scenarios `rounds` times against a fresh stand-in."""
    fake = start_fake_slack()
    stand_in = SocketSlack().start()
    fake.socket_mode_url = stand_in.issue_url
    figures = Figures()
    close = client.start(_app(fake), fake)
    logging.getLogger("websocket").setLevel(logging.CRITICAL)  # slack_sdk's client resets it; it logs each drop
    try:
        stand_in.wait_links(1, timeout=10)
        _wait_ack(stand_in, stand_in.send("slash_commands", COMMAND), 10)  # warm-up
        for _ in range(rounds):
            _drop(stand_in, figures, give_up)
            time.sleep(0.5)
            _refresh(stand_in, figures)
            time.sleep(0.5)
    finally:
        close()
        stand_in.stop()
        fake.stop()
    return figures


def _drop(stand_in: SocketSlack, figures: Figures, give_up: float) -> None:
    before = len(stand_in.links)
    dropped = stand_in.drop()
    envelope = stand_in.send("slash_commands", COMMAND)
    try:
        link = stand_in.wait_links(before + 1, timeout=give_up)[before]
        figures.reconnect.append(link.opened_at - (dropped.closed_at or link.opened_at))
    except AssertionError:
        figures.reconnect.append(float("inf"))
    latency = _wait_ack(stand_in, envelope, give_up)
    figures.first_ack.append(float("inf") if latency is None else latency)


def _refresh(stand_in: SocketSlack, figures: Figures) -> None:
    if not stand_in.open_links():
        return
    envelopes, latencies = [], []
    old = stand_in.open_links()[-1]
    for step in range(75):
        if step == 10:
            old = stand_in.disconnect("refresh_requested", parting=[("slash_commands", COMMAND)] * PARTING)
        envelopes.append(stand_in.send("slash_commands", COMMAND))
        time.sleep(0.02)
    deadline = time.monotonic() + 10
    for parting in old.parting:
        figures.parting_sent += 1
        try:
            ack = stand_in.wait_ack(parting.envelope_id, timeout=max(deadline - time.monotonic(), 0.01))
            figures.parting_lost += ack.attempt > 0
        except AssertionError:
            figures.parting_lost += 1
    for envelope in envelopes:
        latency = _wait_ack(stand_in, envelope, 10)
        if latency is None:
            figures.refresh_missing += 1
        else:
            latencies.append(latency)
    figures.refresh_acks.append(latencies)


def _seconds(values: list[float]) -> str:
    return ", ".join("never" if v == float("inf") else f"{v:.2f}" for v in values) or "-"


def report(name: str, figures: Figures) -> str:
    acks = sorted(latency for refresh in figures.refresh_acks for latency in refresh)
    worst_each = ", ".join(f"{max(refresh) * 1000:.0f}" for refresh in figures.refresh_acks if refresh)
    p50 = statistics.median(acks) * 1000 if acks else float("nan")
    worst = acks[-1] * 1000 if acks else float("nan")
    return (
        f"{name}\n"
        f"  drop without close frame: next connection after {_seconds(figures.reconnect)} s; "
        f"command sent at the drop acked after {_seconds(figures.first_ack)} s\n"
        f"  refresh_requested: {len(acks)} acks, p50 {p50:.1f} ms, max {worst:.1f} ms, "
        f"over 100 ms: {sum(a > 0.1 for a in acks)}, not acked within 10 s: {figures.refresh_missing}; "
        f"max of each refresh: {worst_each} ms; sent on the leaving connection: {figures.parting_sent}, lost there "
        f"(acked only on Slack's retry, or never): {figures.parting_lost}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--give-up", type=float, default=60.0, help="seconds to wait for a reconnect")
    parser.add_argument("--only", default="", help="run only the clients whose name contains this")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    results: dict[str, Any] = {}
    for client in [each for each in CLIENTS if args.only.lower() in each.name.lower()]:
        figures = measure(client, rounds=args.rounds, give_up=args.give_up)
        results[client.name] = figures
        print(report(client.name, figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
