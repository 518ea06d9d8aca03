"""Requests built the way Slack builds them: form-encoded, signed with the signing secret, sent over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

TEAM = "T0TEAM"
_counter = itertools.count(1)


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    """What the app answered over HTTP (the ack)."""

    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Slack:
    """Sends signed slash commands, block actions and view submissions to the app, as Slack does."""

    def __init__(self, *, app_url: str, fake_url: str, secret: str) -> None:
        self.app_url = app_url
        self.fake_url = fake_url
        self.secret = secret

    def post(self, body: str, *, timestamp: str | None = None, signature: str | None = None) -> Reply:
        stamp = str(int(time.time())) if timestamp is None else timestamp
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(self.secret, stamp, body) if signature is None else signature,
        }
        request = urllib.request.Request(self.app_url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def command_body(self, text: str, *, user: str, channel: str, response: str) -> str:
        return urlencode(
            {
                "token": "verification-token-unused",
                "team_id": TEAM,
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "incident-room",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/incident",
                "text": text,
                "api_app_id": "AWARROOM",
                "is_enterprise_install": "false",
                "response_url": f"{self.fake_url}/response/{response}",
                "trigger_id": f"{next(_counter)}.trigger",
            }
        )

    def command(self, text: str, *, user: str, channel: str, response: str = "cmd") -> Reply:
        """`/incident <text>` typed by `user` in `channel`; its ephemeral answers go to response_url `response`."""
        return self.post(self.command_body(text, user=user, channel=channel, response=response))

    def interaction(self, payload: dict[str, Any]) -> Reply:
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def block_action(
        self,
        *,
        user: str,
        channel: str,
        action: dict[str, Any],
        response: str = "act",
        message_ts: str = "1790000000.000001",
        ephemeral: bool = False,
    ) -> Reply:
        """A click (or pick) on a message's interactive component."""
        container = {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": ephemeral}
        return self.interaction(
            {
                "type": "block_actions",
                "team": {"id": TEAM, "domain": "acme"},
                "user": {"id": user, "username": user.lower(), "team_id": TEAM},
                "api_app_id": "AWARROOM",
                "token": "verification-token-unused",
                "container": container,
                "trigger_id": f"{next(_counter)}.trigger",
                "channel": {"id": channel, "name": "incident-room"},
                "response_url": f"{self.fake_url}/response/{response}",
                "actions": [{"action_ts": f"{time.time():.6f}", **action}],
                "state": {"values": {}},
            }
        )

    def view_submission(self, *, user: str, view: dict[str, Any], values: dict[str, Any]) -> Reply:
        """Submitting a modal `view` (as opened by the app) with `values` as Slack's view.state.values."""
        submitted = {**view, "id": "VFAKE", "team_id": TEAM, "state": {"values": values}, "hash": "h"}
        return self.interaction(
            {
                "type": "view_submission",
                "team": {"id": TEAM, "domain": "acme"},
                "user": {"id": user, "username": user.lower(), "team_id": TEAM},
                "api_app_id": "AWARROOM",
                "token": "verification-token-unused",
                "trigger_id": f"{next(_counter)}.trigger",
                "view": submitted,
                "response_urls": [],
            }
        )
