"""Finding a message Warroom may already have posted, by the key in its metadata."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import LOOKUP_PAGES

log = logging.getLogger(__name__)

METADATA_EVENT = "warroom_message"
# Slack will not take the channel's messages until someone invites Warroom: in a channel delivery waits for (the
# mirror), the row stays queued; anywhere else it is given up, so that it never holds up the rows behind it.
UNREACHABLE = {"channel_not_found", "not_in_channel", "is_archived"}
_PAGE_SIZE = 200  # messages a page, as Slack recommends
# Slack's clock and ours may disagree: read from this long before the row was written.
CLOCK_SKEW = timedelta(minutes=2)


class Unanswered(Exception):
    """A post or a share was sent but no answer came (a timeout, a dropped connection): Slack may still act on it."""


_Read = Callable[[str | None], Any]  # one page of messages from Slack, by cursor
_Match = Callable[[list[dict[str, Any]]], str | None]  # the ts of the message looked for, if among these


def already_posted(
    client: WebClient, channel: str, key: str, *, since: datetime, thread_ts: str | None
) -> tuple[str, str] | None:
    """After a timeout or a crash between posting and recording: where the message posted with `key` landed.

    A reply is looked for in its thread (conversations.replies, oldest first: conversations.history never shows a
    reply that was not also sent to the channel); anything else, or a reply whose thread is gone (Slack then posts
    it unthreaded), in the channel's history, newest first. Both read from the row's creation (less the clock
    skew), LOOKUP_PAGES pages in all. A DM is addressed by user ID, but is read on the D… channel conversations.open
    names. Without the scope to read, it says None, and the message is posted.
    """
    return _find(client, channel, key, lambda messages: _with_key(messages, key), since=since, thread_ts=thread_ts)


def already_shared(
    client: WebClient, channel: str, file_id: str, *, since: datetime, thread_ts: str | None
) -> tuple[str, str] | None:
    """After a share whose answer was lost: where the message carrying the file `file_id` landed, if it did.

    Looked for as `already_posted` looks for a message, by the file's ID among each message's files.
    """
    return _find(
        client, channel, file_id, lambda messages: _with_file(messages, file_id), since=since, thread_ts=thread_ts
    )


def _find(
    client: WebClient, channel: str, what: str, match: _Match, *, since: datetime, thread_ts: str | None
) -> tuple[str, str] | None:
    oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
    pages = LOOKUP_PAGES
    try:
        if channel.startswith(("U", "W")):
            channel = str(client.conversations_open(users=channel)["channel"]["id"])
        if thread_ts is not None:
            try:
                return _look(channel, what, pages, match, read=_replies(client, channel, thread_ts, oldest))
            except SlackApiError as error:
                if error_code(error) != "thread_not_found":
                    raise
                log.warning("outbox: the thread %s in %s is gone; looking in the channel itself", thread_ts, channel)
                pages -= 1
        return _look(channel, what, pages, match, read=_history(client, channel, oldest))
    except SlackApiError as error:
        if error_code(error) != "missing_scope":
            raise
        log.warning("outbox: can't read %s's messages (missing_scope: reinstall the app); posting", channel)
        return None


def error_code(error: SlackApiError) -> str:
    """Slack's error code in a refusal ("" when the answer names none)."""
    return str(error.response.get("error") or "") if error.response is not None else ""


def _look(channel: str, key: str, pages: int, match: _Match, *, read: _Read) -> tuple[str, str] | None:
    """Page through `read`, at most `pages` pages, for the message `match` picks (posted with `key`)."""
    cursor: str | None = None
    for _ in range(pages):
        response = read(cursor)
        found = match(response.get("messages") or [])
        if found is not None:
            return channel, found
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or cursor is None:
            return None
    log.warning("outbox: %s not in the %d messages read in %s; posting", key, pages * _PAGE_SIZE, channel)
    return None


def _replies(client: WebClient, channel: str, thread_ts: str, oldest: str) -> _Read:
    def read(cursor: str | None) -> Any:
        return client.conversations_replies(
            channel=channel, ts=thread_ts, limit=_PAGE_SIZE, oldest=oldest, cursor=cursor, include_all_metadata=True
        )

    return read


def _history(client: WebClient, channel: str, oldest: str) -> _Read:
    def read(cursor: str | None) -> Any:
        return client.conversations_history(
            channel=channel, limit=_PAGE_SIZE, oldest=oldest, cursor=cursor, include_all_metadata=True
        )

    return read


def _with_key(messages: list[dict[str, Any]], key: str) -> str | None:
    """The ts of the message Warroom posted with `key` in its metadata, if it is among `messages`."""
    for message in messages:
        metadata: dict[str, Any] = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == key:
            return str(message["ts"])
    return None


def _with_file(messages: list[dict[str, Any]], file_id: str) -> str | None:
    """The ts of the message that shared the file `file_id`, if it is among `messages`."""
    for message in messages:
        if any(shared.get("id") == file_id for shared in message.get("files") or []):
            return str(message["ts"])
    return None
