"""items pipeline: supporting OPDs, item owners, aimed levels, item answers and reviews, external values

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import spbe.store.types


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aimedlevel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("indicator_number", sa.Integer(), nullable=False),
        sa.Column("opd_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("stated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("stated_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_aimedlevel_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aimedlevel")),
    )
    with op.batch_alter_table("aimedlevel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aimedlevel_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "externalvalue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("indicator_number", sa.Integer(), nullable=False),
        sa.Column("source_value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_externalvalue_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_externalvalue")),
    )
    with op.batch_alter_table("externalvalue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_externalvalue_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "itemanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator_number", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("opd_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("submitted_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_itemanswer_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_itemanswer")),
        sa.UniqueConstraint("cycle_id", "item_code", "version", name=op.f("uq_itemanswer_cycle_id_item_code_version")),
    )
    with op.batch_alter_table("itemanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_itemanswer_cycle_id"), ["cycle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_itemanswer_item_code"), ["item_code"], unique=False)

    op.create_table(
        "itemowner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("opd_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("assigned_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("assigned_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_itemowner_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_itemowner")),
        sa.UniqueConstraint("cycle_id", "item_code", name=op.f("uq_itemowner_cycle_id_item_code")),
    )
    with op.batch_alter_table("itemowner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_itemowner_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "supportingopd",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("indicator_number", sa.Integer(), nullable=False),
        sa.Column("opd_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("assigned_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("assigned_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_supportingopd_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supportingopd")),
        sa.UniqueConstraint(
            "cycle_id", "indicator_number", "opd_code", name=op.f("uq_supportingopd_cycle_id_indicator_number_opd_code")
        ),
    )
    with op.batch_alter_table("supportingopd", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supportingopd_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "itemreview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("reviewer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reviewed_at", spbe.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["answer_id"], ["itemanswer.id"], name=op.f("fk_itemreview_answer_id_itemanswer")),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_itemreview_cycle_id_cycle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_itemreview")),
    )
    with op.batch_alter_table("itemreview", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_itemreview_answer_id"), ["answer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_itemreview_cycle_id"), ["cycle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("itemreview", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_itemreview_cycle_id"))
        batch_op.drop_index(batch_op.f("ix_itemreview_answer_id"))

    op.drop_table("itemreview")
    with op.batch_alter_table("supportingopd", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supportingopd_cycle_id"))

    op.drop_table("supportingopd")
    with op.batch_alter_table("itemowner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_itemowner_cycle_id"))

    op.drop_table("itemowner")
    with op.batch_alter_table("itemanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_itemanswer_item_code"))
        batch_op.drop_index(batch_op.f("ix_itemanswer_cycle_id"))

    op.drop_table("itemanswer")
    with op.batch_alter_table("externalvalue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_externalvalue_cycle_id"))

    op.drop_table("externalvalue")
    with op.batch_alter_table("aimedlevel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aimedlevel_cycle_id"))

    op.drop_table("aimedlevel")
