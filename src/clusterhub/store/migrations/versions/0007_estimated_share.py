"""estimated share

How much of a cluster cell is estimated: ``apportioned_share`` (industry codes shared among
the classes of the clusters by a key) and ``estimated_share`` (filled or apportioned; see
``docs/methodology/missing-cells.md``). Rows loaded before this revision get null and are
treated as measured until their data set is rebuilt.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cluster_metrics") as batch:
        batch.add_column(sa.Column("apportioned_share", sa.Float(), nullable=True))
        batch.add_column(sa.Column("estimated_share", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cluster_metrics") as batch:
        batch.drop_column("estimated_share")
        batch.drop_column("apportioned_share")
