"""Writing to the outbox, and claiming and settling its rows atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from bot.store.models import (
    DELIVERED,
    FAILED,
    LAST_ERROR_LIMIT,
    PENDING,
    Incident,
    OutboxMessage,
    SlackMessage,
    UTCDateTime,
)

POST = "post"
UPSERT = "upsert"
EPHEMERAL = "ephemeral"
UPLOAD = "upload"


@dataclass(frozen=True)
class FileUpload:
    """A file to share in a channel: its name, title and content, and the message that introduces it."""

    name: str
    title: str
    content: str
    comment: str


def enqueue(
    session: Session,
    *,
    text: str,
    blocks: list[dict[str, Any]],
    incident_id: int,
    channel_id: str,
    at: datetime,
    key: str | None = None,
    user_id: str | None = None,
    link_key: str | None = None,
    thread_key: str | None = None,
    broadcast: bool = False,
) -> OutboxMessage:
    """Owe Slack a message (its text, and its Block Kit blocks as dicts), in the caller's transaction.

    With `key`, the message is one logical message: posted the first time, updated in place afterwards.
    With `user_id`, it is an ephemeral message for that person. With `link_key`, a link to that keyed
    message is added when it is delivered (and delivery waits until that message exists).
    """
    purpose = EPHEMERAL if user_id is not None else UPSERT if key is not None else POST
    row = OutboxMessage(
        incident_id=incident_id,
        channel_id=channel_id,
        user_id=user_id,
        message_key=key,
        link_key=link_key,
        thread_key=thread_key,
        broadcast=broadcast,
        purpose=purpose,
        text=text,
        blocks=blocks,
        created_at=at,
        next_attempt_at=at,
    )
    session.add(row)
    return row


def enqueue_upload(
    session: Session,
    upload: FileUpload,
    *,
    incident_id: int,
    channel_id: str,
    requested_by: str,
    at: datetime,
    thread_key: str | None = None,
) -> OutboxMessage:
    """Owe Slack a file shared in `channel_id` (in the thread of `thread_key`'s message, if given).

    It is delivered in the channel's order like any message; `requested_by` is told by DM if Slack refuses it
    for good. A file goes to a channel, never to a user ID: an attempt's calls then fit in CALLS_PER_ATTEMPT.
    """
    if channel_id.startswith(("U", "W")):
        raise ValueError(f"a file is shared in a channel, not sent to a user ID ({channel_id})")
    row = OutboxMessage(
        incident_id=incident_id,
        channel_id=channel_id,
        user_id=requested_by,
        thread_key=thread_key,
        purpose=UPLOAD,
        text=upload.comment,
        blocks=[],
        file_name=upload.name,
        file_title=upload.title,
        file_content=upload.content,
        created_at=at,
        next_attempt_at=at,
    )
    session.add(row)
    return row


def reserved(session: Session, row: OutboxMessage, *, file_id: str) -> None:
    """Remember the upload this attempt reserved, before sharing it, so a lost answer can be looked for."""
    row.file_id = file_id
    session.add(row)


def _pending(row: type[OutboxMessage]) -> ColumnElement[bool]:
    # A literal, not a bound parameter: only then can the planners prove the partial indexes' condition.
    return col(row.state) == literal_column(f"'{PENDING}'")


def ready(session: Session, *, now: datetime, limit: int = 20) -> list[int]:
    """Rows due now whose channel has no older undelivered row (and whose linked message exists), oldest first."""
    return [row_id for (row_id,) in session.execute(_READY, {"now": now, "limit": limit})]


def _ready_query() -> Select[int | None]:
    # Built once: constructing the aliased EXISTS subqueries (and their cache key) on every delivery wake cost
    # more CPU than running the query. `now` and the limit are bound at execution.
    now = bindparam("now", type_=UTCDateTime())
    older = aliased(OutboxMessage)
    blocked = exists().where(
        and_(
            col(older.channel_id) == col(OutboxMessage.channel_id),
            col(older.id) < col(OutboxMessage.id),
            _pending(older),
        )
    )
    linked = aliased(OutboxMessage)
    link_pending = exists().where(  # wait for the message this one links to, unless it has failed for good
        and_(col(linked.message_key) == col(OutboxMessage.link_key), _pending(linked))
    )
    return (
        select(col(OutboxMessage.id))
        .where(
            _pending(OutboxMessage),
            col(OutboxMessage.next_attempt_at) <= now,
            _unclaimed(now),
            ~blocked,
            ~link_pending,
        )
        .order_by(col(OutboxMessage.id))
        .limit(bindparam("limit", type_=Integer()))
    )


def _unclaimed(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    lease = col(OutboxMessage.claimed_until)
    return or_(lease.is_(None), lease < now)


_READY = _ready_query()
# claim and still_held run for every row delivered: their statements too are built once, their values bound.
# Both run first in their session (nothing loaded to keep in step) and their callers load the rows afterwards.
_NOW, _HELD_UNTIL = bindparam("now", type_=UTCDateTime()), bindparam("held_until", type_=UTCDateTime())
_CLAIM = (
    update(OutboxMessage)
    .where(
        col(OutboxMessage.id).in_(bindparam("ids", expanding=True)),
        col(OutboxMessage.state) == PENDING,
        col(OutboxMessage.next_attempt_at) <= _NOW,
        _unclaimed(_NOW),
    )
    .values(claimed_until=bindparam("lease_until", type_=UTCDateTime()), attempts=col(OutboxMessage.attempts) + 1)
    .returning(col(OutboxMessage.id))
    .execution_options(synchronize_session=False)
)
_STILL_HELD = (
    update(OutboxMessage)
    .where(
        col(OutboxMessage.id) == bindparam("row_id", type_=Integer()),
        col(OutboxMessage.state) == PENDING,
        col(OutboxMessage.claimed_until) == _HELD_UNTIL,
    )
    .values(claimed_until=_HELD_UNTIL)
    .returning(col(OutboxMessage.id))
    .execution_options(synchronize_session=False)
)


def claim(session: Session, row_ids: list[int], *, now: datetime, lease: timedelta) -> list[int]:
    """Take rows for delivery, except those another worker holds; counts the attempt. Returns the rows taken.

    Due-ness is checked again: another worker may have put a row back to wait (a 429's Retry-After, a back-off)
    since `ready` listed it.
    """
    if not row_ids:
        return []
    result = session.execute(_CLAIM, {"ids": row_ids, "now": now, "lease_until": now + lease})
    return sorted(row_id for (row_id,) in result)


def still_held(session: Session, row_id: int, *, until: datetime) -> OutboxMessage | None:
    """The row, locked for settling, while the lease this worker took (`until`) is still the row's; else None.

    A worker whose lease ran out and whose row another worker has since claimed (or settled) must not record
    anything over it. A lease that ran out with nobody else claiming the row is still this worker's to settle.
    """
    held = session.execute(_STILL_HELD, {"row_id": row_id, "held_until": until}).first()
    if held is None:
        return None
    return session.get(OutboxMessage, row_id, populate_existing=True)


def delivered(session: Session, row: OutboxMessage, *, now: datetime, ts: str | None) -> None:
    """Record that Slack has the message."""
    row.state = DELIVERED
    row.delivered_at = now
    row.ts = ts
    row.claimed_until = None
    row.last_error = None
    session.add(row)


def retry_later(session: Session, row: OutboxMessage, *, at: datetime, error: str) -> None:
    """Give the row back to be tried again at `at`."""
    row.next_attempt_at = at
    row.claimed_until = None
    row.last_error = error[:LAST_ERROR_LIMIT]
    session.add(row)


def give_up(session: Session, row: OutboxMessage, *, error: str) -> None:
    """Stop trying a row that can never succeed (an ephemeral for someone who left, say)."""
    row.state = FAILED
    row.claimed_until = None
    row.last_error = error[:LAST_ERROR_LIMIT]
    session.add(row)


def landed(session: Session, key: str) -> SlackMessage | None:
    """Where the keyed message landed, if it has been posted."""
    return session.get(SlackMessage, key)


def record_landing(session: Session, *, key: str, channel_id: str, ts: str, at: datetime) -> None:
    """Remember where a keyed message landed."""
    session.merge(SlackMessage(key=key, channel_id=channel_id, ts=ts, posted_at=at))


def prune(session: Session, *, before: datetime, after: datetime | None = None, batch: int = 500) -> Pruned:
    """Delete the next `batch` rows delivered before `before` (after `after`) that are safe to forget."""
    # Safe: the incident was resolved before `before` too, and a keyed row's landing is in slack_message (which
    # stays), so the message can still be updated in place. Rows another replica holds are skipped, not awaited.
    # Each step is a lookup by index whatever the statistics: a join or an EXISTS here could become a hash of the
    # whole slack_message table.
    delivered_at = col(OutboxMessage.delivered_at)
    query = select(col(OutboxMessage.id), col(OutboxMessage.incident_id), col(OutboxMessage.message_key), delivered_at)
    query = query.where(col(OutboxMessage.state) == literal_column(f"'{DELIVERED}'"), delivered_at < before)
    if after is not None:
        query = query.where(delivered_at > after)
    rows = list(session.execute(query.order_by(delivered_at).limit(batch).with_for_update(skip_locked=True)))
    if not rows:
        return Pruned(deleted=0, last=None)
    incidents = {incident_id for _, incident_id, _, _ in rows}
    resolved = _existing(session, col(Incident.id), incidents, col(Incident.resolved_at) < before)
    landed = _existing(session, col(SlackMessage.key), {key for _, _, key, _ in rows if key is not None})
    doomed = [
        row_id for row_id, incident_id, key, _ in rows if incident_id in resolved and (key is None or key in landed)
    ]
    if doomed:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(doomed)))
    return Pruned(deleted=len(doomed), last=rows[-1][3])


def _existing(session: Session, column: Any, values: set[Any], *where: ColumnElement[bool]) -> set[Any]:
    """Which of `values` are in `column`, looked up a few at a time (a long IN list can tempt a full scan)."""
    ordered, found = sorted(values), set()
    for start in range(0, len(ordered), _LOOKUPS):
        found |= set(session.scalars(select(column).where(column.in_(ordered[start : start + _LOOKUPS]), *where)))
    return found


_LOOKUPS = 20


@dataclass(frozen=True)
class Pruned:
    """What one pruning batch did: rows deleted, and the delivery time to go on after."""

    deleted: int
    last: datetime | None
