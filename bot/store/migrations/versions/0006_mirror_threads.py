"""the impact line, mirror threads, superseded drafts, rejection reasons and the briefing posted once

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import AUDIT_UNSETTLED, UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("impact", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("impact_proposed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("impact_proposed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("email_prevention", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("audit_settled_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("broadcast", sa.Boolean(), nullable=False, server_default=sa.false()))
    unsettled = sa.text(AUDIT_UNSETTLED)
    op.create_index(
        "ix_incident_audit_unsettled", "incident", ["resolved_at"], sqlite_where=unsettled, postgresql_where=unsettled
    )
    op.create_table(
        "mirror_briefing",
        sa.Column("digest", sa.String(length=64), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mirror_briefing")
    op.drop_index("ix_incident_audit_unsettled", table_name="incident")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("broadcast")
        batch_op.drop_column("thread_key")
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("reason")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("audit_settled_at")
        batch_op.drop_column("email_prevention")
        batch_op.drop_column("impact_proposed_by")
        batch_op.drop_column("impact_proposed")
        batch_op.drop_column("impact")
