"""Spaced review with FSRS: one card per user and question, a review log, and the due queue.

Every graded answer to a bank question is a review: its score earns a rating on the shared
scale (`grading.base.rating_for`), the rating moves the card. The log keeps each review so a
card can be rebuilt by replaying it (after an override, or a migration) and so the optimizer
can fit a person's own parameters. Learning steps are off: an interview answer is not a flash
card to see again in ten minutes, so a first review goes straight to a schedule in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal, cast

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.grading.base import ReviewRating, rating_for
from app.material.bank import visible_to
from app.models import Part, Question, Review, ReviewLog, ReviewPreference, Topic, utcnow
from app.practice.errors import PracticeError

DEFAULT_RETENTION = 0.9
MIN_RETENTION, MAX_RETENTION = 0.70, 0.97
# The optimizer needs this many reviews before it can fit parameters (fsrs[optimizer]).
OPTIMIZER_MIN_REVIEWS = 512
# A card held this long (stability, in days) counts as mastered on the progress page.
MASTERED_STABILITY_DAYS = 21.0

ReviewSource = Literal["grade", "self", "skip"]
CardState = Literal["learning", "review", "relearning"]

RATINGS: dict[ReviewRating, Rating] = {
    "again": Rating.Again,
    "hard": Rating.Hard,
    "good": Rating.Good,
    "easy": Rating.Easy,
}
STATES: dict[State, CardState] = {
    State.Learning: "learning",
    State.Review: "review",
    State.Relearning: "relearning",
}
STATE_OF: dict[str, State] = {name: state for state, name in STATES.items()}


class RetentionError(PracticeError):
    """A desired retention outside the bounds FSRS schedules sensibly."""


@lru_cache(maxsize=64)
def scheduler_for(desired_retention: float = DEFAULT_RETENTION) -> Scheduler:
    """The FSRS-6 scheduler for a retention: default parameters, no learning steps, no fuzz.

    No fuzz: the same history always gives the same schedule, so replays, imports and the
    migration from SM-2 are exact.
    """
    return Scheduler(
        desired_retention=desired_retention,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def card_of(review: Review) -> Card:
    """The FSRS card a stored review row holds."""
    return Card(
        card_id=review.question_id,
        state=STATE_OF[review.state],
        step=None if review.stability is not None else 0,
        stability=review.stability,
        difficulty=review.difficulty,
        due=_aware(review.due_at),
        last_review=_aware(review.last_review_at) if review.last_review_at else None,
    )


def _store_card(review: Review, card: Card) -> None:
    review.state = STATES[card.state]
    review.stability = card.stability
    review.difficulty = card.difficulty
    review.due_at = _naive(card.due)
    review.last_review_at = _naive(card.last_review) if card.last_review else None


def retrievability(review: Review, *, now: datetime, desired_retention: float) -> float:
    """The predicted chance of recalling the answer at `now` (0 for a card never reviewed)."""
    if review.stability is None or review.last_review_at is None:
        return 0.0
    return float(
        scheduler_for(desired_retention).get_card_retrievability(card_of(review), _aware(now))
    )


def desired_retention(*, session: Session, user_id: int, default: float) -> float:
    """The retention a user's schedule aims for: their own setting, else the server's."""
    own = session.get(ReviewPreference, user_id)
    return own.desired_retention if own is not None else default


def set_desired_retention(*, session: Session, user_id: int, value: float) -> ReviewPreference:
    """Change a user's desired retention (0.70-0.97) and reschedule their cards with it."""
    if not MIN_RETENTION <= value <= MAX_RETENTION:
        raise RetentionError(
            f"desired retention must be between {MIN_RETENTION:.2f} and {MAX_RETENTION:.2f}"
        )
    preference = session.get(ReviewPreference, user_id)
    if preference is None:
        preference = ReviewPreference(user_id=user_id, desired_retention=value)
        session.add(preference)
    preference.desired_retention = value
    session.flush()
    for question_id in session.scalars(select(Review.question_id).where(Review.user_id == user_id)):
        replay(session=session, user_id=user_id, question_id=question_id, desired_retention=value)
    return preference


def _review_row(session: Session, user_id: int, question_id: int, now: datetime) -> Review:
    review = session.scalar(
        select(Review).where(Review.user_id == user_id, Review.question_id == question_id)
    )
    if review is None:
        review = Review(
            user_id=user_id, question_id=question_id, due_at=now, state="learning", reps=0, lapses=0
        )
        session.add(review)
    return review


def _step(review: Review, log: ReviewLog, scheduler: Scheduler) -> None:
    rating = Rating(log.rating)
    # Two reviews in one instant would be a zero-day interval; FSRS handles that as same-day.
    card, _ = scheduler.review_card(card_of(review), rating, _aware(log.reviewed_at))
    was_held = review.state == "review"
    _store_card(review, card)
    review.reps += 1
    if rating == Rating.Again and was_held:
        review.lapses += 1
    review.last_score = log.score


def record_review(
    *,
    session: Session,
    user_id: int,
    question_id: int,
    score: float,
    answer_id: int | None = None,
    source: ReviewSource = "grade",
    reviewed_at: datetime | None = None,
    duration_ms: int | None = None,
    desired_retention: float = DEFAULT_RETENTION,
) -> Review:
    """Log a review of a question (a skip is a lapse) and move the user's card with it."""
    now = reviewed_at or utcnow()
    rating = RATINGS["again" if source == "skip" else rating_for(score)]
    log = ReviewLog(
        user_id=user_id,
        question_id=question_id,
        answer_id=answer_id,
        rating=int(rating),
        score=score,
        source=source,
        reviewed_at=now,
        duration_ms=duration_ms,
    )
    session.add(log)
    review = _review_row(session, user_id, question_id, now)
    if review.last_review_at is not None and review.last_review_at > now:
        # Graded out of order (a slow grade of an earlier answer): rebuild in time order.
        session.flush()
        return replay(
            session=session,
            user_id=user_id,
            question_id=question_id,
            desired_retention=desired_retention,
        )
    _step(review, log, scheduler_for(desired_retention))
    session.flush()
    return review


def replay(*, session: Session, user_id: int, question_id: int, desired_retention: float) -> Review:
    """Rebuild a user's card of a question from its whole review log, oldest first."""
    logs = session.scalars(
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id, ReviewLog.question_id == question_id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    ).all()
    review = _review_row(session, user_id, question_id, utcnow())
    review.state, review.stability, review.difficulty = "learning", None, None
    review.last_review_at, review.reps, review.lapses, review.last_score = None, 0, 0, None
    review.due_at = logs[0].reviewed_at if logs else utcnow()
    scheduler = scheduler_for(desired_retention)
    for log in logs:
        _step(review, log, scheduler)
    session.flush()
    return review


def change_review_rating(
    *,
    session: Session,
    user_id: int,
    answer_id: int,
    question_id: int,
    score: float,
    source: ReviewSource,
    reviewed_at: datetime,
    desired_retention: float,
) -> Review:
    """The person's own grade of an answer replaces the grader's review of it; replayed."""
    rating = RATINGS["again" if source == "skip" else rating_for(score)]
    log = session.scalar(
        select(ReviewLog).where(ReviewLog.user_id == user_id, ReviewLog.answer_id == answer_id)
    )
    if log is None:
        log = ReviewLog(
            user_id=user_id, question_id=question_id, answer_id=answer_id, reviewed_at=reviewed_at
        )
        session.add(log)
    log.rating, log.score, log.source = int(rating), score, source
    session.flush()
    return replay(
        session=session,
        user_id=user_id,
        question_id=question_id,
        desired_retention=desired_retention,
    )


@dataclass(frozen=True)
class QueueItem:
    """A scheduled question: when it is due and how likely its answer is still recalled."""

    question_id: int
    due_at: datetime
    retrievability: float
    state: CardState
    stability: float | None
    reps: int
    lapses: int
    last_score: float | None


def review_queue(
    *,
    session: Session,
    user_id: int,
    desired_retention: float,
    now: datetime | None = None,
    due_only: bool = False,
    until: datetime | None = None,
) -> list[QueueItem]:
    """A user's scheduled active questions, most overdue first (`due_only`: due by `until`)."""
    now = now or utcnow()
    # Plain rows, not ORM objects: this feeds the home page and the API on every load.
    query = (
        select(
            Review.question_id,
            Review.due_at,
            Review.state,
            Review.stability,
            Review.last_review_at,
            Review.reps,
            Review.lapses,
            Review.last_score,
        )
        .join(Question, Question.id == Review.question_id)
        .where(Review.user_id == user_id, Question.retired.is_(False))
        .order_by(Review.due_at, Review.question_id)
    )
    if due_only:
        query = query.where(Review.due_at <= (until or now))
    scheduler = scheduler_for(desired_retention)
    factor, decay = scheduler._FACTOR, scheduler._DECAY
    items = []
    for question_id, due_at, state, stability, last_at, reps, lapses, last_score in session.execute(
        query
    ):
        held = 0.0
        if stability and last_at is not None:
            # FSRS counts whole days since the last review (as get_card_retrievability does).
            days = max(0, (now - last_at).days)
            held = (1 + factor * days / stability) ** decay
        items.append(
            QueueItem(
                question_id=question_id,
                due_at=due_at,
                retrievability=float(held),
                state=cast(CardState, state),
                stability=stability,
                reps=reps,
                lapses=lapses,
                last_score=last_score,
            )
        )
    return items


def question_card(
    *, session: Session, user_id: int, question_id: int, desired_retention: float
) -> QueueItem | None:
    """A user's card of one question (due date, retrievability), or None before any review."""
    review = session.scalar(
        select(Review).where(Review.user_id == user_id, Review.question_id == question_id)
    )
    if review is None:
        return None
    return QueueItem(
        question_id=question_id,
        due_at=review.due_at,
        retrievability=retrievability(review, now=utcnow(), desired_retention=desired_retention),
        state=cast(CardState, review.state),
        stability=review.stability,
        reps=review.reps,
        lapses=review.lapses,
        last_score=review.last_score,
    )


def start_of_day(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: days for limits and streaks are UTC days."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class DailyPlan:
    """What to review today: due questions and new ones, within the daily limits."""

    due: list[QueueItem]
    new_question_ids: list[int]
    due_total: int
    new_total: int
    reviewed_today: int
    new_today: int


def daily_plan(
    *,
    session: Session,
    user_id: int,
    desired_retention: float,
    new_per_day: int,
    max_per_day: int,
    now: datetime | None = None,
) -> DailyPlan:
    """Today's due questions (most overdue first) and new questions, minus what is done today."""
    now = now or utcnow()
    today = start_of_day(now)
    due = review_queue(
        session=session,
        user_id=user_id,
        desired_retention=desired_retention,
        now=now,
        due_only=True,
        until=today + timedelta(days=1),
    )
    today_logs = select(ReviewLog.question_id).where(
        ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= today
    )
    earlier_logs = select(ReviewLog.question_id).where(
        ReviewLog.user_id == user_id, ReviewLog.reviewed_at < today
    )
    reviewed_today = (
        session.scalar(select(func.count(func.distinct(today_logs.subquery().c.question_id)))) or 0
    )
    new_today = (
        session.scalar(
            select(func.count(func.distinct(ReviewLog.question_id))).where(
                ReviewLog.user_id == user_id,
                ReviewLog.reviewed_at >= today,
                ReviewLog.question_id.not_in(earlier_logs),
            )
        )
        or 0
    )
    # Reviews of cards that were new today count against the new limit, not the review limit.
    review_room = max(0, max_per_day - (reviewed_today - new_today))
    new_room = max(0, new_per_day - new_today)
    scheduled = select(Review.question_id).where(Review.user_id == user_id)
    new_ids = list(
        session.scalars(
            select(Question.id)
            .join(Topic, Topic.id == Question.topic_id)
            .join(Part, Part.id == Topic.part_id)
            .where(
                Question.retired.is_(False),
                Question.id.not_in(scheduled),
                visible_to(user_id),
            )
            .order_by(Part.source_file_id, Part.number, Topic.number, Question.position)
        )
    )
    return DailyPlan(
        due=due[:review_room],
        new_question_ids=new_ids[:new_room],
        due_total=len(due),
        new_total=len(new_ids),
        reviewed_today=reviewed_today,
        new_today=new_today,
    )


def due_question_ids(
    *,
    session: Session,
    user_id: int,
    now: datetime | None = None,
    desired_retention: float = DEFAULT_RETENTION,
) -> list[int]:
    """Questions whose review is due now, most overdue first."""
    queue = review_queue(
        session=session,
        user_id=user_id,
        desired_retention=desired_retention,
        now=now,
        due_only=True,
    )
    return [item.question_id for item in queue]


def review_log_count(*, session: Session, user_id: int) -> int:
    """How many reviews a user's log holds."""
    return (
        session.scalar(
            select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == user_id)
        )
        or 0
    )


class OptimizerUnavailable(RuntimeError):
    """The FSRS optimizer's dependencies (the `optimizer` extra) are not installed."""


class NotEnoughReviews(ValueError):
    """Too few reviews in the log for the optimizer to fit parameters."""


def fit_parameters(*, session: Session, user_id: int) -> list[float]:
    """FSRS parameters fitted to a user's review log (fsrs[optimizer]; torch on the CPU)."""
    count = review_log_count(session=session, user_id=user_id)
    if count < OPTIMIZER_MIN_REVIEWS:
        raise NotEnoughReviews(
            f"{count} reviews logged; the optimizer needs at least {OPTIMIZER_MIN_REVIEWS}. "
            "Keep practising: every graded answer is a review."
        )
    from fsrs import ReviewLog as FsrsReviewLog

    try:
        from fsrs import Optimizer

        logs = [
            FsrsReviewLog(
                card_id=log.question_id,
                rating=Rating(log.rating),
                review_datetime=_aware(log.reviewed_at),
                review_duration=log.duration_ms,
            )
            for log in session.scalars(
                select(ReviewLog)
                .where(ReviewLog.user_id == user_id)
                .order_by(ReviewLog.reviewed_at, ReviewLog.id)
            )
        ]
        optimizer = Optimizer(logs)
    except ImportError as exc:
        raise OptimizerUnavailable(
            "the FSRS optimizer needs torch and pandas: install the optimizer extra "
            "(pip install -e '.[optimizer]', which adds fsrs[optimizer]; torch stays the CPU "
            f"build pinned in pyproject.toml) — {exc}"
        ) from None
    return [float(p) for p in optimizer.compute_optimal_parameters()]
