"""the public side: internal-only incidents, component marks, webhook events owed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("internal", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("components_proposed", sa.JSON(), nullable=True))
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("components", sa.JSON(), nullable=True))
    op.create_table(
        "incident_component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "name", name="uq_incident_component"),
    )
    op.create_index("ix_incident_component_incident_id", "incident_component", ["incident_id"])
    op.create_table(
        "webhook_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("timeline_event_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("endpoint", "timeline_event_id", name="uq_webhook_endpoint_event"),
    )
    op.create_index("ix_webhook_message_incident_id", "webhook_message", ["incident_id"])
    pending = sa.text("state = 'pending'")
    delivered = sa.text("state = 'delivered'")
    op.create_index(
        "ix_webhook_pending_endpoint",
        "webhook_message",
        ["endpoint", "id"],
        sqlite_where=pending,
        postgresql_where=pending,
    )
    op.create_index(
        "ix_webhook_delivered_at",
        "webhook_message",
        ["delivered_at"],
        sqlite_where=delivered,
        postgresql_where=delivered,
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_delivered_at", table_name="webhook_message")
    op.drop_index("ix_webhook_pending_endpoint", table_name="webhook_message")
    op.drop_index("ix_webhook_message_incident_id", table_name="webhook_message")
    op.drop_table("webhook_message")
    op.drop_index("ix_incident_component_incident_id", table_name="incident_component")
    op.drop_table("incident_component")
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_column("components")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("components_proposed")
        batch_op.drop_column("internal")
