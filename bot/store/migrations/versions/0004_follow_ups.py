"""follow ups after the outage

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:59:20.393982
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("email_sent_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("email_sent_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("email_reminded_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("credits", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("credits_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("credits_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("postmortem_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("postmortem_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("postmortem_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("postmortem_reminded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("postmortem_reminded_at")
        batch_op.drop_column("postmortem_at")
        batch_op.drop_column("postmortem_by")
        batch_op.drop_column("postmortem_url")
        batch_op.drop_column("credits_at")
        batch_op.drop_column("credits_by")
        batch_op.drop_column("credits")
        batch_op.drop_column("email_reminded_at")
        batch_op.drop_column("email_sent_by")
        batch_op.drop_column("email_sent_at")
        batch_op.drop_column("email_text")
