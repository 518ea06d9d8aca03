"""The Bolt app: listeners wired to the domain's flows.

Everything the app uses is passed in (settings, domain, client): it keeps no module state, so two apps in one
process (the tests run many) share nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.domain import Domain
from bot.listeners import actions, commands, errors, followups, intake, views

LISTENER_THREADS = 32
ACK_FIRST_WAIT = 0.25  # seconds lazy work waits at most for the acks in progress, so work is never starved
T = TypeVar("T")


class AckGate:
    """Acks first: lazy work in this process waits while requests are being acked (up to ACK_FIRST_WAIT).

    In a burst, 50 requests arrive at once; without the gate, the lazy work of the first ones (database writes,
    Slack calls) competes for the interpreter with the acks of the last ones, which Slack waits at most 3 s for.
    """

    def __init__(self, *, max_wait: float = ACK_FIRST_WAIT) -> None:
        self._acking = 0
        self._max_wait = max_wait
        self._quiet = threading.Condition()

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around one request's handling, until its ack is written."""
        with self._quiet:
            self._acking += 1
        try:
            yield
        finally:
            with self._quiet:
                self._acking -= 1
                if not self._acking:
                    self._quiet.notify_all()

    def wait_turn(self) -> None:
        """Wait until no ack is in progress (or the longest wait passed)."""
        with self._quiet:
            self._quiet.wait_for(lambda: not self._acking, timeout=self._max_wait)


class AckFirstExecutor(ThreadPoolExecutor):
    """Bolt's lazy-listener executor: each job waits its turn at the gate before it runs."""

    def __init__(self, gate: AckGate, *, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._gate = gate

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def after_the_acks() -> T:
            self._gate.wait_turn()
            return fn(*args, **kwargs)

        return super().submit(after_the_acks)


def create_app(settings: Settings, *, domain: Domain, slack_client: WebClient, gate: AckGate | None = None) -> App:
    """Build the Bolt app around the flows.

    Every listener acks on the request's own thread and does its work lazily on Bolt's executor, so an ack
    never waits for a free worker thread (bench/ack_burst.py). Bolt's default of 5 threads is raised to 32.
    """
    app = App(
        name="warroom",  # without a name, Bolt reads the source of every frame on the stack to make one up
        listener_executor=AckFirstExecutor(
            gate or AckGate(), max_workers=LISTENER_THREADS, thread_name_prefix="warroom-listener"
        ),
        client=slack_client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        process_before_response=True,  # acks run on the request thread; the work runs in lazy listeners
        logger=logging.getLogger("warroom.bolt"),
    )
    intake.register(app)
    commands.register(app, domain=domain)
    actions.register(app, domain=domain)
    views.register(app, domain=domain)
    followups.register(app, domain=domain)
    errors.register(app)
    return app
