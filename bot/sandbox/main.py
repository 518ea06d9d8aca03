"""`warroom sandbox`: start it, say where it is, and run until Ctrl-C."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from bot.sandbox.runner import HOST, Options, SandboxError, running


def serve(*, port: int, speed: float, db: Path) -> int:
    """Run the sandbox in the foreground; 0 after Ctrl-C or SIGTERM, 2 if it cannot start."""
    for noisy in ("alembic", "warroom.bolt", "slack_bolt", "bot.delivery", "bot.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()

    def stopping(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    try:
        with running(Options(port=port, speed=speed, db=db)) as sandbox:
            faster = f", the playbook's clock {speed:g} times faster" if speed != 1 else ""
            print("Warroom sandbox: a small Slack workspace in your browser, with no Slack and no tokens.")
            print(f"Listening on {HOST} only (loopback): nothing here reaches Slack or the network{faster}.")
            print(f"Database: {sandbox.db.resolve()} (SQLite; delete it to start afresh)")
            print(f"The public status page customers would see: {sandbox.status_url}")
            print("Open this page (Ctrl-C stops the sandbox):")
            print(sandbox.url, flush=True)
            stop.wait()
    except SandboxError as error:
        print(f"warroom sandbox: {error}", file=sys.stderr)
        return 2
    print("warroom sandbox: stopped", flush=True)
    return 0
