"""Modal submissions. A mistake in a field is shown beside it, in the open modal, by the ack itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.domain import Domain
from bot.incidents import components
from bot.incidents.errors import UserError
from bot.incidents.mirror import check_impact
from bot.listeners.errors import answering
from bot.listeners.intake import MalformedRequest
from bot.render.text import is_user_id
from bot.vocabulary import REASON_LIMIT


@dataclass(frozen=True)
class _Declaration:
    channel_id: str
    severity: str
    title: str
    communicator: str | None
    impact: str
    drill: bool
    components: dict[str, str]
    internal: bool


def register(app: App, *, domain: Domain) -> None:
    """Attach the modal handlers: each acks on the request thread (with field errors) and works lazily."""
    incidents, feed = domain.lifecycle, domain.feed

    def declaration_errors(view: dict[str, Any]) -> dict[str, str]:
        """The form's mistakes, shown beside their fields: cheap checks only, never a call to Slack.

        The fields' shapes and lengths, the severity, and an incident already open in the channel (one indexed
        read). Who the communicator is, and whether Warroom may post in the channel, is asked of Slack once, by
        the declaration itself in the lazy work; a problem there is answered by an ephemeral message.
        """
        form = _declaration(view)
        try:
            incidents.check_declaration(
                channel_id=form.channel_id, severity=form.severity, title=form.title, drill=form.drill
            )
            if form.communicator and not is_user_id(form.communicator):
                raise UserError("Pick the communicator from the list of people.", field=ids.COMMUNICATOR_BLOCK)
            if form.impact.strip():
                check_impact(form.impact, field=ids.IMPACT_BLOCK)
            components.check(domain.playbook, form.components, in_form=True)
        except UserError as error:  # shown as plain text beside the field: no mrkdwn escapes
            return {error.field or ids.TITLE_BLOCK: error.message}
        return {}

    def declare_ack(ack: Ack, view: dict[str, Any]) -> None:
        _ack(ack, declaration_errors(view))

    def declare_work(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        if declaration_errors(view):
            return  # the ack showed the mistake beside its field and the modal stayed open
        form = _declaration(view)
        with answering(body, respond=None, client=client):
            incidents.declare(
                channel_id=form.channel_id,
                lead_id=body["user"]["id"],
                severity=form.severity,
                title=form.title,
                communicator_id=form.communicator,
                impact=form.impact,
                drill=form.drill,
                components=form.components,
                internal=form.internal,
            )

    def update_ack(ack: Ack, view: dict[str, Any]) -> None:
        errors = _text_errors(view, "Write the update: 2–3 factual sentences.")
        marks = _marks(view["state"]["values"])
        try:
            components.check(domain.playbook, marks, in_form=True)
        except UserError as error:
            errors = {error.field or ids.TEXT_BLOCK: error.message, **errors}
        _ack(ack, errors)

    def update_work(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        text = _text(values, ids.TEXT_BLOCK, ids.TEXT_ACTION)
        if not text.strip():
            return
        phase = (values.get(ids.PHASE_BLOCK, {}).get(ids.PHASE_ACTION, {}).get("selected_option") or {}).get("value")
        channel_id = json.loads(view["private_metadata"])["channel"]
        with answering({**body, "channel_id": channel_id}, respond=None, client=client):
            feed.draft(channel_id=channel_id, by=body["user"]["id"], text=text, phase=phase, marks=_marks(values))

    def revise_ack(ack: Ack, view: dict[str, Any]) -> None:
        _ack(ack, _text_errors(view, "The update can't be empty."))

    def reviser(revise: Callable[..., Any]) -> Callable[[dict[str, Any], dict[str, Any], WebClient], None]:
        def work(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
            values = view["state"]["values"]
            text = _text(values, ids.TEXT_BLOCK, ids.TEXT_ACTION)
            if not text.strip():
                return
            cause = values.get(ids.CAUSE_BLOCK, {}).get(ids.CAUSE_ACTION, {}).get("value")
            entry_id = int(json.loads(view["private_metadata"])["entry"])
            with answering(body, respond=None, client=client):
                revise(entry_id=entry_id, by=body["user"]["id"], text=text, cause=cause)

        return work

    def reject_ack(ack: Ack, view: dict[str, Any]) -> None:
        reason = _text(view["state"]["values"], ids.REASON_BLOCK, ids.REASON_ACTION)
        too_long = len(" ".join(reason.split())) > REASON_LIMIT
        _ack(ack, {ids.REASON_BLOCK: f"Keep the reason to {REASON_LIMIT} characters."} if too_long else {})

    def reject_work(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        reason = _text(view["state"]["values"], ids.REASON_BLOCK, ids.REASON_ACTION)
        if len(" ".join(reason.split())) > REASON_LIMIT:
            return  # the ack showed the mistake beside the field and the modal stayed open
        metadata = json.loads(view["private_metadata"])
        channel = {"channel_id": metadata["channel"]} if isinstance(metadata.get("channel"), str) else {}
        with answering({**body, **channel}, respond=None, client=client):
            feed.reject(entry_id=int(metadata["entry"]), by=body["user"]["id"], reason=reason)

    app.view(ids.DECLARE_VIEW)(ack=declare_ack, lazy=[declare_work])
    app.view(ids.REJECT_VIEW)(ack=reject_ack, lazy=[reject_work])
    app.view(ids.UPDATE_VIEW)(ack=update_ack, lazy=[update_work])
    app.view(ids.EDIT_VIEW)(ack=revise_ack, lazy=[reviser(feed.edit)])
    app.view(ids.CORRECT_VIEW)(ack=revise_ack, lazy=[reviser(feed.correct)])


def _ack(ack: Ack, errors: dict[str, str]) -> None:
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def _declaration(view: dict[str, Any]) -> _Declaration:
    values = view["state"]["values"]
    if ids.SEVERITY_BLOCK not in values or ids.TITLE_BLOCK not in values:  # Slack always sends every input block
        raise MalformedRequest("a declare submission without the severity and title fields")
    option = values[ids.SEVERITY_BLOCK].get(ids.SEVERITY_ACTION, {}).get("selected_option") or {}
    communicator = values.get(ids.COMMUNICATOR_BLOCK, {}).get(ids.COMMUNICATOR_ACTION, {}).get("selected_user")
    channel_id, drill = _declared_where(str(view.get("private_metadata") or ""))
    ticked = values.get(ids.INTERNAL_BLOCK, {}).get(ids.INTERNAL_ACTION, {}).get("selected_options") or []
    return _Declaration(
        components=_marks(values),
        internal=not drill and any(option.get("value") == ids.INTERNAL_VALUE for option in ticked),
        channel_id=channel_id,
        drill=drill,
        severity=str(option.get("value") or ""),
        title=_text(values, ids.TITLE_BLOCK, ids.TITLE_ACTION),
        communicator=communicator,
        impact=_text(values, ids.IMPACT_BLOCK, ids.IMPACT_ACTION),
    )


def _declared_where(metadata: str) -> tuple[str, bool]:
    """The modal's channel, and whether it declares a drill: a drill's metadata is JSON, a declaration's the channel."""
    if not metadata.startswith("{"):
        return metadata, False
    try:
        parsed = json.loads(metadata)
    except ValueError as error:
        raise MalformedRequest("a declare submission whose private_metadata is not JSON") from error
    if not isinstance(parsed, dict) or not isinstance(parsed.get("channel"), str):
        raise MalformedRequest("a declare submission whose private_metadata names no channel")
    return parsed["channel"], parsed.get("drill") is True


def _marks(values: dict[str, Any]) -> dict[str, str]:
    """The component selects' answers, {name: status}; a select left empty marks nothing."""
    marks = {}
    for block_id, block in values.items():
        option = block.get(ids.COMPONENT_ACTION, {}).get("selected_option") if isinstance(block, dict) else None
        if block_id.startswith(ids.COMPONENT_BLOCK_PREFIX) and option:
            marks[block_id.removeprefix(ids.COMPONENT_BLOCK_PREFIX)] = str(option["value"])
    return marks


def _text_errors(view: dict[str, Any], message: str) -> dict[str, str]:
    return {} if _text(view["state"]["values"], ids.TEXT_BLOCK, ids.TEXT_ACTION).strip() else {ids.TEXT_BLOCK: message}


def _text(values: dict[str, Any], block: str, action: str) -> str:
    return str(values.get(block, {}).get(action, {}).get("value") or "")
