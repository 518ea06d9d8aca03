"""The Bolt app: listeners wired to the incident flows. No globals."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.incidents.flows import Incidents
from bot.incidents.notices import Notices
from bot.listeners import actions, commands, errors, views
from bot.playbook import Playbook
from bot.render.templates import Templates
from bot.slack.people import SlackDirectory


def create_app(
    settings: Settings,
    *,
    engine: Engine,
    clock: Clock,
    slack_client: WebClient,
    playbook: Playbook,
    on_commit: Callable[[], None] = lambda: None,
) -> App:
    """Build the Bolt app around the incident flows."""
    notices = Notices(playbook=playbook, templates=Templates(settings.warroom_templates))
    incidents = Incidents(
        engine=engine,
        clock=clock,
        playbook=playbook,
        notices=notices,
        directory=SlackDirectory(slack_client),
        mirror_channel=settings.warroom_mirror_channel,
        on_commit=on_commit,
    )
    app = App(
        client=slack_client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        logger=logging.getLogger("warroom.bolt"),
    )
    commands.register(app, incidents=incidents, notices=notices, playbook=playbook)
    actions.register(app, incidents=incidents)
    views.register(app, incidents=incidents)
    errors.register(app)
    return app
