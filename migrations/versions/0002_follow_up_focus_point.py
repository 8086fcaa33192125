"""follow-up focus point

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:32:15.501809
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("session_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("focus_point", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("session_item", schema=None) as batch_op:
        batch_op.drop_column("focus_point")
