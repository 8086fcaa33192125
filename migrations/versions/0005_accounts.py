"""accounts: passwords, sign-in sessions, an owner on banks, API keys and recordings

Existing single-user data goes to the first user (the legacy local user "me", created here
if rows need an owner and there is no user), who becomes the admin. Existing banks stay
private to that user except the shipped day-1 notes, which are published.

Revision ID: 0005_accounts
Revises: 0004
Create Date: 2026-11-26 15:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005_accounts"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCAL_USER = "me"
PUBLISHED_AT_MIGRATION = "day1.txt"
OWNED = ("source_file", "api_key", "recording")


def _first_user_id(connection: sa.Connection) -> int | None:
    """The first user's id, creating the local user when owned rows exist and no user does."""
    first = connection.execute(sa.text('SELECT min(id) FROM "user"')).scalar()
    if first is not None:
        return int(first)
    if not any(
        connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() for table in OWNED
    ):
        return None
    connection.execute(
        sa.text('INSERT INTO "user" (name, created_at, is_admin) VALUES (:name, :at, :admin)'),
        {"name": LOCAL_USER, "at": datetime.now(UTC).replace(tzinfo=None), "admin": True},
    )
    return int(connection.execute(sa.text('SELECT min(id) FROM "user"')).scalar_one())


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "sign_in_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_sign_in_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_session_token_hash")),
    )
    with op.batch_alter_table("sign_in_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_session_user_id"), ["user_id"], unique=False)

    connection = op.get_bind()
    first = _first_user_id(connection)
    if first is not None:
        connection.execute(
            sa.text('UPDATE "user" SET is_admin = :yes WHERE id = :id'),
            {
                "yes": True,
                "id": first,
            },
        )
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
    if first is not None:
        for table in ("source_file", "api_key"):
            connection.execute(sa.text(f"UPDATE {table} SET user_id = :id"), {"id": first})
        # A recording belongs to whoever gave the answer it became; loose ones to the first user.
        connection.execute(
            sa.text(
                "UPDATE recording SET user_id = coalesce("
                "(SELECT answer.user_id FROM answer WHERE answer.id = recording.answer_id), :id)"
            ),
            {"id": first},
        )

    with op.batch_alter_table("source_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    connection.execute(
        sa.text("UPDATE source_file SET published = :yes WHERE name = :name"),
        {"yes": True, "name": PUBLISHED_AT_MIGRATION},
    )
    with op.batch_alter_table("source_file", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_source_file_name"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_source_file_user_id"), ["user_id", "name"])
        batch_op.create_index(batch_op.f("ix_source_file_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_source_file_user_id_user"), "user", ["user_id"], ["id"]
        )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_api_key_name"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_api_key_user_id"), ["user_id", "name"])
        batch_op.create_index(batch_op.f("ix_api_key_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_api_key_user_id_user"), "user", ["user_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_recording_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_recording_user_id_user"),
            "user",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    """Revert this revision (banks of the same name owned by several users cannot be kept)."""
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_recording_user_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_recording_user_id"))
        batch_op.drop_column("user_id")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_key_user_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_api_key_user_id"))
        batch_op.drop_constraint(batch_op.f("uq_api_key_user_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_api_key_name"), ["name"])
        batch_op.drop_column("user_id")
    with op.batch_alter_table("source_file", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_source_file_user_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_source_file_user_id"))
        batch_op.drop_constraint(batch_op.f("uq_source_file_user_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_source_file_name"), ["name"])
        batch_op.drop_column("published")
        batch_op.drop_column("user_id")
    with op.batch_alter_table("sign_in_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_session_user_id"))
    op.drop_table("sign_in_session")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("is_admin")
        batch_op.drop_column("password_hash")
