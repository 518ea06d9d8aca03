"""Buttons and pickers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.domain import Domain
from bot.listeners.errors import ack_at_once, answering
from bot.listeners.payload import actor, button_id
from bot.render.entries import edit_modal, reject_modal, update_modal
from bot.render.text import clock_time, escape, mention
from bot.store.models import Entry
from bot.vocabulary import REASON_LIMIT


def register(app: App, *, domain: Domain) -> None:
    """Attach the interactive components."""
    feed, zone = domain.feed, domain.playbook.zone

    def nominate_picked(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            action = body["actions"][0]
            incident_id = int(action["block_id"].removeprefix(ids.NOMINATE_BLOCK_PREFIX))
            result = domain.lifecycle.nominate(
                by=actor(body), nominee_id=action["selected_user"], incident_id=incident_id
            )
            text = f"You named {mention(result.communicator.id)} as the communicator for {result.incident.ref}."
            if result.self_nominated:
                text += " You named yourself: that works, but it is not advised. Hand over when someone is free."
            respond(text=text, response_type="ephemeral", replace_original=True)

    def approve_clicked(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            entry = feed.approve(entry_id=button_id(body), by=actor(body))
            after = (
                f" Next update due by {clock_time(entry.next_update_due_at, zone)}."
                if entry.next_update_due_at
                else " The follow-ups (customer email, credits, postmortem) are in the thread under the incident card."
            )
            if entry.next_update_due_at and not feed.has_impact(entry.incident_id):
                after += (
                    " There is no public impact line yet, so the support team can't say what is affected: "
                    "`/incident impact &lt;what customers can't do&gt;` in the war room sets it."
                )
            respond(
                text=f"Approved: it goes to the war room and the support team's mirror now.{after}",
                response_type="ephemeral",
                replace_original=False,
            )

    def reject_clicked(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):  # one indexed read, then the modal: the trigger is 3 s
            entry, incident = feed.rejectable(entry_id=button_id(body), by=actor(body))
            assert entry.id is not None
            view = reject_modal(
                entry_id=entry.id,
                ref=incident.ref,
                text=escape(entry.text),
                channel_id=str((body.get("channel") or {}).get("id") or ""),
                reason_limit=REASON_LIMIT,
            )
            client.views_open(trigger_id=body["trigger_id"], view=view)

    def reviser(
        opened: Callable[..., Entry], *, correcting: bool
    ) -> Callable[[dict[str, Any], Respond, WebClient], None]:
        def open_modal(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
            with answering(body, respond=respond, client=client):
                entry = opened(entry_id=button_id(body), by=actor(body))
                assert entry.id is not None
                view = edit_modal(entry_id=entry.id, text=entry.text, cause=entry.cause, correcting=correcting)
                client.views_open(trigger_id=body["trigger_id"], view=view)

        return open_modal

    edit_clicked = reviser(feed.editable, correcting=False)
    correct_clicked = reviser(feed.correctable, correcting=True)

    def draft_from_reminder(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            view = update_modal(feed.update_form(incident_id=button_id(body)))
            client.views_open(trigger_id=body["trigger_id"], view=view)

    def no_news(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            feed.draft_no_news(incident_id=button_id(body), by=actor(body))
            respond(
                text="Drafted “no new information”. It still needs the communicator's approval.",
                response_type="ephemeral",
                replace_original=False,
            )

    app.action(ids.REMINDER_DRAFT_ACTION)(ack=ack_at_once, lazy=[draft_from_reminder])
    app.action(ids.NO_NEWS_ACTION)(ack=ack_at_once, lazy=[no_news])
    app.action(ids.NOMINATE_ACTION)(ack=ack_at_once, lazy=[nominate_picked])
    app.action(ids.APPROVE_ACTION)(ack=ack_at_once, lazy=[approve_clicked])
    app.action(ids.REJECT_ACTION)(ack=ack_at_once, lazy=[reject_clicked])
    app.action(ids.EDIT_ACTION)(ack=ack_at_once, lazy=[edit_clicked])
    app.action(ids.CORRECT_ACTION)(ack=ack_at_once, lazy=[correct_clicked])
