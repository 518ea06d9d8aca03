"""The Bolt app: listeners wired to the incident and update-feed flows. No globals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.app_types import Domain
from bot.clock import Clock
from bot.config import Settings
from bot.incidents.cadence import Cadence
from bot.incidents.channels import ChannelAccess
from bot.incidents.feed import Feed
from bot.incidents.flows import Incidents
from bot.incidents.followups import FollowUps
from bot.incidents.notices import Notices
from bot.incidents.people import Directory
from bot.listeners import actions, commands, errors, followups, intake, views
from bot.playbook import Playbook
from bot.render.templates import Templates


def build_domain(
    settings: Settings,
    *,
    engine: Engine,
    clock: Clock,
    playbook: Playbook,
    directory: Directory,
    channels: ChannelAccess,
    on_commit: Callable[[], None] = lambda: None,
) -> Domain:
    """The incident and update-feed flows over one database."""
    notices = Notices(playbook=playbook, templates=Templates(settings.warroom_templates))
    shared = {
        "engine": engine,
        "clock": clock,
        "playbook": playbook,
        "notices": notices,
        "mirror_channel": settings.warroom_mirror_channel,
        "on_commit": on_commit,
    }
    followups = FollowUps(directory=directory, **shared)
    return Domain(
        incidents=Incidents(directory=directory, channels=channels, **shared),
        feed=Feed(
            on_resolved=followups.after_resolution,
            sender_for=followups.sender_for,
            on_corrected=followups.after_correction,
            **shared,
        ),
        cadence=Cadence(**shared),  # type: ignore[arg-type]
        followups=followups,
        notices=notices,
        playbook=playbook,
    )


LISTENER_THREADS = 32


def create_app(settings: Settings, *, domain: Domain, slack_client: WebClient) -> App:
    """Build the Bolt app around the flows.

    Every listener acks on the request's own thread and does its work lazily on Bolt's executor, so an ack
    never waits for a free worker thread (bench/ack_burst.py). Bolt's default of 5 threads is raised to 32.
    """
    app = App(
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
