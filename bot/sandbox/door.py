"""Slack's side of the door: what a person does in the page, sent to the bot as Slack sends it, and its answers.

Slash commands go form-encoded, clicks and modal submissions as the form field `payload=`, each signed with the
signing secret and timestamp like Slack's, to the bot's /slack/events over loopback. The ack's body (an ephemeral
answer, a modal's `response_action`) and later posts to the `response_url` land in the workspace as Slack shows
them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.sandbox.web_api import WebApi
from bot.sandbox.workspace import BOT, TEAM, Workspace

log = logging.getLogger(__name__)
APP_ID = "AWARROOM1"


@dataclass(frozen=True)
class Source:
    """Where a response_url answers: the person, the conversation, and the message it came from, if any."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral_id: str | None = None


@dataclass(frozen=True)
class Picked:
    """A click or a pick in a message or a modal: the element's `data-act` and what was chosen."""

    act: dict[str, Any]
    value: str | None = None
    label: str | None = None


class BotDoor:
    """Sends people's actions to the bot as signed Slack requests and shows its answers in the workspace."""

    def __init__(self, workspace: Workspace, api: WebApi, *, events_url: str, secret: str, public_url: str) -> None:
        self.workspace = workspace
        self.api = api
        self.events_url = events_url
        self.secret = secret
        self._signer = SignatureVerifier(secret)  # Slack's own v0 signature, as the bot checks it
        self.public_url = public_url.rstrip("/")
        self._sources: dict[str, Source] = {}
        self._lock = threading.Lock()

    # -- what a person does ------------------------------------------------------------------------------

    def command(self, *, user: str, channel: str, text: str) -> None:
        """`/incident <text>` typed by `user` in `channel`."""
        conversation = self.workspace.conversations[channel]
        body = urlencode(
            {
                "token": "sandbox",
                "team_id": TEAM,
                "team_domain": "sandbox",
                "channel_id": channel,
                "channel_name": "directmessage" if conversation.is_im else conversation.name,
                "user_id": user,
                "user_name": self.workspace.people[user].profile()["name"],
                "command": "/incident",
                "text": text,
                "api_app_id": APP_ID,
                "is_enterprise_install": "false",
                "response_url": self._response_url(Source(user, channel)),
                "trigger_id": self.api.issue_trigger(user),
            }
        )
        status, answer = self._send(body)
        if status != 200:
            self.workspace.whisper(channel, user=user, text=_failed("/incident", status), blocks=None)
        elif answer:
            self._show(Source(user, channel), _as_message(answer))

    def click(self, *, user: str, channel: str, picked: Picked, ts: str | None, ephemeral_id: str | None) -> None:
        """A click or pick on an element of a message (`ts`) or of an ephemeral message (`ephemeral_id`)."""
        source = Source(user, channel, message_ts=ts, ephemeral_id=ephemeral_id)
        message = self.workspace.conversations[channel].find(ts) if ts else None
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": ts or "",
            "channel_id": channel,
            "is_ephemeral": ephemeral_id is not None,
        }
        payload: dict[str, Any] = {
            **self._envelope("block_actions", user),
            "container": container,
            "channel": {"id": channel, "name": self.workspace.conversations[channel].name},
            "response_url": self._response_url(source),
            "actions": [_action(picked)],
            "state": {"values": {}},
        }
        if message is not None:
            payload["message"] = dict(message)
        status, _answer = self._send(urlencode({"payload": json.dumps(payload)}))
        if status != 200:
            self.workspace.whisper(channel, user=user, text=_failed("That button", status), blocks=None)

    def click_in_view(self, *, user: str, picked: Picked) -> None:
        """A click or pick on an element of the modal open for `user`."""
        top = self.workspace.top_view(user)
        if top is None:
            return
        payload = {
            **self._envelope("block_actions", user),
            "container": {"type": "view", "view_id": top.view["id"]},
            "view": top.view,
            "actions": [_action(picked)],
        }
        self._send(urlencode({"payload": json.dumps(payload)}))

    def submit(self, *, user: str, values: dict[str, dict[str, Any]]) -> None:
        """Submit the modal open for `user` with Slack's `view.state.values`."""
        top = self.workspace.top_view(user)
        if top is None:
            return
        view = {**top.view, "state": {"values": values}, "team_id": TEAM, "app_id": APP_ID}
        payload = {**self._envelope("view_submission", user), "view": view, "response_urls": []}
        status, answer = self._send(urlencode({"payload": json.dumps(payload)}))
        if status != 200:
            self.workspace.show_errors(user, {"": "We had some trouble connecting. Try again?"})
            return
        self._after_submission(user, answer)

    def close(self, *, user: str) -> None:
        """Close the modal open for `user`; the bot hears of it only if it asked to (`notify_on_close`)."""
        top = self.workspace.top_view(user)
        if top is None:
            return
        self.workspace.close_view(user)
        if top.view.get("notify_on_close"):
            payload = {**self._envelope("view_closed", user), "view": top.view, "is_cleared": False}
            self._send(urlencode({"payload": json.dumps(payload)}))

    # -- response_url -------------------------------------------------------------------------------------

    def respond(self, token: str, answer: dict[str, Any]) -> bool:
        """A post to a response_url: replace or delete the message it came from, or say something new."""
        with self._lock:
            source = self._sources.get(token)
        if source is None:
            return False
        self._show(source, answer)
        return True

    def _show(self, source: Source, answer: dict[str, Any]) -> None:
        text = str(answer.get("text") or "")
        blocks = answer.get("blocks") if isinstance(answer.get("blocks"), list) else None
        original = source.ephemeral_id or source.message_ts
        if original and answer.get("delete_original"):
            if source.ephemeral_id:
                self.workspace.replace_ephemeral(source.ephemeral_id, text=None, blocks=None)
            elif source.message_ts:
                self.workspace.delete(source.channel, source.message_ts)
            return
        if original and answer.get("replace_original"):
            if source.ephemeral_id:
                self.workspace.replace_ephemeral(source.ephemeral_id, text=text, blocks=blocks)
            elif source.message_ts:
                self.workspace.edit(source.channel, source.message_ts, text=text, blocks=blocks)
            return
        if answer.get("response_type") == "in_channel":
            self.workspace.post(source.channel, user=BOT, text=text, blocks=blocks)
        else:
            self.workspace.whisper(source.channel, user=source.user, text=text, blocks=blocks)

    # -- plumbing -----------------------------------------------------------------------------------------

    def _after_submission(self, user: str, answer: dict[str, Any] | None) -> None:
        """What Slack does with the ack of a submission: show errors, update or push a view, or close."""
        answer = answer or {}
        action, view, errors = answer.get("response_action"), answer.get("view"), answer.get("errors")
        top = self.workspace.top_view(user)
        if action == "errors" and isinstance(errors, dict):
            self.workspace.show_errors(user, {str(k): str(v) for k, v in errors.items()})
        elif action == "update" and isinstance(view, dict) and top is not None:
            found = self.workspace.find_view(top.view["id"])
            if found:
                self.workspace.replace_view(*found, view)
        elif action == "push" and isinstance(view, dict):
            self.workspace.open_view(user, view, push=True)
        else:
            self.workspace.close_view(user, all_views=action == "clear")

    def _envelope(self, kind: str, user: str) -> dict[str, Any]:
        profile = self.workspace.people[user].profile()
        return {
            "type": kind,
            "team": {"id": TEAM, "domain": "sandbox"},
            "user": {"id": user, "username": profile["name"], "name": profile["name"], "team_id": TEAM},
            "api_app_id": APP_ID,
            "token": "sandbox",
            "trigger_id": self.api.issue_trigger(user),
            "is_enterprise_install": False,
        }

    def _response_url(self, source: Source) -> str:
        token = self.workspace.new_id("R")
        with self._lock:
            self._sources[token] = source
        return f"{self.public_url}/response/{token}"

    def _send(self, body: str) -> tuple[int, dict[str, Any] | None]:
        """POST a signed request to the bot; its HTTP status and its JSON (or text) answer."""
        stamp = str(int(time.time()))
        signature = self._signer.generate_signature(timestamp=stamp, body=body)
        assert signature is not None  # slack_sdk returns None only when the timestamp or body is missing
        request = urllib.request.Request(
            self.events_url,
            data=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=3) as response:  # Slack waits 3 s for an ack
                return response.status, _parse(response.read().decode())
        except urllib.error.HTTPError as error:
            log.warning("the bot answered HTTP %s", error.code)
            return error.code, None
        except OSError as error:
            log.warning("the bot did not answer: %s", error)
            return 0, None


def _action(picked: Picked) -> dict[str, Any]:
    """Slack's `actions[0]` for a click or a pick."""
    act = picked.act
    action: dict[str, Any] = {
        "type": act.get("type", "button"),
        "action_id": act.get("action_id", ""),
        "block_id": act.get("block_id", ""),
        "action_ts": f"{time.time():.6f}",
    }
    kind = action["type"]
    if kind == "button":
        action["value"] = act.get("value") or ""
        action["text"] = {"type": "plain_text", "text": picked.label or "", "emoji": True}
        if act.get("style"):
            action["style"] = act["style"]
    elif kind == "users_select":
        action["selected_user"] = picked.value
    elif kind in ("static_select", "overflow"):
        action["selected_option"] = {
            "text": {"type": "plain_text", "text": picked.label or picked.value or "", "emoji": True},
            "value": picked.value,
        }
    return action


def state_values(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Slack's `view.state.values` from the page's form fields ({name: "block.action", type, value(s), label})."""
    values: dict[str, dict[str, Any]] = {}
    for field in fields:
        block, _, action = str(field.get("name") or "").partition(".")
        kind = str(field.get("type") or "plain_text_input")
        value = field.get("value") or None
        option = {
            "text": {"type": "plain_text", "text": str(field.get("label") or value), "emoji": True},
            "value": value,
        }
        slot = values.setdefault(block, {})
        if kind in ("plain_text_input", "url_text_input", "email_text_input", "number_input"):
            slot[action] = {"type": kind, "value": value}
        elif kind in ("users_select", "conversations_select", "channels_select"):
            key = {"users_select": "selected_user"}.get(kind, "selected_conversation")
            slot[action] = {"type": kind, key: value}
        elif kind in ("multi_users_select", "multi_static_select"):
            chosen = [str(v) for v in field.get("values") or []]
            key = "selected_users" if kind == "multi_users_select" else "selected_options"
            slot[action] = {
                "type": kind,
                key: chosen if kind == "multi_users_select" else [{"value": v} for v in chosen],
            }
        elif kind == "checkboxes":
            previous = slot.get(action, {"type": kind, "selected_options": []})
            previous["selected_options"].append(option)
            slot[action] = previous
        elif kind == "datepicker":
            slot[action] = {"type": kind, "selected_date": value}
        elif kind == "timepicker":
            slot[action] = {"type": kind, "selected_time": value}
        else:  # static_select, radio_buttons
            slot[action] = {"type": kind, "selected_option": option if value else None}
    return values


def _parse(body: str) -> dict[str, Any] | None:
    if not body.strip():
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return {"text": body}
    return answer if isinstance(answer, dict) else {"text": str(answer)}


def _as_message(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "response_type": answer.get("response_type") or "ephemeral"}


def _failed(what: str, status: int) -> str:
    """What Slack tells a person when the app did not ack."""
    reason = "dispatch_failed" if status == 0 else f"http_service_error {status}"
    return f'{what} failed with the error "{reason}": Warroom did not answer in time or refused the request.'
