"""Slack mrkdwn helpers: user text is escaped; only code-made mentions pass through."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.vocabulary import Channel, Said, User

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class Mrkdwn(str):
    """Text that is already safe mrkdwn (made by code, never typed by a person)."""

    __slots__ = ()


def escape(text: str) -> str:
    """Neutralise &, < and > so that typed text can never become a mention, link or broadcast."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe(value: object) -> str:
    """Escape a value unless it is code-made Mrkdwn."""
    if isinstance(value, Mrkdwn):
        return str(value)
    return escape(str(value))


def quote(text: str) -> Mrkdwn:
    """Typed text as a Slack block quote, every line escaped: it reads as quoted words, never as markup."""
    return Mrkdwn("\n".join(f">{escape(line)}" for line in text.splitlines() or [""]))


def unescape(text: str) -> str:
    """Turn Slack's escaped command text back into what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def is_user_id(value: str) -> bool:
    """True for a Slack user ID such as U0123ABC."""
    return bool(_USER_ID.match(value))


def mention(user_id: str) -> Mrkdwn:
    """A mention of one user, made from a validated user ID."""
    if not is_user_id(user_id):
        raise ValueError(f"not a user ID: {user_id!r}")
    return Mrkdwn(f"<@{user_id}>")


def group_mention(group_id: str) -> Mrkdwn:
    """A mention of a Slack user group, made from a validated group ID."""
    if not _GROUP_ID.match(group_id):
        raise ValueError(f"not a user group ID: {group_id!r}")
    return Mrkdwn(f"<!subteam^{group_id}>")


def email_link(address: str) -> Mrkdwn:
    """A mailto link, made from a validated email address."""
    if not _EMAIL.match(address):
        raise ValueError(f"not an email address: {address!r}")
    return Mrkdwn(f"<mailto:{address}|{address}>")


def channel_link(channel_id: str) -> Mrkdwn:
    """A link to a channel, made from a validated channel ID."""
    if not _CHANNEL_ID.match(channel_id):
        raise ValueError(f"not a channel ID: {channel_id!r}")
    return Mrkdwn(f"<#{channel_id}>")


def said(parts: Iterable[Said]) -> Mrkdwn:
    """Plain text with the people and channels it names, as mrkdwn: the text escaped, the references mentioned."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, User):
            out.append(mention(part.id))
        elif isinstance(part, Channel):
            out.append(channel_link(part.id))
        else:
            out.append(escape(part))
    return Mrkdwn("".join(out))


def clock_time(moment: datetime, zone: ZoneInfo) -> str:
    """A time as people read it in the playbook's zone: '14:30 UTC'."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


def day_and_time(moment: datetime, zone: ZoneInfo) -> str:
    """A date and time: '2026-11-22 14:30 UTC'."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def span(duration: timedelta) -> str:
    """A duration as people say it: '45 s', '5 min', '1 h 20 min'."""
    seconds = max(0, int(duration.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"
