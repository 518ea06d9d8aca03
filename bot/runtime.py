"""One running Warroom: the Bolt app, its database and its background workers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from sqlalchemy import Engine

from bot.app import create_app
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery.worker import DeliveryWorker
from bot.playbook import Playbook, load_playbook
from bot.slack.client import delivery_client, interactive_client
from bot.store.db import make_engine

log = logging.getLogger(__name__)


@dataclass
class Warroom:
    """The app and the workers that deliver what it owes Slack."""

    app: App
    engine: Engine
    delivery: DeliveryWorker

    def start(self) -> None:
        """Start the background workers."""
        self.delivery.start()

    def stop(self) -> None:
        """Stop the workers and close the database."""
        self.delivery.stop()
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None, playbook: Playbook | None = None) -> Warroom:
    """Assemble Warroom from validated settings (the database must already be upgraded)."""
    clock = clock or SystemClock()
    playbook = playbook or load_playbook(settings.warroom_playbook)
    engine = make_engine(settings.database_url)
    delivery = DeliveryWorker(
        engine=engine,
        client=delivery_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        clock=clock,
    )
    app = create_app(
        settings,
        engine=engine,
        clock=clock,
        slack_client=interactive_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        playbook=playbook,
        on_commit=delivery.wake,
    )
    return Warroom(app=app, engine=engine, delivery=delivery)
