"""Spaced-repetition scheduling of reviews (SM-2), updated after every grade."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Review, utcnow

MIN_EASE = 1.3


def record_review(
    *, session: Session, user_id: int, question_id: int, score: float, now: datetime | None = None
) -> Review:
    """Reschedule a question after a graded answer: good answers push it further out."""
    now = now or utcnow()
    review = session.scalar(
        select(Review).where(Review.user_id == user_id, Review.question_id == question_id)
    )
    if review is None:
        review = Review(
            user_id=user_id,
            question_id=question_id,
            due_at=now,
            interval_days=0.0,
            ease=2.5,
            repetitions=0,
        )
        session.add(review)
    quality = max(0.0, min(5.0, score / 20.0))
    if quality < 3:
        review.repetitions = 0
        review.interval_days = 1.0
    else:
        review.repetitions += 1
        if review.repetitions == 1:
            review.interval_days = 1.0
        elif review.repetitions == 2:
            review.interval_days = 6.0
        else:
            review.interval_days = round(review.interval_days * review.ease, 2)
    review.ease = max(MIN_EASE, review.ease + 0.1 - (5 - quality) * (0.08 + (5 - quality) * 0.02))
    review.last_score = score
    review.due_at = now + timedelta(days=review.interval_days)
    session.flush()
    return review


def due_question_ids(*, session: Session, user_id: int, now: datetime | None = None) -> list[int]:
    """Questions whose review is due, most overdue first."""
    now = now or utcnow()
    rows = session.scalars(
        select(Review.question_id)
        .where(Review.user_id == user_id, Review.due_at <= now)
        .order_by(Review.due_at)
    )
    return list(rows)
