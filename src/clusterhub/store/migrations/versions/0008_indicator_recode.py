"""indicator recode

How an indicator value given under an older NUTS code was carried to its NUTS 2021 region
(``indicator_values.nuts_recode``, see ``docs/methodology/nuts-recoding.md``); null for values
given under their own code, which every row stored before this revision was.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indicator_values") as batch:
        batch.add_column(sa.Column("nuts_recode", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicator_values") as batch:
        batch.drop_column("nuts_recode")
