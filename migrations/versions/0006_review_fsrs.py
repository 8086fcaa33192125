"""FSRS review cards replace SM-2, a review log, per-user review preference

Existing SM-2 rows are rebuilt by replaying each user's graded answers of each question through
FSRS-6 (default parameters, desired retention 0.9, no learning steps, no fuzz), oldest first;
every replayed answer becomes a row of the review log. Follow-up answers are not reviews.

Revision ID: 0006_review_fsrs
Revises: 0005_accounts
Create Date: 2026-11-26 15:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006_review_fsrs"
down_revision: str | None = "0005_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rating scale as it stood at this revision (app/grading/base.py), frozen here so the
# migration replays the same way whatever the code says later.
_EASY_FROM, _CORRECT_FROM, _PARTIAL_FROM = 85.0, 60.0, 40.0
_STATES = {1: "learning", 2: "review", 3: "relearning"}


def _rating(score: float) -> int:
    if score >= _EASY_FROM:
        return 4
    if score >= _CORRECT_FROM:
        return 3
    if score >= _PARTIAL_FROM:
        return 2
    return 1


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "review_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("desired_retention", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_review_preference_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_review_preference")),
    )
    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answer.id"],
            name=op.f("fk_review_log_answer_id_answer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_review_log_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_review_log_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_log")),
    )
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_log_answer_id"), ["answer_id"], unique=False)
        batch_op.create_index("ix_review_log_user_question", ["user_id", "question_id"])
        batch_op.create_index("ix_review_log_user_reviewed_at", ["user_id", "reviewed_at"])

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="learning")
        )
        batch_op.add_column(sa.Column("stability", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("difficulty", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("last_review_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reps", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lapses", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_column("repetitions")
        batch_op.drop_column("ease")
        batch_op.drop_column("interval_days")
    _replay_answers()
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.alter_column("state", server_default=None)
        batch_op.alter_column("reps", server_default=None)
        batch_op.alter_column("lapses", server_default=None)


def _replay_answers() -> None:
    """Every graded answer to a bank question, per user and question, through FSRS."""
    from fsrs import Card, Rating, Scheduler

    bind = op.get_bind()
    meta = sa.MetaData()
    answer = sa.Table("answer", meta, autoload_with=bind)
    grade = sa.Table("grade", meta, autoload_with=bind)
    item = sa.Table("session_item", meta, autoload_with=bind)
    review = sa.Table("review", meta, autoload_with=bind)
    log = sa.Table("review_log", meta, autoload_with=bind)
    latest = (
        sa.select(grade.c.answer_id, sa.func.max(grade.c.id).label("grade_id"))
        .group_by(grade.c.answer_id)
        .subquery()
    )
    rows = bind.execute(
        sa.select(
            answer.c.id,
            answer.c.user_id,
            answer.c.question_id,
            answer.c.created_at,
            answer.c.time_taken_ms,
            grade.c.score,
        )
        .join(latest, latest.c.answer_id == answer.c.id)
        .join(grade, grade.c.id == latest.c.grade_id)
        .outerjoin(item, item.c.id == answer.c.session_item_id)
        .where(sa.or_(item.c.kind.is_(None), item.c.kind != "follow_up"))
        .order_by(answer.c.user_id, answer.c.question_id, answer.c.created_at, answer.c.id)
    ).all()
    scheduler = Scheduler(
        desired_retention=0.9, learning_steps=(), relearning_steps=(), enable_fuzzing=False
    )
    cards: dict[tuple[int, int], tuple[Card, int, int, float]] = {}
    logs = []
    for answer_id, user_id, question_id, created_at, taken_ms, score in rows:
        key = (user_id, question_id)
        card, reps, lapses, _ = cards.get(key, (Card(card_id=question_id), 0, 0, 0.0))
        rating = _rating(score)
        was_held = card.state.value == 2
        card, _ = scheduler.review_card(card, Rating(rating), created_at.replace(tzinfo=UTC))
        lapses += int(rating == 1 and was_held)
        cards[key] = (card, reps + 1, lapses, score)
        logs.append(
            {
                "user_id": user_id,
                "question_id": question_id,
                "answer_id": answer_id,
                "rating": rating,
                "score": score,
                "source": "grade",
                "reviewed_at": created_at,
                "duration_ms": taken_ms,
            }
        )
    if logs:
        bind.execute(log.insert(), logs)
    existing = {
        (user_id, question_id)
        for user_id, question_id in bind.execute(sa.select(review.c.user_id, review.c.question_id))
    }
    now = datetime.now(UTC).replace(tzinfo=None)
    for (user_id, question_id), (card, reps, lapses, score) in cards.items():
        values = {
            "state": _STATES[card.state.value],
            "stability": card.stability,
            "difficulty": card.difficulty,
            "due_at": card.due.replace(tzinfo=None),
            "last_review_at": card.last_review.replace(tzinfo=None) if card.last_review else None,
            "reps": reps,
            "lapses": lapses,
            "last_score": score,
            "updated_at": now,
        }
        if (user_id, question_id) in existing:
            bind.execute(
                review.update()
                .where(review.c.user_id == user_id, review.c.question_id == question_id)
                .values(**values)
            )
        else:
            bind.execute(review.insert().values(user_id=user_id, question_id=question_id, **values))


def downgrade() -> None:
    """Revert this revision (SM-2 state is approximated from the FSRS cards)."""
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("interval_days", sa.Double(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("ease", sa.Double(), nullable=False, server_default="2.5"))
        batch_op.add_column(
            sa.Column("repetitions", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE review SET interval_days = COALESCE(stability, 0), repetitions = reps - lapses"
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_column("lapses")
        batch_op.drop_column("reps")
        batch_op.drop_column("last_review_at")
        batch_op.drop_column("difficulty")
        batch_op.drop_column("stability")
        batch_op.drop_column("state")
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_index("ix_review_log_user_reviewed_at")
        batch_op.drop_index("ix_review_log_user_question")
        batch_op.drop_index(batch_op.f("ix_review_log_answer_id"))
    op.drop_table("review_log")
    op.drop_table("review_preference")
