"""A running Warroom for tests: the real Bolt app behind a WSGI server, a fake Slack, a movable clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from bot.app import LISTENER_THREADS
from bot.config import Settings
from bot.incidents import keys
from bot.playbook import Playbook, load_playbook
from bot.runtime import Warroom, build
from bot.server import EVENTS_PATH, wsgi_app
from bot.store.models import PENDING, Entry, Incident, OutboxMessage, SlackMessage, TimelineEvent
from tests.support.fake_slack import POLL_SECONDS, FakeSlack
from tests.support.slack_requests import Slack

T = TypeVar("T")
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MIRROR = "CMIRROR01"
WAR_ROOM = "CWARROOM1"
OTHER_ROOM = "COTHER001"
LEAD = "ULEAD0001"
DANA = "UDANA0001"
ERIN = "UERIN0001"
BOTTY = "UBOTTY001"
GONE = "UGONE0001"
START = datetime(2026, 11, 22, 14, 2, tzinfo=UTC)
_FIRST_POLL, _LAST_POLL = 0.005, 0.05  # seconds between Harness.wait_until's polls: first, and at most


class FakeClock:
    """A clock that tests move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


class WallClock(FakeClock):
    """Real time, for the tests of the real scheduler; `advance` still moves it ahead of the wall clock."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self._ahead = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._ahead

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._ahead += timedelta(**delta)
            return datetime.now(UTC) + self._ahead


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class _OutboxMark:
    held: bool
    pending: int
    newest: int | None


@dataclass
class Harness:
    """Everything a test drives and inspects."""

    fake: FakeSlack
    slack: Slack
    warroom: Warroom
    clock: FakeClock
    settings: Settings
    background: bool = True  # False: no delivery worker or ticker thread; the test calls drain() and tick()

    @property
    def engine(self) -> Engine:
        return self.warroom.engine

    def incidents(self) -> list[Incident]:
        with Session(self.engine) as session:
            return list(session.exec(select(Incident).order_by(col(Incident.id))))

    def events(self, kind: str | None = None) -> list[TimelineEvent]:
        with Session(self.engine) as session:
            query = select(TimelineEvent).order_by(col(TimelineEvent.id))
            if kind:
                query = query.where(TimelineEvent.kind == kind)
            return list(session.exec(query))

    def outbox(self) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))

    def command(self, text: str, *, user: str = LEAD, channel: str = WAR_ROOM, response: str = "cmd") -> Any:
        reply = self.slack.command(text, user=user, channel=channel, response=response)
        assert reply.status == 200, reply
        return reply

    def declare(self, text: str = "P1 Checkout API returning 500s", **kwargs: Any) -> Incident:
        """Declare through Slack and wait for the card; returns the stored incident."""
        before = len(self.incidents())
        self.command(f"declare {text}", **kwargs)
        incident = self.wait_until(lambda: next(iter(self.incidents()[before:]), None))
        assert incident.id is not None
        self.wait_until(lambda: self.card_ts(incident.id or 0))
        channel = kwargs.get("channel", WAR_ROOM)
        assert self.fake.received("chat.postMessage", channel=channel, where=lambda c: c.text.startswith("INC-"))
        return incident

    def drain(self, timeout: float = 10.0) -> int:
        """Let the lazy listeners finish, then deliver everything ready now, until nothing is ready or in flight.

        Returns how many outbox rows this call settled. Afterwards, whatever Warroom owed Slack as of the clock's
        now has reached the fake Slack, so a test can assert exactly what was sent.
        """
        deadline = time.monotonic() + timeout
        settled = 0
        while True:
            self._listeners_finished(timeout=max(0.1, deadline - time.monotonic()))
            before = self._outbox_mark()
            delivered = self.warroom.delivery.drain()
            settled += delivered
            # Settled only if nothing was held before or after this drain, and nothing changed meanwhile: the
            # background worker may finish a row (a draft card) just after this drain found its dependant (the
            # card's DM copy, which links to it) not ready yet.
            if delivered == 0 and not before.held and self._outbox_mark() == before:
                return settled
            if time.monotonic() > deadline:
                raise AssertionError(f"the outbox did not settle within {timeout} s")
            if delivered == 0:  # the background worker holds or just finished a row: let it settle
                time.sleep(0.01)

    def tick(self) -> dict[str, int]:
        """Run every tick once (the cadence, the follow-up reminders, pruning), now, in this thread, then deliver
        what they owe. Returns how much each did; a tick that failed fails the test with its own error.

        Every tick runs, due or not, so that a second `tick()` at the same moment proves a reminder is not sent twice.
        """
        self.drain()
        done = self.warroom.ticker.round(every_tick=True)
        for error in done.failed.values():
            raise error
        self.drain()
        return done.done

    def _listeners_finished(self, *, timeout: float) -> None:
        """Return once every lazy listener submitted so far has finished.

        One waiting task per listener thread: when all of them wait together, no thread runs anything older.
        """
        barrier = threading.Barrier(LISTENER_THREADS + 1, timeout=timeout)
        executor = self.warroom.app.listener_runner.listener_executor
        waiting = [executor.submit(barrier.wait) for _ in range(LISTENER_THREADS)]
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            raise AssertionError(f"the lazy listeners were still busy after {timeout:.1f} s") from None
        for future in waiting:
            future.result(timeout=timeout)

    def _outbox_mark(self) -> _OutboxMark:
        """Whether a worker holds an outbox row it is still delivering, how many rows are pending, the newest row."""
        now = self.clock.now()
        with Session(self.engine) as session:
            pending = col(OutboxMessage.state) == PENDING
            held = select(OutboxMessage.id).where(
                pending, col(OutboxMessage.claimed_until).is_not(None), col(OutboxMessage.claimed_until) > now
            )
            return _OutboxMark(
                held=session.exec(held.limit(1)).first() is not None,
                pending=session.exec(select(func.count()).select_from(OutboxMessage).where(pending)).one(),
                newest=session.exec(select(func.max(OutboxMessage.id))).one(),
            )

    def card_ts(self, incident_id: int) -> str | None:
        """Where the incident card landed, once it has."""
        with Session(self.engine) as session:
            landed = session.get(SlackMessage, keys.card(incident_id))
            return landed.ts if landed else None

    def entries(self) -> list[Entry]:
        with Session(self.engine) as session:
            return list(session.exec(select(Entry).order_by(col(Entry.id))))

    def wait_until(self, probe: Callable[[], T | None], timeout: float = 15.0) -> T:
        """Poll `probe` until it returns something truthy (state that a lazy listener or the delivery writes).

        Without background workers, each poll first drains: what delivery would have written by now, it has.
        The polls start 5 ms apart and back off to 50 ms: what comes at once is seen at once, and a longer wait
        does not spend the CPU that the listeners and the delivery it waits for need. The timeout is generous
        (a loaded machine runs slowly); a test whose subject is a latency asserts that latency itself.
        """
        deadline = time.monotonic() + timeout
        pause = _FIRST_POLL
        while True:
            if not self.background:
                self.drain()
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(pause)
            pause = min(pause * 1.5, _LAST_POLL)


def make_settings(*, fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "warroom_mirror_channel": MIRROR,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextmanager
def running(
    database_url: str,
    *,
    playbook: Playbook | None = None,
    templates: Path | None = None,
    fake: FakeSlack | None = None,
    clock: FakeClock | None = None,
    background: bool = True,
) -> Iterator[Harness]:
    """Start Warroom (HTTP, signature checks on) against a fake Slack, and stop what it started afterwards.

    With `background=False` the delivery worker and the ticker are not started: the test drives them with
    `Harness.drain()` and `Harness.tick()`, and so knows that nothing is still on its way when it asserts.
    """
    owns_fake = fake is None
    fake = fake or start_fake_slack()
    settings = make_settings(fake=fake, database_url=database_url, warroom_templates=templates)
    clock = clock or FakeClock()
    warroom = build(settings, clock=clock, playbook=playbook or shipped_playbook())
    if background:
        warroom.start()
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(
            SlackRequestHandler(warroom.app, path=EVENTS_PATH),
            signing_secret=settings.slack_signing_secret,
            gate=warroom.gate,
        ),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True)
    thread.start()
    app_url = f"http://127.0.0.1:{server.server_address[1]}{EVENTS_PATH}"
    try:
        yield Harness(
            fake=fake,
            slack=Slack(app_url=app_url, fake_url=fake.url, secret=SECRET),
            warroom=warroom,
            clock=clock,
            settings=settings,
            background=background,
        )
    finally:
        server.shutdown()
        server.server_close()
        warroom.stop()
        if owns_fake:
            fake.stop()


@cache
def _parsed_playbook() -> Playbook:
    return load_playbook()


def shipped_playbook() -> Playbook:
    """The shipped playbook, read once per test process (its YAML is most of a harness's start); each caller gets a
    copy of its own, so nothing a test does to it reaches the next."""
    return _parsed_playbook().model_copy(deep=True)


def start_fake_slack() -> FakeSlack:
    """A fake Slack that knows the test's people."""
    fake = FakeSlack().start()
    for channel_id, name in ((MIRROR, "support-mirror"), (WAR_ROOM, "incident-room"), (OTHER_ROOM, "other-room")):
        fake.add_channel(channel_id, name)
    for user_id, name in ((LEAD, "Lee Lead"), (DANA, "Dana"), (ERIN, "Erin")):
        fake.add_user(user_id, name)
    fake.add_user(BOTTY, "Deploybot", is_bot=True)
    fake.add_user(GONE, "Gone Person", deleted=True)
    return fake
