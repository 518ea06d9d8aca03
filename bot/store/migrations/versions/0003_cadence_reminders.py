"""cadence reminders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:44:40.800240
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heads_up_sent_for", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("overdue_sent_for", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("escalated_for", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_incident_open_due", ["resolved_at", "next_update_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_open_due")
        batch_op.drop_column("escalated_for")
        batch_op.drop_column("overdue_sent_for")
        batch_op.drop_column("heads_up_sent_for")
