"""Writing to the outbox, and claiming and settling its rows atomically."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, literal_column, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from bot.render.blocks import Message
from bot.store.models import DELIVERED, FAILED, PENDING, Incident, OutboxMessage, SlackMessage

POST = "post"
UPSERT = "upsert"
EPHEMERAL = "ephemeral"


def enqueue(
    session: Session,
    message: Message,
    *,
    incident_id: int,
    channel_id: str,
    at: datetime,
    key: str | None = None,
    user_id: str | None = None,
    link_key: str | None = None,
) -> OutboxMessage:
    """Owe Slack a message, in the caller's transaction.

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
        purpose=purpose,
        text=message.text,
        blocks=message.blocks,
        created_at=at,
        next_attempt_at=at,
    )
    session.add(row)
    return row


def _pending(row: type[OutboxMessage]) -> ColumnElement[bool]:
    # A literal, not a bound parameter: only then can the planners prove the partial indexes' condition.
    return col(row.state) == literal_column(f"'{PENDING}'")


def ready(session: Session, *, now: datetime, limit: int = 20) -> list[int]:
    """Rows due now whose channel has no older undelivered row (and whose linked message exists), oldest first."""
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
    query = (
        select(col(OutboxMessage.id))
        .where(
            _pending(OutboxMessage),
            col(OutboxMessage.next_attempt_at) <= now,
            _unclaimed(now),
            ~blocked,
            ~link_pending,
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    return [row_id for (row_id,) in session.execute(query)]


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    lease = col(OutboxMessage.claimed_until)
    return or_(lease.is_(None), lease < now)


def claim(session: Session, row_ids: list[int], *, now: datetime, lease: timedelta) -> list[int]:
    """Take rows for delivery, except those another worker holds; counts the attempt. Returns the rows taken.

    Due-ness is checked again: another worker may have put a row back to wait (a 429's Retry-After, a back-off)
    since `ready` listed it.
    """
    if not row_ids:
        return []
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(row_ids),
            col(OutboxMessage.state) == PENDING,
            col(OutboxMessage.next_attempt_at) <= now,
            _unclaimed(now),
        )
        .values(claimed_until=now + lease, attempts=col(OutboxMessage.attempts) + 1)
        .returning(col(OutboxMessage.id))
    )
    return sorted(row_id for (row_id,) in result)


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
    row.last_error = error[:200]
    session.add(row)


def give_up(session: Session, row: OutboxMessage, *, error: str) -> None:
    """Stop trying a row that can never succeed (an ephemeral for someone who left, say)."""
    row.state = FAILED
    row.claimed_until = None
    row.last_error = error[:200]
    session.add(row)


def landed(session: Session, key: str) -> SlackMessage | None:
    """Where the keyed message landed, if it has been posted."""
    return session.get(SlackMessage, key)


def record_landing(session: Session, *, key: str, channel_id: str, ts: str, at: datetime) -> None:
    """Remember where a keyed message landed."""
    session.merge(SlackMessage(key=key, channel_id=channel_id, ts=ts, posted_at=at))


def prune(session: Session, *, before: datetime, batch: int = 500) -> int:
    """Delete up to `batch` rows delivered before `before`, of incidents resolved before it; returns how many.

    A keyed row goes only once its landing is in slack_message, which stays, so the message can still be updated
    in place. Rows another replica is pruning are skipped, not waited for.
    """
    landing = exists().where(col(SlackMessage.key) == col(OutboxMessage.message_key))
    query = (
        select(col(OutboxMessage.id))
        .join(Incident, col(Incident.id) == col(OutboxMessage.incident_id))
        .where(
            col(OutboxMessage.state) == literal_column(f"'{DELIVERED}'"),
            col(OutboxMessage.delivered_at) < before,
            col(Incident.resolved_at) < before,
            or_(col(OutboxMessage.message_key).is_(None), landing),
        )
        .order_by(col(OutboxMessage.delivered_at))
        .limit(batch)
        .with_for_update(of=OutboxMessage, skip_locked=True)
    )
    row_ids = [row_id for (row_id,) in session.execute(query)]
    if row_ids:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(row_ids)))
    return len(row_ids)
