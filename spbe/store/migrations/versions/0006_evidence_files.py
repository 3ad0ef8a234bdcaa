"""evidencefile: uploaded evidence, stored by content hash

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import spbe.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidencefile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("opd_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("stored_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stored_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_evidencefile_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidencefile")),
        sa.UniqueConstraint("cycle_id", "sha256", name=op.f("uq_evidencefile_cycle_id_sha256")),
    )
    with op.batch_alter_table("evidencefile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidencefile_cycle_id"), ["cycle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidencefile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidencefile_cycle_id"))
    op.drop_table("evidencefile")
