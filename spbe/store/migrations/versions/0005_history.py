"""officialresult: the ministry's published results of earlier years, per city and year

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import spbe.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officialresult",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("framework_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("index", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("predicate", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_officialresult_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officialresult")),
        sa.UniqueConstraint("city", "year", name=op.f("uq_officialresult_city_year")),
    )
    with op.batch_alter_table("officialresult", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officialresult_city"), ["city"], unique=False)
        batch_op.create_index(batch_op.f("ix_officialresult_cycle_id"), ["cycle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("officialresult", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officialresult_cycle_id"))
        batch_op.drop_index(batch_op.f("ix_officialresult_city"))
    op.drop_table("officialresult")
