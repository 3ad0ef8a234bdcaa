"""portalgrant: generations and revocations of the portal's personal links

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import spbe.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portalgrant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("revoked_at", spbe.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_portalgrant_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalgrant")),
        sa.UniqueConstraint("cycle_id", "kind", "subject", name=op.f("uq_portalgrant_cycle_id_kind_subject")),
    )
    with op.batch_alter_table("portalgrant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portalgrant_cycle_id"), ["cycle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portalgrant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portalgrant_cycle_id"))
    op.drop_table("portalgrant")
