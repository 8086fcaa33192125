"""Graded examples a person made belong to them

An example answer made from a person's answer ("I disagree", or a confirmed grade) gets that
person as its owner and is used only when grading their answers; examples from the notes stay
shared (no owner). Person-made examples whose answer is gone cannot be given an owner and
are dropped: shared, they would keep shaping (and being quoted on) other people's grades.

Revision ID: 0007_example_owner
Revises: 0006_review_fsrs
Create Date: 2026-11-26 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_example_owner"
down_revision: str | None = "0006_review_fsrs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("example_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE example_answer SET user_id = "
            "(SELECT answer.user_id FROM answer WHERE answer.id = example_answer.answer_id) "
            "WHERE answer_id IS NOT NULL"
        )
    )
    connection.execute(
        sa.text(
            "DELETE FROM example_answer WHERE user_id IS NULL "
            "AND source IN ('reviewed', 'override')"
        )
    )
    with op.batch_alter_table("example_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_example_answer_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_example_answer_user_id_user"),
            "user",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    """Revert this revision (person-made examples become shared again)."""
    with op.batch_alter_table("example_answer", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_example_answer_user_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_example_answer_user_id"))
        batch_op.drop_column("user_id")
