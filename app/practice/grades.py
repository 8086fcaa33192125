"""Storing answers and their grades: the answer is committed before the grader runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.grading.base import Grade as GradeResult
from app.grading.base import Grader
from app.grading.key_points import label_and_text
from app.material.bank import grading_question_for_turn
from app.models import Answer, Grade, Question, SessionItem, User
from app.practice.errors import AnswerTooLongError
from app.practice.reviews import record_review
from app.practice.sessions import finish_if_done

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
    def of(cls, grade: Grade) -> GradeView:
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


def check_answer_length(text: str, *, max_chars: int) -> None:
    """Raise AnswerTooLongError for an answer over the limit."""
    if len(text) > max_chars:
        raise AnswerTooLongError(f"answer is {len(text):,} characters; the limit is {max_chars:,}")


def store_answer(
    *,
    session: Session,
    user: User,
    question: Question,
    text: str,
    item: SessionItem | None = None,
    time_taken_ms: int | None = None,
) -> Answer:
    """Store an answer (flushed, not yet graded)."""
    answer = Answer(
        user_id=user.id,
        question=question,
        question_version=question.version,
        session_item=item,
        text=text,
        time_taken_ms=time_taken_ms,
    )
    session.add(answer)
    session.flush()
    return answer


def grade_answer(*, session: Session, answer: Answer, grader: Grader) -> Grade | None:
    """Grade a stored answer and store the grade; on grader failure keep the error, return None."""
    try:
        item = answer.session_item
        target = grading_question_for_turn(
            answer.question,
            prompt=item.prompt if item else None,
            focus_point=item.focus_point if item else None,
        )
        result = grader.grade(target, answer.text)
    except Exception as exc:  # the grader is not ours to trust: the answer must survive it
        log.exception("grader %s failed on answer %s", grader.name, answer.id)
        answer.grading_error = f"{type(exc).__name__}: {exc}"
        session.flush()
        return None
    answer.grading_error = None
    grade = store_grade(session=session, answer=answer, result=result)
    record_review(
        session=session, user_id=answer.user_id, question_id=answer.question_id, score=result.score
    )
    return grade


def store_grade(*, session: Session, answer: Answer, result: GradeResult) -> Grade:
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
    grade = Grade(
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


def save_answer(
    *,
    session: Session,
    user: User,
    question: Question,
    text: str,
    max_chars: int,
    item: SessionItem | None = None,
    time_taken_ms: int | None = None,
) -> Answer:
    """Check, store and commit an answer (finishing its session on the last turn)."""
    check_answer_length(text, max_chars=max_chars)
    answer = store_answer(
        session=session,
        user=user,
        question=question,
        text=text,
        item=item,
        time_taken_ms=time_taken_ms,
    )
    if item is not None:
        finish_if_done(session=session, practice=item.session)
    # The one place a service commits: the answer must be durable before a slow or
    # failing grader runs, whatever happens to the rest of the request.
    session.commit()
    return answer


def answer_and_grade(
    *,
    session: Session,
    user: User,
    question: Question,
    text: str,
    grader: Grader,
    max_chars: int,
    item: SessionItem | None = None,
    time_taken_ms: int | None = None,
) -> tuple[Answer, Grade | None]:
    """Store the answer, commit it, then grade it: a grader failure never loses the answer."""
    answer = save_answer(
        session=session,
        user=user,
        question=question,
        text=text,
        max_chars=max_chars,
        item=item,
        time_taken_ms=time_taken_ms,
    )
    return answer, grade_answer(session=session, answer=answer, grader=grader)
