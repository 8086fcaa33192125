"""The grading queue, kept on the answer rows: claim a job, grade it, store the grade or the error.

Each step is its own short transaction; the grader runs between them with no connection held.
On PostgreSQL workers claim with `FOR UPDATE SKIP LOCKED`, so several processes take different
jobs; on SQLite the claim's BEGIN IMMEDIATE makes claims one at a time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.grading.base import Grade, GradingQuestion
from app.material.bank import ExampleBanks, grading_question_for_turn
from app.models import (
    GRADING_DONE,
    GRADING_FAILED,
    GRADING_PENDING,
    GRADING_RUNNING,
    Answer,
    InterviewItem,
    Question,
    User,
    utcnow,
)
from app.practice.grades import ENQUEUED, store_grade
from app.practice.reviews import DEFAULT_RETENTION, desired_retention, record_review

log = logging.getLogger(__name__)

LEASE_EXPIRED = "the grading worker stopped before finishing (its lease ran out)"


@dataclass(frozen=True)
class GradingJob:
    """A claimed answer with everything its grader needs, so grading needs no session."""

    answer_id: int
    attempt: int
    grader: str | None
    question: GradingQuestion
    text: str


@dataclass(frozen=True)
class GradingStatus:
    """Where an answer's grading stands, as cards and the API show it."""

    state: str
    attempts: int
    error: str | None
    queue_position: int | None
    stalled: bool

    @property
    def finished(self) -> bool:
        """True once nothing more will happen without a retry: graded, failed or stalled."""
        return self.state in (GRADING_DONE, GRADING_FAILED) or self.stalled


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        Answer.grading_state == GRADING_PENDING,
        (Answer.grading_state == GRADING_RUNNING) & (Answer.grading_lease_until < now),
    )


def claim_jobs(
    *,
    session: Session,
    lease_s: float,
    max_attempts: int,
    limit: int = 1,
    now: datetime | None = None,
) -> list[GradingJob]:
    """Claim up to `limit` of the oldest pending answers (or ones whose worker's lease ran out)."""
    now = now or utcnow()
    # Jobs whose workers died too often are given up on, with a reason the card shows.
    session.execute(
        update(Answer)
        .where(
            Answer.grading_state == GRADING_RUNNING,
            Answer.grading_lease_until < now,
            Answer.grading_attempts >= max_attempts,
        )
        .values(grading_state=GRADING_FAILED, grading_error=LEASE_EXPIRED)
    )
    answers = session.scalars(
        select(Answer)
        .where(_claimable(now))
        .order_by(Answer.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Answer)
    ).all()
    if not answers:
        return []
    for answer in answers:
        answer.grading_state = GRADING_RUNNING
        answer.grading_attempts += 1
        answer.grading_lease_until = now + timedelta(seconds=lease_s)
    session.flush()
    with_points = selectinload(Question.key_points), selectinload(Question.example_answers)
    items = {
        item.id: item
        for item in session.scalars(
            select(InterviewItem)
            .where(InterviewItem.id.in_([a.item_id for a in answers if a.item_id]))
            .options(selectinload(InterviewItem.question).options(*with_points))
        )
    }
    questions = {
        question.id: question
        for question in session.scalars(
            select(Question)
            .where(Question.id.in_([a.question_id for a in answers if not a.item_id]))
            .options(*with_points)
        )
    }
    jobs = []
    banks = ExampleBanks(session)
    for answer in answers:
        item = items.get(answer.item_id) if answer.item_id else None
        question = item.question if item is not None else questions[answer.question_id]
        target = grading_question_for_turn(
            question,
            user_id=answer.user_id,
            prompt=item.prompt if item else None,
            focus_point=item.focus_point if item else None,
            banks=banks,
        )
        jobs.append(
            GradingJob(
                answer_id=answer.id,
                attempt=answer.grading_attempts,
                grader=answer.grader,
                question=target,
                text=answer.text,
            )
        )
    return jobs


def claim_job(
    *, session: Session, lease_s: float, max_attempts: int, now: datetime | None = None
) -> GradingJob | None:
    """Claim the oldest claimable answer; None if there is none."""
    jobs = claim_jobs(session=session, lease_s=lease_s, max_attempts=max_attempts, now=now)
    return jobs[0] if jobs else None


def _still_ours(session: Session, job: GradingJob) -> Answer | None:
    """The job's answer, locked, if this claim still holds it (no one reclaimed it since)."""
    return session.scalar(
        select(Answer)
        .where(
            Answer.id == job.answer_id,
            Answer.grading_state == GRADING_RUNNING,
            Answer.grading_attempts == job.attempt,
        )
        .with_for_update()
    )


def complete_job(
    *,
    session: Session,
    job: GradingJob,
    result: Grade,
    default_retention: float = DEFAULT_RETENTION,
) -> bool:
    """Store the grade of a claimed job and review its question; False if the claim was lost.

    A follow-up's answer is graded but is no review of the question: it answers one point.
    """
    answer = _still_ours(session, job)
    if answer is None:
        log.warning("answer %s was reclaimed while graded; dropping this grade", job.answer_id)
        return False
    store_grade(session=session, answer=answer, result=result)
    if counts_as_review(answer):
        # Two workers finishing answers of one user must not both create their review row.
        session.execute(select(User.id).where(User.id == answer.user_id).with_for_update())
        record_review(
            session=session,
            user_id=answer.user_id,
            question_id=answer.question_id,
            score=result.score,
            answer_id=answer.id,
            reviewed_at=answer.created_at,
            duration_ms=answer.time_taken_ms,
            desired_retention=desired_retention(
                session=session, user_id=answer.user_id, default=default_retention
            ),
        )
    answer.grading_state = GRADING_DONE
    answer.grading_error = None
    answer.grading_lease_until = None
    session.flush()
    return True


def counts_as_review(answer: Answer) -> bool:
    """True for an answer to the question itself; a follow-up's answer is its own turn."""
    return answer.item is None or answer.item.kind != "follow_up"


def fail_job(*, session: Session, job: GradingJob, error: str, max_attempts: int) -> str | None:
    """Record a grader failure: back in the queue while tries are left, else failed."""
    answer = _still_ours(session, job)
    if answer is None:
        return None
    answer.grading_error = error
    answer.grading_lease_until = None
    answer.grading_state = GRADING_FAILED if job.attempt >= max_attempts else GRADING_PENDING
    session.flush()
    return answer.grading_state


def renew_leases(
    *, session: Session, answer_ids: list[int], lease_s: float, now: datetime | None = None
) -> None:
    """Extend the leases of jobs this process is still grading (its heartbeat)."""
    if not answer_ids:
        return
    now = now or utcnow()
    session.execute(
        update(Answer)
        .where(Answer.id.in_(answer_ids), Answer.grading_state == GRADING_RUNNING)
        .values(grading_lease_until=now + timedelta(seconds=lease_s))
    )


def retry_grading(*, session: Session, answer: Answer) -> bool:
    """Queue a failed or stalled answer again; False when it is graded or already waiting."""
    status = grading_status(session=session, answer=answer, with_position=False)
    if answer.grading_state == GRADING_FAILED or status.stalled:
        answer.grading_state = GRADING_PENDING
        answer.grading_attempts = 0
        answer.grading_lease_until = None
        session.flush()
        session.info[ENQUEUED] = True
        return True
    return False


def queue_depth(*, session: Session) -> int:
    """Answers waiting for a worker."""
    return (
        session.scalar(
            select(func.count()).select_from(Answer).where(Answer.grading_state == GRADING_PENDING)
        )
        or 0
    )


def grading_status(
    *, session: Session, answer: Answer, with_position: bool = True, now: datetime | None = None
) -> GradingStatus:
    """The answer's grading state, its place in the queue while pending, and whether it stalled."""
    now = now or utcnow()
    stalled = (
        answer.grading_state == GRADING_RUNNING
        and answer.grading_lease_until is not None
        and answer.grading_lease_until < now
    )
    position = None
    if with_position and answer.grading_state == GRADING_PENDING:
        ahead = session.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.grading_state == GRADING_PENDING, Answer.id < answer.id)
        )
        position = (ahead or 0) + 1
    return GradingStatus(
        state=answer.grading_state,
        attempts=answer.grading_attempts,
        error=answer.grading_error,
        queue_position=position,
        stalled=stalled,
    )
