"""entries and keyed slack messages

Revision ID: 0002
Revises: 0001

Adds update-feed entries, and slack_message: where each keyed message (incident card, draft card,
entry post) landed, so that it is updated in place and never posted twice.
Create Date: 2026-11-22 05:21:07.079252
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_message",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("drafted_by", sa.String(length=32), nullable=True),
        sa.Column("drafted_at", UTCDateTime(), nullable=False),
        sa.Column("edited_by", sa.String(length=32), nullable=True),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("next_update_due_at", UTCDateTime(), nullable=True),
        sa.Column("corrected_by", sa.String(length=32), nullable=True),
        sa.Column("corrected_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_incident_id"), ["incident_id"], unique=False)

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_update_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("mirror_alerted", sa.Boolean(), nullable=False, server_default=sa.false()))

    # Incident cards become keyed messages: their ts moves to slack_message, their outbox rows become upserts.
    op.execute(
        "INSERT INTO slack_message (key, channel_id, ts, posted_at) "
        "SELECT 'incident:' || id || '\\:card', channel_id, card_ts, declared_at "
        "FROM incident WHERE card_ts IS NOT NULL"
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("card_ts")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("link_key", sa.String(length=80), nullable=True))
    op.execute(
        "UPDATE outbox_message SET purpose = 'upsert', message_key = 'incident:' || incident_id || '\\:card' "
        "WHERE purpose = 'card'"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("link_key")
        batch_op.drop_column("message_key")

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_ts", sa.VARCHAR(length=32), nullable=True))
        batch_op.drop_column("mirror_alerted")
        batch_op.drop_column("last_update_at")

    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_incident_id"))

    op.drop_table("entry")
    op.drop_table("slack_message")
