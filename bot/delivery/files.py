"""Sharing an outbox row's file in its channel, once, in the three steps that files_upload_v2 takes."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.lookup import UNREACHABLE, Unanswered, already_shared, error_code
from bot.slack.uploads import upload_refused
from bot.store.models import OutboxMessage

log = logging.getLogger(__name__)


def share(
    client: WebClient, row: OutboxMessage, *, parent_ts: str | None, reserved: Callable[[str], None]
) -> tuple[str, str | None]:
    """Upload the row's file and share it; returns where it landed (its ts when Slack's answer already names it).

    The steps are taken one by one (not through files_upload_v2) so that `reserved` can record the reserved file's
    ID before it is shared: after a share whose answer was lost, the next attempt looks for a message carrying that
    file in the channel (or thread), and shares a new upload only if none is there.
    """
    if row.file_id is not None:  # an earlier attempt may have shared it without the answer reaching us
        found = already_shared(client, row.channel_id, row.file_id, since=row.created_at, thread_ts=parent_ts)
        if found is not None:
            log.info("outbox %s: file %s was already shared (ts %s); not sharing again", row.id, row.file_id, found[1])
            return found
    content = (row.file_content or "").encode()
    answer = client.files_getUploadURLExternal(filename=row.file_name or "file", length=len(content))
    file_id = str(answer["file_id"])
    reserved(file_id)
    _send_bytes(client, str(answer["upload_url"]), content)
    try:
        response = client.files_completeUploadExternal(
            files=[{"id": file_id, "title": row.file_title}],
            channel_id=row.channel_id,
            initial_comment=row.text or None,
            thread_ts=parent_ts,
        )
    except SlackApiError:
        raise
    except Exception as error:
        raise Unanswered() from error
    return row.channel_id, _share_ts(response.get("files") or [], row.channel_id)


def refusal_for_requester(row: OutboxMessage, refusal: SlackApiError) -> str:
    """The DM for the person who asked for the file: Slack refused it for good, and what fixes that."""
    where = f"<#{row.channel_id}>"
    unreachable = error_code(refusal) in UNREACHABLE  # then nothing else reached the channel either
    return upload_refused(
        refusal,
        what=f"the file “{row.file_title}”",
        where=where,
        kept=f"Until then Warroom can post nothing in {where}"
        if unreachable
        else f"The message Warroom posted with it in {where} has the same text",
        again="ask for it again",
    )


def _send_bytes(client: WebClient, url: str, content: bytes) -> None:
    """Send the file's bytes to the URL Slack reserved for them (step two of an upload)."""
    request = urllib.request.Request(url, data=content, method="POST")
    with urllib.request.urlopen(request, timeout=client.timeout, context=client.ssl) as answer:
        if answer.status != 200:
            raise OSError(f"the upload URL answered HTTP {answer.status}")


def _share_ts(files: list[dict[str, Any]], channel: str) -> str | None:
    """The ts of the message that shared the file in `channel`, when Slack's answer already names it.

    Slack shares a file asynchronously: the answer to files.completeUploadExternal often has no shares yet.
    """
    shares = (files[0].get("shares") or {}) if files else {}
    for where in ("public", "private"):
        found = (shares.get(where) or {}).get(channel) or []
        if found:
            return str(found[0].get("ts") or "") or None
    return None
