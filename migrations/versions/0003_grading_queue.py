"""grading queue on answers, idempotency keys, heartbeats

Revision ID: 0003_grading_queue
Revises: 0003
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_grading_queue"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeat")),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("grader", sa.String(length=50), nullable=True))
        batch_op.add_column(
            sa.Column(
                "grading_state", sa.String(length=20), server_default="pending", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("grading_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("grading_lease_until", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_answer_grading_state"), ["grading_state"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_answer_idempotency_key"), ["idempotency_key"]
        )
    # Answers stored before the queue: graded ones are done, failed ones stay failed (with
    # their retry button), and the rest are graded by the first worker that runs.
    op.execute(
        "UPDATE answer SET grading_state = 'done' "
        "WHERE EXISTS (SELECT 1 FROM grade WHERE grade.answer_id = answer.id)"
    )
    op.execute(
        "UPDATE answer SET grading_state = 'failed', grading_attempts = 1 "
        "WHERE grading_state = 'pending' AND grading_error IS NOT NULL"
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_answer_idempotency_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_answer_grading_state"))
        batch_op.drop_column("grading_lease_until")
        batch_op.drop_column("grading_attempts")
        batch_op.drop_column("grading_state")
        batch_op.drop_column("grader")
        batch_op.drop_column("idempotency_key")
    op.drop_table("heartbeat")
