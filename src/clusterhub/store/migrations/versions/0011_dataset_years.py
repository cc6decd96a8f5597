"""dataset years

What a cluster map's years are and how its growth reads (issue 15, time series): the years it
holds, the period of its growth rates, and the years where its data pass from one published
data set to the next (``datasets.years``, ``growth_years``, ``series_breaks``). Null for data
sets loaded before this revision: pages then read the years off the metrics and take the
default period of five years.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("years", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("growth_years", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("series_breaks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("series_breaks")
        batch.drop_column("growth_years")
        batch.drop_column("years")
