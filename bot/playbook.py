"""The playbook: severities, cadence and the support team's briefing, loaded from YAML."""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class PlaybookError(Exception):
    """The playbook file is invalid; str() names the file, the key and the reason."""


def parse_duration(value: object) -> timedelta:
    """Turn '90s', '15m', '2h' or '1d' into a timedelta."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == 0:
        raise ValueError("expected a positive duration like 90s, 15m or 2h")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Severity(BaseModel):
    """One severity level and how it is communicated."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=60)
    cadence: Duration
    tone: str = "measured"
    postmortem: bool = False
    sla: Duration | None = None  # an outage longer than this owes customers a credit


DEFAULT_AUTHORITY = (
    "A service credit of up to 10% of the affected month's fee, without waiting to be asked",
    "Confirmation that SLA terms still apply and credits will be assessed after resolution",
    "The current status and impact, quoted from the latest approved update in this channel, and nothing else",
    "That the next update will come by the time stated in the latest update (never a fix time)",
)
DEFAULT_ESCALATE = (
    "Enterprise accounts and named strategic customers: hand over to account management within 30 minutes",
    "Legal threats, contract or SLA disputes, and any question about data loss or security",
    "Media, press, analyst or investor enquiries",
    "Refund requests above the credit threshold, and cancellations",
)


class Briefing(BaseModel):
    """What the outsourced support agents may promise, and what they must escalate."""

    model_config = ConfigDict(extra="forbid")

    authority: list[str] = Field(default_factory=lambda: list(DEFAULT_AUTHORITY))
    escalate: list[str] = Field(default_factory=lambda: list(DEFAULT_ESCALATE))


class Wording(BaseModel):
    """The wording check's phrases: each is a behaviour that destroys customers' trust."""

    model_config = ConfigDict(extra="forbid")

    vague: list[str] = Field(
        default_factory=lambda: [
            "technical difficulties",
            "technical issues",
            "some issues",
            "an issue",
            "an internal issue",
            "a glitch",
            "experiencing issues",
            "unexpected behavior",
            "unexpected behaviour",
            "has been addressed",
        ]
    )
    promises: list[str] = Field(
        default_factory=lambda: [
            r"\b(resolved|fixed|restored|back( up| online)?|up and running|working again)\b[^.!?]{0,40}"
            r"\b(in|within)\s+(\d+|a few|an?|one|two|half an)\s*(seconds?|minutes?|mins?|hours?|hrs?|h|m)\b",
            r"\b(shortly|any minute now|momentarily|very soon)\b",
            r"\bby \d{1,2}(:\d{2})?\s*(am|pm|utc)?\b[^.!?]{0,30}\b(resolved|fixed|restored)\b",
        ]
    )
    third_parties: list[str] = Field(
        default_factory=lambda: [
            "AWS",
            "Amazon",
            "Azure",
            "Microsoft",
            "Google Cloud",
            "GCP",
            "Cloudflare",
            "Stripe",
            "Twilio",
            "Fastly",
            "Akamai",
            "GitHub",
            "Heroku",
            "DigitalOcean",
            "our provider",
            "our vendor",
            "a third party",
            "a third-party",
            "our hosting provider",
            "our cloud provider",
        ]
    )
    blame: list[str] = Field(
        default_factory=lambda: ["fault", "blame", "caused by", "due to", "because of", "their outage", "on their end"]
    )
    max_sentences: int = Field(default=3, ge=1, le=20)

    @field_validator("promises")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a valid regular expression {pattern!r}: {error}") from None
        return value


class CustomerEmail(BaseModel):
    """The post-incident email to customers: from a named person, never from a noreply address."""

    model_config = ConfigDict(extra="forbid")

    sender: str | None = Field(default=None, description="who signs it, e.g. 'Dana Whitfield, CTO'")
    remind_before: Duration = timedelta(minutes=30)

    @field_validator("sender")
    @classmethod
    def _a_person(cls, value: str | None) -> str | None:
        if value is not None and re.search(r"no[-_ ]?reply|do[-_ ]?not[-_ ]?reply", value, re.IGNORECASE):
            raise ValueError("the customer email comes from a named person, never from a noreply address")
        return value


class Credits(BaseModel):
    """What customers are offered, unasked, when an outage breaks its SLA."""

    model_config = ConfigDict(extra="forbid")

    policy: str = (
        "Every affected customer receives a service credit of 10% of the month's fee, applied to the next "
        "invoice without their having to ask."
    )


class Playbook(BaseModel):
    """The team's incident communication rules."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    acknowledge_within: Duration = timedelta(minutes=5)
    remind_before: Duration = timedelta(minutes=3)
    escalate_after: Duration = timedelta(minutes=5)
    customer_email_within: Duration = timedelta(hours=2)
    customer_email_min_duration: Duration = timedelta(minutes=30)
    severities: dict[str, Severity]
    briefing: Briefing = Field(default_factory=Briefing)
    wording: Wording = Field(default_factory=Wording)
    customer_email: CustomerEmail = Field(default_factory=CustomerEmail)
    credits: Credits = Field(default_factory=Credits)
    postmortem_reminder_every: Duration = timedelta(days=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as UTC or Europe/Berlin") from None
        return value

    @field_validator("severities")
    @classmethod
    def _severity_names(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        if not value:
            raise ValueError("at least one severity is needed, e.g. P1: {label: Full outage, cadence: 15m}")
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9]{1,10}", name):
                raise ValueError(f"severity name {name!r} must be 1-10 letters or digits, like P1")
        return {name.upper(): severity for name, severity in value.items()}

    @property
    def zone(self) -> ZoneInfo:
        """The time zone that times are shown in."""
        return ZoneInfo(self.timezone)

    def severity(self, name: str) -> Severity | None:
        """The severity called `name` (case-insensitive), if the playbook has it."""
        return self.severities.get(name.strip().upper())

    def severity_names(self) -> list[str]:
        """Every severity name, in playbook order."""
        return list(self.severities)


def default_playbook_path() -> Path:
    """The playbook shipped inside the package."""
    return Path(str(resources.files("bot").joinpath("playbook.yml")))


def load_playbook(path: Path | None = None) -> Playbook:
    """Load and validate a playbook file, raising PlaybookError naming the file, key and reason."""
    source = path or default_playbook_path()
    try:
        raw: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise PlaybookError(f"{source}: cannot read the playbook ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "unreadable"
        raise PlaybookError(f"{source}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise PlaybookError(f"{source}: expected a mapping with at least a 'severities' key")
    try:
        return Playbook.model_validate(raw)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "(top level)"
            reason = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                reason = "unknown key"
            lines.append(f"{source}: {key}: {reason}")
        raise PlaybookError("\n".join(lines)) from None
