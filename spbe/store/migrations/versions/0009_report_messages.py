"""report of record and what each queued message is about

`report.sent_at`: when a build was sent to leadership (the newest sent build is the report of record,
the one the final-report gate asks about). `outbox.about`: what a notice depends on besides its phase
and deadline version (an assignment, the decree), so that it is cancelled or rewritten when that
changes before it goes out. `outbox.attachments`: files an e-mail carries (the report).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import spbe.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", spbe.store.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("about", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("attachments")
        batch_op.drop_column("about")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
