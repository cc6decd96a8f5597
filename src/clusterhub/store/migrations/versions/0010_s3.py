"""s3

Smart Specialisation (issue 14): regional strategies per programming period, their priorities
coded on the three Eye@RIS3 axes (NACE Rev.2, Fields of Science, policy objectives) and mapped
to cluster categories with a coding status, and thematic S3 partnerships with their lead and
member regions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: Created in this order (each after the tables it refers to); dropped in reverse.
TABLES = ("s3_partnerships", "s3_strategies", "s3_partnership_regions", "s3_priorities")


def upgrade() -> None:
    op.create_table(
        "s3_partnerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("platform", sa.String(length=200), nullable=False),
        sa.Column("thematic_area", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_s3_partnerships")),
        sa.UniqueConstraint("name", name=op.f("uq_s3_partnerships_name")),
    )
    with op.batch_alter_table("s3_partnerships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_s3_partnerships_platform"), ["platform"], unique=False)

    op.create_table(
        "s3_strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_s3_strategies")),
        sa.UniqueConstraint("region_code", "period", name=op.f("uq_s3_strategies_region_code")),
    )
    with op.batch_alter_table("s3_strategies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_s3_strategies_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_s3_strategies_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "s3_partnership_regions",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["s3_partnerships.id"],
            name=op.f("fk_s3_partnership_regions_partnership_id_s3_partnerships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "partnership_id", "region_code", name=op.f("pk_s3_partnership_regions")
        ),
    )
    with op.batch_alter_table("s3_partnership_regions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_s3_partnership_regions_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "s3_priorities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("nace_codes", sa.JSON(), nullable=False),
        sa.Column("fos_codes", sa.JSON(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("cluster_codes", sa.JSON(), nullable=False),
        sa.Column("cluster_edits", sa.JSON(), nullable=False),
        sa.Column("coding_status", sa.String(length=16), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=False),
        sa.Column("coded_by", sa.Integer(), nullable=True),
        sa.Column("coded_by_actor", sa.String(length=128), nullable=True),
        sa.Column("coded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["coded_by"],
            ["users.id"],
            name=op.f("fk_s3_priorities_coded_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["s3_strategies.id"],
            name=op.f("fk_s3_priorities_strategy_id_s3_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_s3_priorities")),
        sa.UniqueConstraint("strategy_id", "position", name=op.f("uq_s3_priorities_strategy_id")),
    )
    with op.batch_alter_table("s3_priorities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_s3_priorities_coding_status"), ["coding_status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_s3_priorities_strategy_id"), ["strategy_id"], unique=False
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
