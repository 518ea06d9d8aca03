"""The follow-up checklist's buttons, and its two one-field forms: the postmortem link and the prevention sentence."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.domain import Domain
from bot.incidents.audit import NOT_OWED, OFFERED
from bot.incidents.customer_email import prevention_problem
from bot.incidents.followups import link_problem
from bot.listeners.errors import ack_at_once, answering
from bot.listeners.payload import actor, button_id
from bot.render.followups import postmortem_modal, prevention_modal
from bot.vocabulary import PREVENTION_LIMIT


def register(app: App, *, domain: Domain) -> None:
    """Attach the follow-ups' buttons and modal."""
    followups = domain.followups

    def email_sent(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            _, note = followups.mark_email_sent(incident_id=button_id(body), by=actor(body))
            if note:  # warned, never blocked: the person who sent it learns what customers may ask about
                respond(text=note, response_type="ephemeral", replace_original=False)

    def credits_offered(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            followups.decide_credits(incident_id=button_id(body), by=actor(body), decision=OFFERED)

    def credits_not_owed(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            followups.decide_credits(incident_id=button_id(body), by=actor(body), decision=NOT_OWED)

    def postmortem_clicked(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            incident = followups.postmortem_opened(incident_id=button_id(body), by=actor(body))
            assert incident.id is not None
            view = postmortem_modal(incident_id=incident.id, ref=incident.ref)
            client.views_open(trigger_id=body["trigger_id"], view=view)

    def prevention_clicked(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(body, respond=respond, client=client):
            incident = followups.prevention_opened(incident_id=button_id(body), by=actor(body))
            assert incident.id is not None
            view = prevention_modal(
                incident_id=incident.id, ref=incident.ref, current=incident.email_prevention, limit=PREVENTION_LIMIT
            )
            client.views_open(trigger_id=body["trigger_id"], view=view)

    app.action(ids.EMAIL_SENT_ACTION)(ack=ack_at_once, lazy=[email_sent])
    app.action(ids.PREVENTION_ACTION)(ack=ack_at_once, lazy=[prevention_clicked])
    _one_field_form(
        app, view_id=ids.PREVENTION_VIEW, block=ids.PREVENTION_BLOCK, read=_prevention, problem=prevention_problem,
        save=lambda incident_id, by, sentence: followups.write_prevention(
            incident_id=incident_id, by=by, sentence=sentence
        ),
    )  # fmt: skip
    app.action(ids.CREDITS_OFFERED_ACTION)(ack=ack_at_once, lazy=[credits_offered])
    app.action(ids.CREDITS_NOT_OWED_ACTION)(ack=ack_at_once, lazy=[credits_not_owed])
    app.action(ids.POSTMORTEM_ACTION)(ack=ack_at_once, lazy=[postmortem_clicked])
    _one_field_form(
        app, view_id=ids.POSTMORTEM_VIEW, block=ids.URL_BLOCK, read=_url, problem=link_problem,
        save=lambda incident_id, by, url: followups.add_postmortem(incident_id=incident_id, by=by, url=url),
    )  # fmt: skip


def _one_field_form(
    app: App,
    *,
    view_id: str,
    block: str,
    read: Callable[[dict[str, Any]], str],
    problem: Callable[[str], str | None],
    save: Callable[[int, str, str], object],
) -> None:
    """A one-field follow-up form: the ack shows a mistake on the field; the work saves the value."""

    def checked(ack: Ack, view: dict[str, Any]) -> None:
        mistake = problem(read(view))
        if mistake:
            ack(response_action="errors", errors={block: mistake})
        else:
            ack()

    def submitted(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        value = read(view)
        if problem(value):
            return  # the form showed the mistake and stayed open
        incident_id = int(json.loads(view["private_metadata"])["incident"])
        with answering(body, respond=None, client=client):
            save(incident_id, body["user"]["id"], value)

    app.view(view_id)(ack=checked, lazy=[submitted])


def _prevention(view: dict[str, Any]) -> str:
    values = view["state"]["values"].get(ids.PREVENTION_BLOCK, {}).get(ids.PREVENTION_INPUT, {})
    return str(values.get("value") or "").strip()


def _url(view: dict[str, Any]) -> str:
    return str(view["state"]["values"].get(ids.URL_BLOCK, {}).get(ids.URL_ACTION, {}).get("value") or "").strip()
