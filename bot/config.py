"""Settings: every environment variable Warroom reads, validated once at start."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")

# Pages delivery reads in all when looking for a post that may have landed: a thread's replies (oldest first), the
# channel's history (newest first), or both when the thread turns out to be gone; each since the row was written.
LOOKUP_PAGES = 3
# The most Slack calls one delivery attempt makes: conversations.open, the lookup pages, chat.getPermalink,
# chat.postMessage. A file, always shared in a channel (no conversations.open), makes as many: the lookup pages and
# its three steps. Named here, below delivery, because the delivery lease must outlast them all (checked at start).
CALLS_PER_ATTEMPT = 3 + LOOKUP_PAGES


def longest_attempt(timeout: float) -> timedelta:
    """How long one delivery attempt can take when every Slack call it makes runs to the client's timeout."""
    return timedelta(seconds=CALLS_PER_ATTEMPT * timeout)


class ConfigError(Exception):
    """The configuration is invalid; str() holds one line per problem."""


_NO_SECRET = "SLACK_SIGNING_SECRET: missing; HTTP mode (no SLACK_APP_TOKEN) needs the signing secret"


class _Mode(BaseSettings):
    """Just enough to tell HTTP mode from Socket Mode when other settings are already wrong."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    slack_signing_secret: str | None = None
    slack_app_token: str | None = None


class Settings(BaseSettings):
    """Warroom's configuration, read from the environment and `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    slack_bot_token: str = Field(description="the bot token (xoxb-…)")
    slack_signing_secret: str | None = Field(default=None, description="the signing secret, needed in HTTP mode")
    slack_app_token: str | None = Field(default=None, description="an app-level token (xapp-…) to use Socket Mode")
    slack_api_url: str = Field(default="https://slack.com/api/", description="the Slack Web API base URL")
    database_url: str = Field(default="sqlite:///warroom.db", description="a SQLAlchemy database URL")
    warroom_mirror_channel: str = Field(description="the channel ID of the read-only mirror channel (C…)")
    warroom_playbook: Path | None = Field(default=None, description="a playbook YAML file")
    warroom_templates: Path | None = Field(default=None, description="a directory of template overrides")
    port: int = Field(default=3000, ge=1, le=65535, description="the HTTP port")
    warroom_delivery_lease: timedelta = Field(
        default=timedelta(seconds=90), description="how long a worker may hold a message it is delivering"
    )
    warroom_slack_timeout: timedelta = Field(
        default=timedelta(seconds=10), description="how long the outbox waits for each Slack call's answer"
    )
    warroom_outbox_retention: timedelta = Field(
        default=timedelta(days=14), description="how long delivered messages are kept in the outbox"
    )
    warroom_status_bind: str | None = Field(
        default=None, description="host:port for the public status page and API (off when unset)"
    )
    warroom_status_url: str | None = Field(
        default=None, description="the status page's public base URL, used in links and feeds"
    )
    warroom_webhook_timeout: timedelta = Field(
        default=timedelta(seconds=10), description="how long a webhook endpoint may take to answer one event"
    )

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError("expected a port number from 1 to 65535")
        return value

    @field_validator("warroom_delivery_lease", mode="before")
    @classmethod
    def _lease(cls, value: object) -> object:
        return _duration(value, at_least=timedelta(seconds=1), expected="of at least 1s, like 60s")

    @field_validator("warroom_slack_timeout", mode="before")
    @classmethod
    def _timeout(cls, value: object) -> object:
        return _duration(value, at_most=timedelta(seconds=60), expected="from 1s to 60s, like 10s")

    @field_validator("warroom_webhook_timeout", mode="before")
    @classmethod
    def _webhook_timeout(cls, value: object) -> object:
        return _duration(value, at_most=timedelta(seconds=60), expected="from 1s to 60s, like 10s")

    @field_validator("warroom_outbox_retention", mode="before")
    @classmethod
    def _retention(cls, value: object) -> object:
        return _duration(value, at_least=timedelta(hours=1), expected="of at least 1h, like 14d")

    @field_validator("warroom_status_bind")
    @classmethod
    def _status_bind(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parse_bind(value)
        return value.strip()

    @field_validator("warroom_status_url")
    @classmethod
    def _status_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value.strip()):
            raise ValueError("expected the public base URL, like https://status.example.com")
        return None if value is None else value.strip().rstrip("/")

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: str) -> str:
        if not value.startswith("xoxb-"):
            raise ValueError("expected a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith("xapp-"):
            raise ValueError("expected an app-level token starting with xapp-")
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _blank_secret(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("expected an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("postgres://") or value.startswith("postgresql://"):
            raise ValueError("use postgresql+psycopg://… for PostgreSQL")
        if not (value.startswith("sqlite:") or value.startswith("postgresql+psycopg://")):
            raise ValueError("expected sqlite:///path.db or postgresql+psycopg://user@host/db")
        return value

    @field_validator("warroom_mirror_channel")
    @classmethod
    def _mirror(cls, value: str) -> str:
        if not _CHANNEL_ID.match(value):
            raise ValueError("expected a channel ID such as C0123456789 (not a #name)")
        return value

    @field_validator("warroom_playbook")
    @classmethod
    def _playbook(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("warroom_templates")
    @classmethod
    def _templates(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"no such directory: {value}")
        return value

    @model_validator(mode="after")
    def _http_needs_secret(self) -> Settings:
        if self.slack_app_token is None and self.slack_signing_secret is None:
            raise ValueError(_NO_SECRET)
        return self

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Settings:
        timeout = self.warroom_slack_timeout.total_seconds()
        longest = int(longest_attempt(timeout).total_seconds())
        if self.warroom_delivery_lease.total_seconds() <= longest:
            raise ValueError(
                f"WARROOM_DELIVERY_LEASE: {int(self.warroom_delivery_lease.total_seconds())}s is too short: one "
                f"delivery attempt can take {longest}s ({CALLS_PER_ATTEMPT} Slack calls x WARROOM_SLACK_TIMEOUT "
                f"{int(timeout)}s), and another replica could post the same message again; set it above {longest}s"
            )
        return self

    @property
    def status_url(self) -> str | None:
        """The status page's public base URL: WARROOM_STATUS_URL, else derived from WARROOM_STATUS_BIND."""
        if self.warroom_status_url is not None:
            return self.warroom_status_url
        if self.warroom_status_bind is None:
            return None
        host, port = parse_bind(self.warroom_status_bind)
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
        return f"http://{shown}:{port}"

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token turns on Socket Mode."""
        return self.slack_app_token is not None


def parse_bind(value: str) -> tuple[str, int]:
    """host:port (an IPv6 host in brackets) -> (host, port); ValueError saying what was expected."""
    match = re.fullmatch(r"\s*(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\s*", value)
    if match is None or not 1 <= int(match.group(2)) <= 65535:
        raise ValueError("expected host:port, like 127.0.0.1:8080 or 0.0.0.0:8080")
    return match.group(1).strip("[]"), int(match.group(2))


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings, raising ConfigError with one line per problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = [_describe(item) for item in error.errors()]
        mode = _Mode()
        if mode.slack_app_token is None and mode.slack_signing_secret is None and _NO_SECRET not in lines:
            lines.append(_NO_SECRET)
        raise ConfigError("\n".join(lines)) from None


def _describe(item: object) -> str:
    details = item if isinstance(item, dict) else {}
    location = [str(part) for part in details.get("loc", ())]
    message = str(details.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if not location:
        return message
    name = location[0].upper()
    if details.get("type") == "missing":
        field = Settings.model_fields.get(location[0])
        meaning = field.description if field is not None else ""
        return f"{name}: missing; set it to {meaning}"
    return f"{name}: {message}"


def _duration(
    value: object, *, expected: str, at_least: timedelta = timedelta(0), at_most: timedelta = timedelta.max
) -> timedelta:
    """A duration setting (90s, 15m, 2h, 1d) within its bounds, or a ValueError saying what was expected."""
    from bot.playbook import parse_duration

    duration = parse_duration(value)
    if not at_least <= duration <= at_most:
        raise ValueError(f"expected a duration {expected}")
    return duration
