"""audit actor and label review

Every audit row names its actor (``user:<id>``, ``cli:<OS user>``, ``system:<task>``,
``anonymous``); rows written before this revision get ``user:<id>`` or ``anonymous`` from their
``user_id``. A profile's excellence label gets a review state: every stored label starts as
``declared``, since nobody has verified one yet.

Revision ID: 0005
Revises: 0003 (rechained after 0004 at merge)
Create Date: 2026-12-04 09:12:59.392135
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=128), nullable=True))
    audit = sa.table("audit_log", sa.column("user_id", sa.Integer), sa.column("actor", sa.String))
    op.execute(
        audit.update().values(
            actor=sa.case(
                (audit.c.user_id.is_(None), sa.literal("anonymous")),
                else_=sa.literal("user:") + sa.cast(audit.c.user_id, sa.String),
            )
        )
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("actor", existing_type=sa.String(length=128), nullable=False)
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index("ix_audit_log_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "label_review", sa.String(length=16), server_default="declared", nullable=False
            )
        )
        batch_op.add_column(sa.Column("label_reviewed_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("label_reviewed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("label_review_note", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_organisations_label_review"), ["label_review"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_organisations_label_reviewed_by_users"),
            "users",
            ["label_reviewed_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_organisations_label_reviewed_by_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_organisations_label_review"))
        batch_op.drop_column("label_review_note")
        batch_op.drop_column("label_reviewed_at")
        batch_op.drop_column("label_reviewed_by")
        batch_op.drop_column("label_review")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_user_id"))
        batch_op.drop_index("ix_audit_log_entity")
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))
        batch_op.drop_column("actor")
