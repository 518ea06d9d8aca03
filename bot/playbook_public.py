"""The playbook's public side: how the status page names the team, and the webhook endpoints that hear events."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.vocabulary import WebhookEvent


class StatusPage(BaseModel):
    """How the public status page names the team."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="Status", min_length=1, max_length=80)
    logo_url: str | None = None  # an https:// image, or a path served beside the page

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https://\S+|/\S*", value):
            raise ValueError("expected an https:// URL (or a path starting with /) for the logo")
        return value


_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class Webhook(BaseModel):
    """An endpoint that receives signed events (Standard Webhooks); its secret comes from the environment."""

    model_config = ConfigDict(extra="forbid")

    name: str
    url: str
    secret_env: str
    events: list[WebhookEvent]

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", value):
            raise ValueError(f"{value!r}: expected 1-40 lowercase letters, digits, - or _, like helpdesk")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parsed = urlsplit(value)
        loopback = parsed.hostname is not None and (
            parsed.hostname in _LOOPBACK_HOSTS or f"[{parsed.hostname}]" in _LOOPBACK_HOSTS
        )
        if not parsed.netloc or parsed.scheme not in ("https", "http") or (parsed.scheme == "http" and not loopback):
            raise ValueError(f"{value!r}: expected an https:// URL (plain http only to a loopback address)")
        return value

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", value):
            raise ValueError(f"{value!r}: expected the name of an environment variable, like WARROOM_WEBHOOK_SECRET")
        return value

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[WebhookEvent]) -> list[WebhookEvent]:
        if not value:
            raise ValueError(f"list at least one event: {', '.join(WebhookEvent)}")
        return list(dict.fromkeys(value))


def check_components(value: list[str]) -> list[str]:
    """The customer-facing components: names customers know, each listed once."""
    names = [name.strip() for name in value]
    for name in names:
        if not 1 <= len(name) <= 60 or not re.fullmatch(r"[\w][\w .&/+-]*", name):
            raise ValueError(f"component {name!r}: expected 1-60 letters, digits, spaces or .&/+-")
    folded = [name.casefold() for name in names]
    if len(set(folded)) != len(folded):
        raise ValueError("each component is listed once")
    return names


def check_webhook_names(value: list[Webhook]) -> list[Webhook]:
    """Each endpoint has its own name (deliveries are ordered and reported by it)."""
    names = [hook.name for hook in value]
    if len(set(names)) != len(names):
        raise ValueError("each webhook needs its own name")
    return value
