"""`python -m bot` as separate processes: their environment, a free port, waiting for health, killing them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.store.models import OutboxMessage
from tests.support.fake_slack import FakeSlack
from tests.support.harness import MIRROR

# A lease a restarted process takes over quickly; it must outlast an attempt (6 calls x the 1 s timeout).
SHORT_LEASE = {"WARROOM_SLACK_TIMEOUT": "1s", "WARROOM_DELIVERY_LEASE": "7s"}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(fake: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment, minus any Warroom setting, plus the fake Slack and a SQLite file in `tmp_path`."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL", "PORT"))}
    return {
        **keep,
        "SLACK_BOT_TOKEN": "xoxb-cli-test",
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}",
        "WARROOM_MIRROR_CHANNEL": MIRROR,
        **extra,
    }


def wait_healthy(port: int, process: subprocess.Popen[str]) -> None:
    """Wait (30 s at most) until the server answers /healthz on `port`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up within 30 s")


def start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """`python -m bot` in its own process group (gunicorn's workers die with it), its output discarded."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        env=env,
        cwd=cwd,
        text=True,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the process and its workers at once, as a crash would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_settled(engine: Engine, channel: str, *, what: str) -> None:
    """Wait (20 s at most) until every outbox row for `channel` is delivered, as after a restart."""

    def settled() -> bool:
        with Session(engine) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.channel_id == channel)).all()
            return all(r.state == "delivered" for r in rows)

    deadline = time.monotonic() + 20
    while not settled():
        assert time.monotonic() < deadline, f"{what} was never settled after the restart"
        time.sleep(0.1)
