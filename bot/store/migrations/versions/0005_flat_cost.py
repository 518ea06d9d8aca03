"""flat cost as history grows: partial indexes for the hot queries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "state = 'pending'"
OPEN = "resolved_at IS NULL"
EMAIL_OWED = "email_text IS NOT NULL AND email_sent_at IS NULL AND email_reminded_at IS NULL"
POSTMORTEM_OWED = "resolved_at IS NOT NULL AND postmortem_url IS NULL"


def _partial(name: str, table: str, columns: list[str], condition: str) -> None:
    where = sa.text(condition)
    op.create_index(name, table, columns, unique=False, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    op.drop_index("ix_outbox_state_channel", table_name="outbox_message")
    _partial("ix_outbox_pending", "outbox_message", ["id"], PENDING)
    _partial("ix_outbox_pending_channel", "outbox_message", ["channel_id", "id"], PENDING)
    _partial("ix_outbox_pending_key", "outbox_message", ["message_key"], PENDING)
    _partial("ix_outbox_delivered_at", "outbox_message", ["delivered_at"], "state = 'delivered'")
    op.drop_index("ix_incident_open_due", table_name="incident")
    _partial("ix_incident_open", "incident", ["id"], OPEN)
    _partial("ix_incident_open_due", "incident", ["next_update_due_at"], OPEN)
    _partial("ix_incident_email_owed", "incident", ["resolved_at"], EMAIL_OWED)
    _partial("ix_incident_postmortem_owed", "incident", ["resolved_at"], POSTMORTEM_OWED)


def downgrade() -> None:
    op.drop_index("ix_incident_postmortem_owed", table_name="incident")
    op.drop_index("ix_incident_email_owed", table_name="incident")
    op.drop_index("ix_incident_open_due", table_name="incident")
    op.drop_index("ix_incident_open", table_name="incident")
    op.create_index("ix_incident_open_due", "incident", ["resolved_at", "next_update_due_at"], unique=False)
    op.drop_index("ix_outbox_delivered_at", table_name="outbox_message")
    op.drop_index("ix_outbox_pending_key", table_name="outbox_message")
    op.drop_index("ix_outbox_pending_channel", table_name="outbox_message")
    op.drop_index("ix_outbox_pending", table_name="outbox_message")
    op.create_index("ix_outbox_state_channel", "outbox_message", ["state", "channel_id", "id"], unique=False)
