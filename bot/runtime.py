"""One running Warroom: the Bolt app, its database and its background workers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from slack_bolt import App
from sqlalchemy import Engine

from bot.app import AckGate, create_app
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery.worker import DeliveryWorker, Hooks
from bot.domain import Domain, build_domain
from bot.incidents.flows import FlowDeps, OutboxNotifier
from bot.incidents.notices import Notices
from bot.incidents.people import CachedDirectory
from bot.playbook import Playbook, load_playbook
from bot.publish.webhook_events import WebhookRelay
from bot.publish.webhook_sending import endpoints
from bot.publish.webhooks import WebhookWorker
from bot.render.templates import Templates
from bot.scheduler.pruning import OutboxPruner
from bot.scheduler.ticking import Tick, Ticker
from bot.slack.channels import SlackChannels
from bot.slack.client import delivery_client, interactive_client
from bot.slack.people import SlackDirectory
from bot.store.db import make_engine

log = logging.getLogger(__name__)
FOLLOW_UPS_EVERY = timedelta(minutes=1)  # the follow-up reminders are hours apart; a minute late is on time
PRUNE_EVERY = timedelta(minutes=10)


@dataclass
class Warroom:
    """The app and the workers that deliver what it owes Slack."""

    app: App
    engine: Engine
    delivery: DeliveryWorker
    ticker: Ticker
    webhooks: WebhookWorker  # its own threads: a dead endpoint never delays Slack
    relay: WebhookRelay
    gate: AckGate  # the HTTP server holds it around each request: lazy work waits while acks are written

    def start(self) -> None:
        """Start the background workers."""
        self.delivery.start()
        self.webhooks.start()
        self.ticker.start()

    def stop(self) -> None:
        """Let the lazy listeners still running finish (their outbox rows are written), then stop the workers."""
        self.app.listener_runner.listener_executor.shutdown(wait=True)
        self.ticker.stop()
        self.webhooks.stop()
        self.delivery.stop()
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None, playbook: Playbook | None = None) -> Warroom:
    """Assemble Warroom from validated settings (the database must already be upgraded)."""
    clock = clock or SystemClock()
    playbook = playbook or load_playbook(settings.warroom_playbook)
    engine = make_engine(settings.database_url)
    client = interactive_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    outbox = OutboxNotifier()  # made before both: the flows ring it, the delivery worker answers
    deps = FlowDeps(
        engine=engine,
        clock=clock,
        playbook=playbook,
        notices=Notices(playbook=playbook, templates=Templates(settings.warroom_templates)),
        mirror_channel=settings.warroom_mirror_channel,
        outbox=outbox,
    )
    domain = build_domain(
        deps, directory=CachedDirectory(SlackDirectory(client), clock=clock), channels=SlackChannels(client)
    )
    delivery = DeliveryWorker(
        engine=engine,
        client=delivery_client(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            timeout=int(settings.warroom_slack_timeout.total_seconds()),
        ),
        clock=clock,
        lease=settings.warroom_delivery_lease,
        hooks=Hooks(
            unreachable=domain.feed.mirror_unreachable,
            reachable=domain.feed.mirror_reachable,
            given_up=domain.lifecycle.war_room_unreachable,
        ),
        wait_for=frozenset({settings.warroom_mirror_channel}),
    )
    outbox.listen(delivery.wake)
    pruner = OutboxPruner(engine=engine, clock=clock, retention=settings.warroom_outbox_retention)
    webhooks = WebhookWorker(
        engine=engine,
        clock=clock,
        endpoints=endpoints(playbook.webhooks),
        timeout=settings.warroom_webhook_timeout,
        retention=settings.warroom_outbox_retention,
    )
    relay = WebhookRelay(
        engine=engine, clock=clock, playbook=playbook, status_url=settings.status_url, relayed=webhooks.wake
    )
    relay.enroll()  # an endpoint new to the database starts at the newest timeline event
    gate = AckGate()
    return Warroom(
        app=create_app(settings, domain=domain, slack_client=client, gate=gate),
        engine=engine,
        delivery=delivery,
        ticker=Ticker(ticks(domain, pruner=pruner, relay=relay, webhooks=webhooks), clock=clock),
        webhooks=webhooks,
        relay=relay,
        gate=gate,
    )


def ticks(
    domain: Domain, *, pruner: OutboxPruner, relay: WebhookRelay | None = None, webhooks: WebhookWorker | None = None
) -> list[Tick]:
    """The periodic work, each tick run on its own: one failing never skips another."""
    reminders = domain.reminders
    return [
        Tick("cadence reminders", domain.cadence.tick),
        Tick("customer email reminders", reminders.remind_email, every=FOLLOW_UPS_EVERY),
        Tick("postmortem reminders", reminders.remind_postmortem, every=FOLLOW_UPS_EVERY),
        Tick("audit settling", reminders.settle_audits, every=FOLLOW_UPS_EVERY),
        Tick("outbox pruning", pruner.run, every=PRUNE_EVERY),
        *([Tick("webhook relay", relay.relay_now)] if relay is not None else []),
        *([Tick("webhook pruning", webhooks.prune, every=PRUNE_EVERY)] if webhooks is not None else []),
    ]
