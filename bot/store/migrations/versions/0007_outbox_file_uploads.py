"""file uploads are outbox rows: the file's name, title and content, and the upload an attempt reserved

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("file_title", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("file_content", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("file_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("file_id")
        batch_op.drop_column("file_content")
        batch_op.drop_column("file_title")
        batch_op.drop_column("file_name")
