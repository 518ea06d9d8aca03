"""webhook cursors: how far the timeline has been relayed to each endpoint

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_cursor",
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("started_after", sa.Integer(), nullable=False),
        sa.Column("relayed_to", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("endpoint"),
    )


def downgrade() -> None:
    op.drop_table("webhook_cursor")
