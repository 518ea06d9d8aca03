"""One running Warroom: the Bolt app, its database and its background workers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from sqlalchemy import Engine

from bot.app import build_domain, create_app
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery.worker import DeliveryWorker, Hooks
from bot.playbook import Playbook, load_playbook
from bot.scheduler.ticking import Ticker
from bot.slack.client import delivery_client, interactive_client
from bot.slack.people import SlackDirectory
from bot.store.db import make_engine

log = logging.getLogger(__name__)


@dataclass
class Warroom:
    """The app and the workers that deliver what it owes Slack."""

    app: App
    engine: Engine
    delivery: DeliveryWorker
    ticker: Ticker

    def start(self) -> None:
        """Start the background workers."""
        self.delivery.start()
        self.ticker.start()

    def stop(self) -> None:
        """Stop the workers and close the database."""
        self.ticker.stop()
        self.delivery.stop()
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None, playbook: Playbook | None = None) -> Warroom:
    """Assemble Warroom from validated settings (the database must already be upgraded)."""
    clock = clock or SystemClock()
    playbook = playbook or load_playbook(settings.warroom_playbook)
    engine = make_engine(settings.database_url)
    client = interactive_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    workers: list[DeliveryWorker] = []
    domain = build_domain(
        settings,
        engine=engine,
        clock=clock,
        playbook=playbook,
        directory=SlackDirectory(client),
        on_commit=lambda: workers[0].wake(),
    )
    delivery = DeliveryWorker(
        engine=engine,
        client=delivery_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        clock=clock,
        lease=settings.warroom_delivery_lease,
        hooks=Hooks(unreachable=domain.feed.mirror_unreachable, reachable=domain.feed.mirror_reachable),
    )
    workers.append(delivery)
    app = create_app(settings, domain=domain, slack_client=client)
    return Warroom(
        app=app,
        engine=engine,
        delivery=delivery,
        ticker=Ticker(lambda: domain.cadence.tick() + domain.followups.tick()),
    )
