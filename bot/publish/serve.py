"""The public side beside Warroom: its own process (Slack mode) or threads (the sandbox), its own bind."""

from __future__ import annotations

import atexit
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.config import Settings, parse_bind
from bot.playbook import Playbook, load_playbook
from bot.publish.export import export
from bot.publish.listener import StatusServer, start_status_server
from bot.publish.server import SiteHolder
from bot.store.db import make_engine

log = logging.getLogger(__name__)
_DATABASE, _BIND, _URL, _PLAYBOOK = "DATABASE_URL", "WARROOM_STATUS_BIND", "WARROOM_STATUS_URL", "WARROOM_PLAYBOOK"
START_TIMEOUT = 30  # seconds for the status process to import, read the database and listen
PARENT_CHECK_SECONDS = 1.0  # how soon the status process notices that Warroom is gone, and ends too
STATUS_NICENESS = 10  # a tenth of a Slack worker's CPU share when both are busy (bench/status_herd.py)


def start_beside(
    engine: Engine, *, playbook: Playbook, clock: Clock, bind: str, base_url: str | None = None
) -> StatusServer:
    """Serve the status page in background threads of this process (port 0: any free one)."""
    host, port = parse_bind(bind) if not bind.endswith(":0") else (bind.rsplit(":", 1)[0].strip("[]"), 0)
    return start_status_server(
        lambda listening: SiteHolder(engine, playbook=playbook, clock=clock, base_url=base_url or listening),
        host=host,
        port=port,
    )


def spawn(settings: Settings) -> subprocess.Popen[bytes] | None:
    """Start the status server in a process of its own when WARROOM_STATUS_BIND is set: the Slack side's workers
    and the public page share no interpreter, so a flood of page views never slows an ack. It reads the same
    settings (environment and .env), and ends when this process ends."""
    if settings.warroom_status_bind is None:
        return None
    # What it needs, and no Slack token: by environment (never argv, which `ps` shows to every user).
    needs = {
        _DATABASE: settings.database_url,
        _BIND: settings.warroom_status_bind,
        _URL: settings.status_url or "",
        _PLAYBOOK: str(settings.warroom_playbook or ""),
    }
    child = subprocess.Popen([sys.executable, "-m", "bot.publish.serve"], env={**os.environ, **needs})
    _wait_listening(child, settings.warroom_status_bind)
    parent = os.getpid()

    def stop() -> None:
        if os.getpid() == parent:  # not in gunicorn's forked workers, which inherit this hook
            child.terminate()

    atexit.register(stop)
    return child


class StatusStartError(Exception):
    """The status server could not start (its port taken, its database unreachable)."""


def _wait_listening(child: subprocess.Popen[bytes], bind: str) -> None:
    """Return once the status server accepts connections, so Warroom is healthy only with its page up."""
    host, port = parse_bind(bind)
    host = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise StatusStartError(f"WARROOM_STATUS_BIND: the status server on {bind} exited (see its log above)")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    child.terminate()
    raise StatusStartError(f"WARROOM_STATUS_BIND: the status server on {bind} did not listen within {START_TIMEOUT}s")


def serve_forever(*, database_url: str, bind: str, base_url: str | None, playbook: Path | None) -> None:
    """Run the status server until the process that started it ends."""
    # Yield the CPU to Slack's side when both are busy: an ack has 3 s and a 150 ms budget, a page view has
    # far more headroom (p99 2 ms at 2,000 requests/s), so a flood of readers never slows an ack.
    os.nice(STATUS_NICENESS)
    parent = os.getppid()
    server = start_beside(
        make_engine(database_url), playbook=load_playbook(playbook), clock=SystemClock(), bind=bind, base_url=base_url
    )
    log.info("status page on %s (public URL %s)", server.url, base_url or server.url)
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    server.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve_forever(
        database_url=os.environ[_DATABASE],
        bind=os.environ[_BIND],
        base_url=os.environ.get(_URL) or None,
        playbook=Path(os.environ[_PLAYBOOK]) if os.environ.get(_PLAYBOOK) else None,
    )


def export_site(settings: Settings, directory: Path) -> list[Path]:
    """`warroom status export DIR`: read the database once and write the site."""
    engine = make_engine(settings.database_url)
    try:
        holder = SiteHolder(
            engine,
            playbook=load_playbook(settings.warroom_playbook),
            clock=SystemClock(),
            base_url=settings.status_url or "http://127.0.0.1:8080",
        )
        return export(holder.site, directory)
    finally:
        engine.dispose()
