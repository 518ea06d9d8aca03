"""`warroom sandbox`: the real Warroom against a built-in Slack stand-in, with a page to try it in a browser.

The same Bolt app, flows, database code, outbox, delivery worker and scheduler run as in production. The
stand-in sends them signed requests over loopback and answers their Web API calls; nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlmodel import Session, func, select

from bot.clock import ScaledClock
from bot.config import Settings
from bot.playbook import Playbook, load_playbook
from bot.playbook_public import StatusPage
from bot.publish.serve import start_beside
from bot.runtime import Warroom, build
from bot.sandbox import cast
from bot.sandbox.door import BotDoor
from bot.sandbox.panes import Panes
from bot.sandbox.site import Site, page_html
from bot.sandbox.web_api import WebApi
from bot.sandbox.workspace import MIRROR, WAR_ROOM, Workspace
from bot.server import EVENTS_PATH, wsgi_app
from bot.store.db import make_engine, upgrade
from bot.store.models import TimelineEvent

log = logging.getLogger(__name__)
HOST = "127.0.0.1"
SERVE_POLL_SECONDS = 0.05  # how often a stopping server notices; serve_forever's default 0.5 s slows every stop


class SandboxError(Exception):
    """The sandbox cannot start; str() says why and what to do."""


@dataclass(frozen=True)
class Options:
    """`warroom sandbox`'s options."""

    port: int = 3000
    speed: float = 1.0
    db: Path = Path("warroom-sandbox.db")
    host: str = HOST


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # the page polls all the time; its requests are not news
        pass


@dataclass
class Sandbox:
    """A running sandbox: its URL, its workspace and the Warroom behind it."""

    url: str
    workspace: Workspace
    warroom: Warroom
    clock: ScaledClock
    db: Path
    door: BotDoor  # the bot's events URL and the Web API stand-in (`door.api`), for tests
    status_url: str = ""  # the public status page, on a loopback port of its own


SANDBOX_COMPONENTS = ["API", "Dashboard", "Checkout", "Notifications"]


def sandbox_playbook(playbook: Playbook, *, own: bool) -> Playbook:
    """The playbook the sandbox runs: the team's own (WARROOM_PLAYBOOK) as it is; otherwise the shipped one with
    a few customer-facing components and a name, so the forms and the status page show them."""
    if own or playbook.components:
        return playbook
    return playbook.model_copy(
        update={"components": list(SANDBOX_COMPONENTS), "status_page": StatusPage(title="Acme Cloud (sandbox)")}
    )


def refuse_real_workspace() -> None:
    """Never touch a real workspace by mistake: a bot token in the environment means someone meant one."""
    if os.environ.get("SLACK_BOT_TOKEN"):
        raise SandboxError(
            "SLACK_BOT_TOKEN is set in this shell, so this looks like a real workspace's environment. The sandbox "
            "never talks to Slack; unset it first (env -u SLACK_BOT_TOKEN warroom sandbox)."
        )


@contextmanager
def running(options: Options) -> Iterator[Sandbox]:
    """Start the sandbox (database, Warroom, the bot's loopback endpoint, the page), and stop it all after."""
    refuse_real_workspace()
    page_server = _bind(options)
    port = page_server.server_address[1]
    url = f"http://{options.host}:{port}"
    secret = secrets.token_hex(16)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own keyword: no .env is read
        slack_bot_token=f"xoxb-sandbox-{secrets.token_hex(8)}",
        slack_signing_secret=secret,
        slack_app_token=None,
        slack_api_url=f"{url}/api/",
        database_url=f"sqlite:///{options.db.resolve()}",
        warroom_mirror_channel=MIRROR,
    )
    upgrade(settings.database_url)
    clock = ScaledClock(options.speed, start=_resume_at(settings.database_url))
    playbook = sandbox_playbook(load_playbook(settings.warroom_playbook), own=settings.warroom_playbook is not None)
    workspace = cast.workspace(clock)
    api = WebApi(workspace, token=settings.slack_bot_token, url=url)
    bot_server = make_server(HOST, 0, _placeholder, server_class=_Server, handler_class=_Quiet)
    events_url = f"http://{HOST}:{bot_server.server_address[1]}{EVENTS_PATH}"
    door = BotDoor(workspace, api, events_url=events_url, secret=secret, public_url=url)
    people = [{"id": p.id, "name": p.name, "role": p.role, "home": cast.HOME[p.id]} for p in cast.PEOPLE]
    progress_engine = make_engine(settings.database_url)
    # The public status page, as customers would see it: its own loopback port, reading the same database.
    status = start_beside(progress_engine, playbook=playbook, clock=clock, bind=f"{HOST}:0")

    def time_now() -> str:
        return clock.now().astimezone(playbook.zone).strftime("%H:%M %Z")

    def page() -> str:
        return page_html(
            people=people,
            guide=cast.GUIDE,
            speed=options.speed,
            now=time_now(),
            default_channel=WAR_ROOM,
            status_url=status.url,
        )

    def extras() -> dict[str, Any]:
        return {"clock": time_now(), "progress": cast.progress(progress_engine, workspace)}

    keeper = Keeper(workspace, path=options.db.with_name(options.db.name + ".slack.json"))
    keeper.load()
    panes = Panes(workspace, zone=playbook.zone)
    page_server.set_app(Site(api=api, door=door, panes=panes, page=page, extras=extras))
    _serve(page_server)  # first: Bolt's App() asks the stand-in's auth.test as it is built
    warroom = build(settings, clock=clock, playbook=playbook)
    bot_server.set_app(_bot_app(warroom, secret))
    _serve(bot_server)
    warroom.start()
    keeper.start()
    try:
        yield Sandbox(
            url=f"{url}/",
            workspace=workspace,
            warroom=warroom,
            clock=clock,
            db=options.db,
            door=door,
            status_url=f"{status.url}/",
        )
    finally:
        warroom.stop()  # first: its lazy listeners and worker still call the Web API stand-in behind the page server
        page_server.shutdown()
        bot_server.shutdown()
        page_server.server_close()
        bot_server.server_close()
        status.stop()
        progress_engine.dispose()


class Keeper:
    """Keeps what the stand-in's Slack holds in a JSON file beside the database, so a restart shows it again."""

    def __init__(self, workspace: Workspace, *, path: Path) -> None:
        self.workspace = workspace
        self.path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-keeper", daemon=True)

    def load(self) -> None:
        if self.path.exists():
            try:
                self.workspace.restore(json.loads(self.path.read_text(encoding="utf-8")))
            except (ValueError, OSError) as error:
                log.warning("could not read %s (%s); the workspace starts empty", self.path, error)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.save()

    def save(self) -> None:
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(self.workspace.snapshot(), encoding="utf-8")
        partial.replace(self.path)  # atomic: a crash mid-write never leaves half a file

    def _run(self) -> None:
        saved = self.workspace.version
        while not self._stop.is_set():
            now = self.workspace.wait(saved, timeout=0.5)
            if now != saved:
                self.save()
                saved = now


def _serve(server: _Server) -> None:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SERVE_POLL_SECONDS}, daemon=True).start()


def _bind(options: Options) -> _Server:
    """The page's server, bound before anything else starts, so a taken port fails at once and clearly."""
    try:
        return make_server(options.host, options.port, _placeholder, server_class=_Server, handler_class=_Quiet)
    except OSError as error:
        hint = f"another program uses port {options.port}: pick another with --port" if _taken(error) else str(error)
        raise SandboxError(f"cannot listen on {options.host}:{options.port}: {hint}") from None


def _taken(error: OSError) -> bool:
    return error.errno in (98, 48, 10048)  # EADDRINUSE on Linux, macOS, Windows


def _placeholder(_environ: Any, start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting\n"]


def _bot_app(warroom: Warroom, secret: str) -> Any:
    """Warroom's own HTTP endpoint, exactly as in production: signature checked, then Bolt."""
    return wsgi_app(SlackRequestHandler(warroom.app, path=EVENTS_PATH), signing_secret=secret, gate=warroom.gate)


def _resume_at(database_url: str) -> datetime:
    """Where the sandbox's clock starts: now, or after the last thing recorded if a faster run got ahead."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            latest = session.exec(select(func.max(TimelineEvent.at))).one()
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    return max(now, latest) if latest is not None else now


def free_port() -> int:
    """A free loopback port (for tests and `--port 0`)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
