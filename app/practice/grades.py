"""Storing answers (queued for grading) and their grades."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.grading.base import Grade
from app.grading.key_points import label_and_text
from app.models import GRADING_PENDING, Answer, InterviewItem, Question, StoredGrade, User
from app.practice.errors import AnswerNotFound, AnswerTooLongError, EmptyAnswerError
from app.practice.turns import finish_if_done

# Set on a session that queued an answer; the app wakes its workers once that session commits.
ENQUEUED = "grading_enqueued"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradeView:
    """A stored grade as pages and the API show it."""

    id: int
    answer_id: int
    score: float
    verdict: str
    key_points: list[dict[str, Any]]
    feedback: str
    grader: str
    grader_version: str
    fallback: bool
    fallback_reason: str | None
    elapsed_ms: float
    usage: dict[str, Any] | None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, grade: StoredGrade) -> GradeView:
        """The view of a stored Grade row."""
        details = dict(grade.details or {})
        return cls(
            id=grade.id,
            answer_id=grade.answer_id,
            score=round(grade.score, 1),
            verdict=grade.verdict,
            key_points=[_with_label(p) for p in details.pop("key_points", [])],
            feedback=grade.feedback,
            grader=grade.grader,
            grader_version=grade.grader_version,
            fallback=grade.fallback,
            fallback_reason=details.pop("fallback_reason", None),
            elapsed_ms=round(grade.elapsed_ms, 1),
            usage=grade.usage,
            details=details,
        )

    @property
    def covered(self) -> list[dict[str, Any]]:
        """Key points the answer covered (fully or partly)."""
        return [p for p in self.key_points if p.get("status") in ("covered", "partial")]

    @property
    def missed(self) -> list[dict[str, Any]]:
        """Key points the answer missed or contradicted."""
        return [p for p in self.key_points if p.get("status") in ("missed", "contradicted")]


def _with_label(point: dict[str, Any]) -> dict[str, Any]:
    """A stored key point with its label and text; grades stored before labels get them here."""
    if point.get("label") and point.get("text"):
        return point
    label, text = label_and_text(str(point.get("point", "")))
    return {**point, "label": label, "text": text}


def get_answer(*, session: Session, user_id: int, answer_id: int) -> Answer:
    """The user's answer by id; AnswerNotFound when there is none or it is someone else's."""
    answer = session.get(Answer, answer_id, populate_existing=True)
    if answer is None or answer.user_id != user_id:
        raise AnswerNotFound(f"no answer {answer_id}")
    return answer


def check_answer_text(text: str, *, max_chars: int) -> None:
    """EmptyAnswerError for an answer of only whitespace, AnswerTooLongError over the limit."""
    if not text.strip():
        raise EmptyAnswerError("Write an answer before submitting it.")
    if len(text) > max_chars:
        raise AnswerTooLongError(f"answer is {len(text):,} characters; the limit is {max_chars:,}")


def store_answer(
    *,
    session: Session,
    user: User,
    question: Question,
    text: str,
    item: InterviewItem | None = None,
    time_taken_ms: int | None = None,
    grader: str | None = None,
    idempotency_key: str | None = None,
) -> Answer:
    """Store an answer, queued for grading (flushed, not committed)."""
    answer = Answer(
        user_id=user.id,
        question=question,
        question_version=question.version,
        item=item,
        text=text,
        time_taken_ms=time_taken_ms,
        grader=grader,
        grading_state=GRADING_PENDING,
        idempotency_key=idempotency_key,
    )
    session.add(answer)
    session.flush()
    return answer


def store_grade(*, session: Session, answer: Answer, result: Grade) -> StoredGrade:
    """Store a grader's result for an answer."""
    details = dict(result.details)
    details["key_points"] = [
        {
            "point": p.point,
            "label": p.label,
            "text": p.text,
            "status": p.status,
            "evidence": p.evidence,
            "similarity": p.similarity,
        }
        for p in result.key_points
    ]
    if result.fallback_reason:
        details["fallback_reason"] = result.fallback_reason
    grade = StoredGrade(
        answer=answer,
        score=float(result.score),
        verdict=result.verdict,
        feedback=result.feedback,
        details=details,
        grader=result.grader,
        grader_version=result.grader_version,
        fallback=result.fallback,
        elapsed_ms=float(result.elapsed_ms),
        usage=result.usage,
    )
    session.add(grade)
    session.flush()
    return grade


@dataclass(frozen=True)
class Submission:
    """A submitted answer; `repeated` when its idempotency key had been used already."""

    answer: Answer
    repeated: bool = False


def scoped_key(user_id: int, key: str) -> str:
    """An idempotency key as stored: per user, so one user's key never finds another's answer."""
    return hashlib.sha256(f"{user_id}\x1f{key}".encode("utf-8", "surrogatepass")).hexdigest()


def answer_by_key(*, session: Session, user_id: int, key: str) -> Answer | None:
    """The user's answer stored under an idempotency key, if any."""
    return session.scalar(
        select(Answer).where(
            Answer.idempotency_key == scoped_key(user_id, key), Answer.user_id == user_id
        )
    )


def submit_answer(
    *,
    session: Session,
    user: User,
    question: Question,
    text: str,
    max_chars: int,
    item: InterviewItem | None = None,
    time_taken_ms: int | None = None,
    grader: str | None = None,
    idempotency_key: str | None = None,
) -> Submission:
    """Check and store an answer and queue it for grading; a repeated key stores nothing.

    Only flushes: the caller's unit of work commits, and the workers grade after that.
    """
    if idempotency_key:
        first = answer_by_key(session=session, user_id=user.id, key=idempotency_key)
        if first is not None:
            return Submission(first, repeated=True)
    check_answer_text(text, max_chars=max_chars)
    try:
        # A savepoint: two requests racing with one key must not fail the whole unit of work.
        with session.begin_nested():
            answer = store_answer(
                session=session,
                user=user,
                question=question,
                text=text,
                item=item,
                time_taken_ms=time_taken_ms,
                grader=grader,
                idempotency_key=scoped_key(user.id, idempotency_key) if idempotency_key else None,
            )
    except IntegrityError:
        first = (
            answer_by_key(session=session, user_id=user.id, key=idempotency_key)
            if idempotency_key
            else None
        )
        if first is None:
            raise
        return Submission(first, repeated=True)
    if item is not None:
        finish_if_done(session=session, interview=item.interview)
    session.info[ENQUEUED] = True
    return Submission(answer)
