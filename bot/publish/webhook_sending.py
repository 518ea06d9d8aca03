"""Sending one webhook event: signed per Standard Webhooks, POSTed, and the receiver's answer classified.

2xx is delivered. 408, 429, 5xx, a timeout or a refused connection is tried again later (429's Retry-After is
honoured). 410 says the endpoint is gone, and any other answer (a 4xx, or a redirect, which is never followed)
says the receiver will not take this event as it is: both are given up at once, and the war room is told.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from dotenv import dotenv_values
from standardwebhooks import Webhook as Signer

from bot.config import ConfigError
from bot.playbook_public import Webhook

USER_AGENT = "Warroom-Webhooks/1"
_RETRIED = frozenset({408, 429})


@dataclass(frozen=True)
class Endpoint:
    """A webhook endpoint with its secret, read from the environment."""

    name: str
    url: str
    secret: str


@dataclass(frozen=True)
class Answer:
    """What one attempt came to: delivered, worth retrying (after `retry_after` s, if the receiver said), or not."""

    delivered: bool
    retry: bool
    detail: str
    status: int | None = None
    retry_after: float | None = None


def endpoints(hooks: list[Webhook], *, environ: Mapping[str, str | None] | None = None) -> list[Endpoint]:
    """Each endpoint with its secret; ConfigError with one line per missing or malformed secret."""
    env = _environment() if environ is None else environ
    found, problems = [], []
    for hook in hooks:
        secret = (env.get(hook.secret_env) or "").strip()
        if not secret:
            problems.append(f"{hook.secret_env}: missing; the playbook's webhook {hook.name} is signed with it")
            continue
        try:
            if not secret.startswith("whsec_"):
                raise ValueError("no whsec_ prefix")
            Signer(secret)
        except Exception:  # the library raises binascii.Error, or its own error for an empty key
            problems.append(f"{hook.secret_env}: expected a Standard Webhooks secret, whsec_ followed by base64")
            continue
        found.append(Endpoint(name=hook.name, url=hook.url, secret=secret))
    if problems:
        raise ConfigError("\n".join(problems))
    return found


def _environment() -> dict[str, str | None]:
    """The process environment over `.env` (where the settings are read from too)."""
    from_file = dotenv_values(".env") if Path(".env").exists() else {}
    return {**from_file, **os.environ}


def headers(endpoint: Endpoint, *, event_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for `body`, signed at `at` (the wall clock: receivers allow 5 minutes)."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(endpoint.secret).sign(event_id, at, body),
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def send(endpoint: Endpoint, *, event_id: str, body: str, at: datetime, timeout: float) -> Answer:
    """POST one signed event and classify the answer; never raises for what the network or receiver does."""
    request = urllib.request.Request(
        endpoint.url,
        data=body.encode(),
        headers=headers(endpoint, event_id=event_id, body=body, at=at),
        method="POST",
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return _classify(response.status, response.headers.get("retry-after"))
    except urllib.error.HTTPError as error:
        with error:
            return _classify(error.code, error.headers.get("retry-after"), error.fp)
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        return Answer(delivered=False, retry=True, detail=f"no answer: {reason}"[:200])


def _classify(status: int, retry_after: str | None, body: IO[bytes] | None = None) -> Answer:
    if 200 <= status < 300:
        return Answer(delivered=True, retry=False, detail=f"HTTP {status}", status=status)
    said = _excerpt(body)
    detail = f"HTTP {status}{': ' + said if said else ''}"
    if status >= 500 or status in _RETRIED:
        return Answer(delivered=False, retry=True, detail=detail, status=status, retry_after=_seconds(retry_after))
    if status == 410:
        detail = f"HTTP 410: the endpoint says it is gone{': ' + said if said else ''}"
    elif 300 <= status < 400:
        detail = f"HTTP {status}: a redirect, which Warroom does not follow; configure the final URL"
    return Answer(delivered=False, retry=False, detail=detail, status=status)


def _excerpt(body: IO[bytes] | None) -> str:
    if body is None:
        return ""
    try:
        return " ".join(body.read(300).decode(errors="replace").split())[:120]
    except OSError:
        return ""


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def send_test_event(hooks: list[Webhook], name: str, *, timeout: float, out: TextIO, err: TextIO) -> int:
    """`warroom webhooks test NAME`: send a signed webhook.test event now; 0 if delivered, 1 if not, 2 if misnamed."""
    from bot.publish.webhook_events import new_event_id, ping_body

    hook = next((hook for hook in hooks if hook.name == name), None)
    if hook is None:
        names = ", ".join(hook.name for hook in hooks) or "none (add webhooks: to the playbook)"
        print(f"warroom: no webhook named {name!r}; the playbook's webhooks: {names}", file=err)
        return 2
    try:
        [endpoint] = endpoints([hook])
    except ConfigError as error:
        print(f"warroom: configuration problem:\n  {error}", file=err)
        return 2
    now = datetime.now(UTC)
    event_id = new_event_id()
    answer = send(endpoint, event_id=event_id, body=ping_body(at=now, endpoint=name), at=now, timeout=timeout)
    verdict = "delivered" if answer.delivered else "not delivered"
    print(f"warroom: webhook {name} ({endpoint.url}): {verdict}, {answer.detail} (webhook-id {event_id})", file=out)
    return 0 if answer.delivered else 1
