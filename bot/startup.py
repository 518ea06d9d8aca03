"""Probes that prove Warroom can work: the tokens, their scopes, the mirror channel, the playbook and templates."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse
from sqlalchemy import make_url

from bot.config import ConfigError, Settings
from bot.playbook import Playbook
from bot.publish.webhook_sending import endpoints
from bot.render.samples import template_samples
from bot.render.templates import Templates, shipped_templates
from bot.slack.scopes import BOT_SCOPES, missing_scopes

SLACK_TIMEOUT = 3  # seconds per Web API call; Slack answers these in well under a second
_UNREACHABLE = "cannot reach Slack"
# slack_sdk logs each failed request at ERROR; a probe turns the failure into its ✗ line instead of saying it twice.
_PROBE_LOG = logging.getLogger("warroom.startup.probe")
_PROBE_LOG.setLevel(logging.CRITICAL)
_REINSTALL = (
    "add them in your app's settings (paste manifest.yml again under App Manifest), then Install App -> "
    "Reinstall to Workspace; the bot token stays the same"
)


@dataclass(frozen=True)
class Finding:
    """One thing checked: what was found and, when it is wrong, how to fix it."""

    subject: str
    ok: bool
    detail: str
    fix: str = ""
    blocks_start: bool = False  # Warroom cannot serve at all until this is fixed
    checked: bool = True  # False when an earlier failure kept this from being checked

    @property
    def line(self) -> str:
        """The finding as one line for a person: ✓ or ✗, and the fix for a ✗."""
        if self.ok:
            return f"✓ {self.subject}: {self.detail}"
        return f"✗ {self.subject}: {self.detail}. Fix: {self.fix}"


@dataclass(frozen=True)
class Identity:
    """Who the bot token says Warroom is."""

    workspace: str
    url: str
    bot_user: str
    bot_user_id: str
    scopes: frozenset[str] | None  # from the x-oauth-scopes header; None when Slack did not send it


@dataclass
class Report:
    """Every finding, plus what the probes learned for the ready line."""

    findings: list[Finding] = field(default_factory=list)
    identity: Identity | None = None
    mirror_name: str | None = None

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(finding.ok for finding in self.findings)

    @property
    def blocking(self) -> list[Finding]:
        """The failures that stop Warroom from starting."""
        return [finding for finding in self.findings if not finding.ok and finding.blocks_start]


@dataclass(frozen=True)
class _NoAnswer:
    """Why Slack gave no usable answer: its error code, or the network's reason."""

    reason: str
    unreachable: bool


def check(settings: Settings, playbook: Playbook) -> Report:
    """Run every probe: bot token, scopes, app token (Socket Mode), mirror channel, playbook and templates."""
    report = Report()
    token, identity = check_bot_token(settings)
    report.identity = identity
    report.findings += [token, check_scopes(identity)]
    if settings.socket_mode:
        if token.detail.startswith(_UNREACHABLE):  # one timeout is enough to know; don't wait for a second
            report.findings.append(_not_checked("app token", "Slack is unreachable"))
        else:
            report.findings.append(check_app_token(settings))
    mirror, report.mirror_name = check_mirror(settings, identity)
    report.findings.append(mirror)
    report.findings += check_templates(settings, playbook)
    if playbook.webhooks:
        report.findings.append(check_webhook_secrets(playbook))
    return report


def check_webhook_secrets(playbook: Playbook) -> Finding:
    """Every webhook endpoint's secret is set (in the environment or .env), as a Standard Webhooks secret."""
    try:
        found = endpoints(playbook.webhooks)
    except ConfigError as error:
        fix = "set each variable to the endpoint's signing secret (whsec_ and base64), never in the playbook"
        return Finding("webhook secrets", False, "; ".join(str(error).splitlines()), fix, blocks_start=True)
    return Finding("webhook secrets", True, f"{len(found)} endpoint(s) signed: {', '.join(e.name for e in found)}")


def check_bot_token(settings: Settings) -> tuple[Finding, Identity | None]:
    """auth.test with SLACK_BOT_TOKEN: the workspace and bot user it belongs to, and its scopes."""
    answer = _ask(_client(settings, settings.slack_bot_token).auth_test)
    if isinstance(answer, _NoAnswer):
        return _unreachable("bot token", settings, answer) if answer.unreachable else _refused_bot_token(answer), None
    scopes = _header(answer, "x-oauth-scopes")
    identity = Identity(
        workspace=str(answer.get("team") or answer.get("team_id") or "?"),
        url=str(answer.get("url") or ""),
        bot_user=str(answer.get("user") or "?"),
        bot_user_id=str(answer.get("user_id") or "?"),
        scopes=None if scopes is None else frozenset(s.strip() for s in scopes.split(",") if s.strip()),
    )
    where = f" ({identity.url.removeprefix('https://').rstrip('/')})" if identity.url else ""
    detail = (
        f"accepted in workspace {identity.workspace}{where} as bot user @{identity.bot_user} ({identity.bot_user_id})"
    )
    return Finding("bot token", True, detail), identity


def check_scopes(identity: Identity | None) -> Finding:
    """The bot token's granted scopes against BOT_SCOPES, the ones Warroom's code calls for."""
    if identity is None:
        return _not_checked("scopes", "needs a bot token Slack accepts")
    if identity.scopes is None:
        return Finding(
            "scopes",
            False,
            "Slack's answer to auth.test named no scopes (no x-oauth-scopes header)",
            "point SLACK_API_URL at Slack's Web API (https://slack.com/api/) or a proxy that passes headers through",
        )
    missing = missing_scopes(identity.scopes)
    if missing:
        needs = "; ".join(f"{scope}: {BOT_SCOPES[scope]}" for scope in missing)
        return Finding("scopes", False, f"the bot token lacks {', '.join(missing)} ({needs})", _REINSTALL)
    return Finding(
        "scopes", True, f"all {len(BOT_SCOPES)} that Warroom needs are granted ({', '.join(sorted(BOT_SCOPES))})"
    )


def check_app_token(settings: Settings) -> Finding:
    """apps.connections.open with SLACK_APP_TOKEN, as Socket Mode opens its connection."""
    token = settings.slack_app_token or ""
    answer = _ask(lambda: _client(settings, token).apps_connections_open(app_token=token))
    if isinstance(answer, _NoAnswer):
        if answer.unreachable:
            return _unreachable("app token", settings, answer)
        return Finding(
            "app token",
            False,
            f"Slack refused SLACK_APP_TOKEN for Socket Mode ({answer.reason})",
            "in your app's settings, Basic Information -> App-Level Tokens -> Generate Token and Scopes with scope "
            "connections:write, turn Socket Mode on, and set SLACK_APP_TOKEN to the new xapp-… token",
            blocks_start=True,
        )
    return Finding("app token", True, "Slack opens Socket Mode connections with SLACK_APP_TOKEN")


def check_mirror(settings: Settings, identity: Identity | None) -> tuple[Finding, str | None]:
    """conversations.info on the mirror channel: it exists and Warroom is a member of it."""
    channel = settings.warroom_mirror_channel
    if identity is None:
        return _not_checked("mirror channel", "needs a bot token Slack accepts"), None
    answer = _ask(lambda: _client(settings, settings.slack_bot_token).conversations_info(channel=channel))
    if isinstance(answer, _NoAnswer):
        return _mirror_unknown(settings, answer), None
    info = answer.get("channel") or {}
    name = str(info.get("name") or channel)
    if info.get("is_archived"):
        fix = "unarchive it, or set WARROOM_MIRROR_CHANNEL to the ID of a channel in use"
        return Finding("mirror channel", False, f"#{name} ({channel}) is archived", fix), name
    if not info.get("is_member"):
        fix = f"in #{name}, type /invite @{identity.bot_user}"
        return Finding("mirror channel", False, f"Warroom is not a member of #{name} ({channel})", fix), name
    kind = "private channel" if info.get("is_private") else "channel"
    return Finding("mirror channel", True, f"#{name} ({channel}), a {kind} Warroom is a member of"), name


def check_templates(settings: Settings, playbook: Playbook) -> list[Finding]:
    """Every template renders with sample data, the team's overrides included; one line per broken template."""
    templates = Templates(settings.warroom_templates)
    samples = template_samples(playbook)
    override = settings.warroom_templates
    findings = [_render_problem(templates, name, contexts, override) for name, contexts in samples.items()]
    problems = [finding for finding in findings if finding is not None]
    shipped = {_name(path, shipped_templates()) for path in shipped_templates().rglob("*.j2")}
    problems += [
        Finding("templates", False, f"{name} has no sample data", "add its variables to bot/render/samples.py")
        for name in sorted(shipped - set(samples))
    ]
    if override is not None:
        problems += [
            Finding(
                "templates",
                False,
                f"{override / name} is not a template Warroom uses, so it changes nothing",
                "name it after the shipped template it replaces (see templates/ in Warroom's source), or remove it",
            )
            for name in sorted({_name(path, override) for path in override.rglob("*.j2")} - set(samples))
        ]
    if problems:
        return problems
    overridden = 0 if override is None else sum((override / name).is_file() for name in samples)
    source = f"{overridden} from WARROOM_TEMPLATES, the rest shipped" if override is not None else "all shipped"
    where = settings.warroom_playbook or "the shipped playbook"
    detail = (
        f"{where} with {len(playbook.severities)} severities ({', '.join(playbook.severities)}); "
        f"{len(samples)} templates render with sample data ({source})"
    )
    return [Finding("playbook and templates", True, detail)]


def ready_line(settings: Settings, report: Report) -> str:
    """One line saying Warroom is up: workspace, mode, mirror channel and database (never its password)."""
    workspace = report.identity.workspace if report.identity is not None else "an unknown workspace"
    mode = (
        f"Socket Mode (/healthz on port {settings.port})" if settings.socket_mode else f"HTTP on port {settings.port}"
    )
    mirror = settings.warroom_mirror_channel
    mirror = f"#{report.mirror_name} ({mirror})" if report.mirror_name and report.mirror_name != mirror else mirror
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"warroom: ready in {workspace}, {mode}, mirror channel {mirror}, database {database}"


# -- helpers ------------------------------------------------------------------------------------------------


def _client(settings: Settings, token: str) -> WebClient:
    return WebClient(
        token=token, base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT, retry_handlers=[], logger=_PROBE_LOG
    )


def _ask(call: Callable[[], SlackResponse]) -> SlackResponse | _NoAnswer:
    """Slack's answer, or why there was none."""
    try:
        return call()
    except SlackApiError as error:
        response = error.response
        code = response.get("error") if response is not None else None
        needed = response.get("needed") if response is not None else None
        reason = str(code or f"HTTP {getattr(response, 'status_code', '?')}")
        return _NoAnswer(f"{reason}: needs {needed}" if needed else reason, unreachable=False)
    except (OSError, SlackClientError) as error:
        return _NoAnswer(str(error) or type(error).__name__, unreachable=True)


def _header(response: SlackResponse, name: str) -> str | None:
    for key, value in (response.headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _refused_bot_token(answer: _NoAnswer) -> Finding:
    return Finding(
        "bot token",
        False,
        f"Slack refused SLACK_BOT_TOKEN ({answer.reason})",
        "copy the Bot User OAuth Token (xoxb-…) again from your app's OAuth & Permissions page, after installing "
        "the app to the workspace",
        blocks_start=True,
    )


def _unreachable(subject: str, settings: Settings, answer: _NoAnswer) -> Finding:
    return Finding(
        subject,
        False,
        f"{_UNREACHABLE} at {settings.slack_api_url} ({answer.reason})",
        "check SLACK_API_URL, the network and any proxy between Warroom and Slack",
        blocks_start=True,
    )


def _mirror_unknown(settings: Settings, answer: _NoAnswer) -> Finding:
    channel = settings.warroom_mirror_channel
    if answer.reason == "channel_not_found":
        detail = f"{channel} does not exist, or is a private channel Warroom is not in (channel_not_found)"
        fix = (
            "set WARROOM_MIRROR_CHANNEL to the channel's ID (channel name -> About -> Channel ID); "
            "for a private channel, /invite @Warroom there first"
        )
        return Finding("mirror channel", False, detail, fix)
    if answer.reason.startswith("missing_scope"):
        return Finding("mirror channel", False, f"Slack refused conversations.info ({answer.reason})", _REINSTALL)
    if answer.unreachable:
        return _unreachable("mirror channel", settings, answer)
    detail = f"Slack refused conversations.info on {channel} ({answer.reason})"
    return Finding("mirror channel", False, detail, "check WARROOM_MIRROR_CHANNEL and run warroom check again")


def _not_checked(subject: str, because: str) -> Finding:
    return Finding(subject, False, f"not checked: {because}", "fix the problem above first", checked=False)


def _render_problem(
    templates: Templates, name: str, contexts: list[dict[str, object]], override: Path | None
) -> Finding | None:
    """Why template `name` fails with its sample data, or None when it renders."""
    where = str(override / name) if override is not None and (override / name).is_file() else f"shipped {name}"
    passed = set(contexts[0])
    try:
        unknown = templates.variables(name) - passed
        if unknown:
            names = ", ".join(sorted(unknown))
            fix = f"use only the variables Warroom passes to {name}: {', '.join(sorted(passed))}"
            return Finding("templates", False, f"{where} uses {names}, which Warroom does not pass", fix)
        for context in contexts:
            templates.render(name, **context)
    except Exception as error:  # a team's template is foreign code: report whatever it raises, never crash
        detail = f"{where} does not render with sample data ({type(error).__name__}: {error})"
        return Finding("templates", False, detail, f"correct {where} and run warroom check again")
    return None


def _name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
