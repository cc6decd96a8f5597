"""index changes

A log of which profiles each generation of the directory's counter changed, so that a process
brings its search catalogue up to date by reading those profiles only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_changes")),
    )
    op.create_index(
        "ix_index_changes_name_generation", "index_changes", ["name", "generation"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_index_changes_name_generation", table_name="index_changes")
    op.drop_table("index_changes")
