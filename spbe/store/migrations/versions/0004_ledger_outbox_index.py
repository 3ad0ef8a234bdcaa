"""index reminderledger.outbox_id: a sweep that refreshes queued reminders looks each one up by it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminderledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminderledger_outbox_id"), ["outbox_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminderledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminderledger_outbox_id"))
