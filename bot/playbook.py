"""The playbook: severities, cadence and the support team's briefing, loaded from YAML."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.playbook_public import StatusPage, Webhook, check_components, check_webhook_names
from bot.vocabulary import Impact

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
    sla: Duration | None = None  # credits are owed once the time at this severity or above exceeds it


DEFAULT_AUTHORITY = (
    "A service credit of up to 10% of the affected month's fee, without waiting to be asked",
    "Confirmation that SLA terms still apply and credits will be assessed after resolution",
    "The current status and impact, quoted from the latest approved update in the incident's thread, and nothing else",
    "That the next update will come by the time stated in the latest update (never a fix time)",
)
DEFAULT_ESCALATE = (
    "Enterprise accounts and named strategic customers: hand over to account management within 30 minutes",
    "Legal threats, contract or SLA disputes, and any question about data loss or security",
    "Media, press, analyst or investor enquiries",
    "Refund requests above the credit threshold, and cancellations",
)


_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_PERSON_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class EscalateTo(BaseModel):
    """Who handles the escalations, and how agents reach them: a Slack user group, people, an email address."""

    model_config = ConfigDict(extra="forbid")

    group: str | None = Field(default=None, description="a Slack user group ID, e.g. S0123ABCDEF")
    people: list[str] = Field(default_factory=list, description="Slack user IDs, e.g. [U0123ABCDEF]")
    email: str | None = Field(default=None, description="an address agents forward escalated emails to")

    @field_validator("group")
    @classmethod
    def _group_id(cls, value: str | None) -> str | None:
        if value is not None and not _GROUP_ID.match(value.strip()):
            raise ValueError(
                f"{value!r} is not a Slack user group ID; expected one like S0123ABCDEF "
                "(in Slack: People > User groups > the group > ⋯ > Copy group ID)"
            )
        return value.strip() if value else None

    @field_validator("people")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        for person in value:
            if not _PERSON_ID.match(person.strip()):
                raise ValueError(
                    f"{person!r} is not a Slack user ID; expected one like U0123ABCDEF, not a name or @handle "
                    "(in Slack: the person's profile > ⋯ > Copy member ID)"
                )
        return [person.strip() for person in value]

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value.strip()):
            raise ValueError(f"{value!r} is not an email address; expected one like escalations@example.com")
        return value.strip() if value else None

    @model_validator(mode="after")
    def _someone(self) -> EscalateTo:
        if self.group is None and not self.people and self.email is None:
            raise ValueError("name at least one of group (S…), people ([U…]) or email, or leave escalate_to out")
        return self


class Briefing(BaseModel):
    """What the outsourced support agents may promise, what they must escalate, and to whom."""

    model_config = ConfigDict(extra="forbid")

    authority: list[str] = Field(default_factory=lambda: list(DEFAULT_AUTHORITY))
    escalate: list[str] = Field(default_factory=lambda: list(DEFAULT_ESCALATE))
    escalate_to: EscalateTo | None = None  # unset: each activation names the incident's lead

    def digest(self) -> str:
        """A fingerprint of the briefing's content: a new one means the support team must read it again."""
        content = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(content.encode()).hexdigest()


class InternalIdentifier(BaseModel):
    """One kind of internal identifier customers can't look up, with what to write instead."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, description="what it is, e.g. 'a deploy or release number'")
    pattern: str = Field(min_length=1, description="a regular expression; add (?i) to ignore case")
    instead: str = Field(min_length=1, max_length=200, description="what to write instead, as advice")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a valid regular expression {value!r}: {error}") from None
        return value


DEFAULT_INTERNAL = (
    InternalIdentifier(
        name="a deploy or release number",
        pattern=r"(?i)\b(?:deploy(?:ment)?|release|build|rollout|hotfix|pull request|merge request|PR|MR)\s*"
        r"(?:#\s*\d+|v?\d+(?:\.\d+)+|\d{3,})\b",
        instead="Say what changed, in customers' words: “a configuration change we made at 14:30 UTC”.",
    ),
    InternalIdentifier(
        name="a server name",
        pattern=r"(?i)\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?:prod|prd|stg|staging|dev|qa|uat)(?:-[a-z0-9]+)*\b"
        r"|\b(?:db|web|app|api|cache|redis|pg|mysql|mongo|kafka|node|worker|host|srv|k8s|lb)-?(?:[a-z]+-)?\d{1,3}\b"
        r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|intra|intranet)\b",
        instead="Name the part customers know: “the payments database”, “checkout”, “the EU data centre”.",
    ),
    InternalIdentifier(
        name="an IP address",
        pattern=r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
        instead="Name the part customers know, such as “one of our database servers”.",
    ),
    InternalIdentifier(
        name="a ticket ID",
        pattern=r"\b(?!INC-)(?!(?:SHA|ISO|UTF|RFC|CVE|COVID|TLS|HTTP|IPV)-)[A-Z][A-Z0-9]{1,9}-\d+\b",
        instead="Customers can't open our tracker: describe the work itself. (INC-n is our public reference.)",
    ),
    InternalIdentifier(
        name="a commit hash",
        pattern=r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b",
        instead="Say what the change did: “a change to how we retry card payments”.",
    ),
)


class Wording(BaseModel):
    """The wording check's additions: the built-in rules read meaning; these lists add the team's own words."""

    model_config = ConfigDict(extra="forbid")

    vague: list[str] = Field(default_factory=list)  # phrases that always read as vague to this team
    promises: list[str] = Field(default_factory=list)  # regular expressions for more fix-time promises
    third_parties: list[str] = Field(default_factory=list)  # providers beyond the built-in list
    blame: list[str] = Field(default_factory=list)  # words that, near a third party, blame it
    max_sentences: int = Field(default=3, ge=1, le=20)
    internal: list[InternalIdentifier] = Field(default_factory=lambda: list(DEFAULT_INTERNAL))

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
    greeting: str = Field(default="Dear customer,", min_length=1, max_length=80)
    reply_to: str | None = Field(default=None, description="where customers' replies go, e.g. support@example.com")
    remind_before: Duration = timedelta(minutes=30)

    @field_validator("reply_to")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        address = value.strip()
        if not _EMAIL.match(address):
            raise ValueError(f"{value!r} is not an email address; write one like support@example.com")
        if re.search(r"no[-_.]?reply|do[-_.]?not[-_.]?reply", address, re.IGNORECASE):
            raise ValueError("replies must reach a person, never a noreply address")
        return address

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
    status_page: StatusPage = Field(default_factory=StatusPage)
    components: list[str] = Field(default_factory=list)  # customer-facing components, in the names customers know
    impact: dict[str, Impact] = Field(default_factory=dict)  # severity -> Statuspage impact
    webhooks: list[Webhook] = Field(default_factory=list)

    _components = field_validator("components")(check_components)
    _webhook_names = field_validator("webhooks")(check_webhook_names)

    @field_validator("impact")
    @classmethod
    def _impact_names_severities(cls, value: dict[str, Impact], info: ValidationInfo) -> dict[str, Impact]:
        severities = info.data.get("severities") or {}  # validated before: it is declared first
        unknown = [name for name in value if name.upper() not in severities]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not among the severities ({', '.join(severities)})")
        return {name.upper(): impact for name, impact in value.items()}

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

    def impact_of(self, severity: str) -> Impact:
        """The Statuspage impact of a severity: the playbook's, or by its rank (first critical, then major, minor)."""
        name = severity.strip().upper()
        if name in self.impact:
            return self.impact[name]
        ranked = (Impact.CRITICAL, Impact.MAJOR, Impact.MINOR)
        names = self.severity_names()
        rank = names.index(name) if name in names else len(ranked) - 1
        return ranked[min(rank, len(ranked) - 1)]

    def component(self, name: str) -> str | None:
        """The component called `name` (case-insensitive), in the playbook's spelling."""
        return next((known for known in self.components if known.casefold() == name.strip().casefold()), None)


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
