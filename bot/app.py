"""The Bolt app: listeners wired to the domain's flows.

Everything the app uses is passed in (settings, domain, client): it keeps no module state, so two apps in one
process (the tests run many) share nothing.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.domain import Domain
from bot.listeners import actions, commands, errors, followups, intake, views

LISTENER_THREADS = 32


def create_app(settings: Settings, *, domain: Domain, slack_client: WebClient) -> App:
    """Build the Bolt app around the flows.

    Every listener acks on the request's own thread and does its work lazily on Bolt's executor, so an ack
    never waits for a free worker thread (bench/ack_burst.py). Bolt's default of 5 threads is raised to 32.
    """
    app = App(
        name="warroom",  # without a name, Bolt reads the source of every frame on the stack to make one up
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="warroom-listener"),
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
