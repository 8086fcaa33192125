"""alternative reference answers and graded example answers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alternative_answers", sa.JSON(), nullable=False, server_default="[]")
        )
    op.create_table(
        "example_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answer.id"],
            name=op.f("fk_example_answer_answer_id_answer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_example_answer_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_answer")),
    )
    with op.batch_alter_table("example_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_example_answer_answer_id"), ["answer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_example_answer_question_id"), ["question_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("example_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_example_answer_question_id"))
        batch_op.drop_index(batch_op.f("ix_example_answer_answer_id"))
    op.drop_table("example_answer")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("alternative_answers")
