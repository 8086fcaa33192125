"""Grading an answer at once, in the test's own session, the way a grading worker does."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.grading.base import Grader, GradingError
from app.models import Answer, StoredGrade
from app.practice.grades import submit_answer
from app.practice.grading_queue import claim_job, complete_job, fail_job


def answer_and_grade(
    *, session: Session, grader: Grader, **answer: Any
) -> tuple[Answer, StoredGrade | None]:
    """Submit an answer, claim it from the queue, grade it and store the outcome."""
    stored = submit_answer(session=session, **answer).answer
    job = claim_job(session=session, lease_s=30, max_attempts=1)
    assert job is not None and job.answer_id == stored.id
    try:
        result = grader.grade(job.question, job.text)
    except GradingError as exc:
        fail_job(session=session, job=job, error=f"{type(exc).__name__}: {exc}", max_attempts=1)
        return stored, None
    complete_job(session=session, job=job, result=result)
    return stored, stored.grades[-1]
