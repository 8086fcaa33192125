"""A user's scores: per question, per topic, and every attempt at a question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Answer, Grade, Question

RECENT_ATTEMPTS = 5


def _latest_grades(user_id: int) -> Select[int, int, int, float, datetime]:
    """(answer id, question id, topic id, score, created) of each answer's latest grade."""
    latest = (
        select(Grade.answer_id, func.max(Grade.id).label("grade_id"))
        .group_by(Grade.answer_id)
        .subquery()
    )
    return (
        select(Answer.id, Answer.question_id, Question.topic_id, Grade.score, Answer.created_at)
        .join(latest, latest.c.answer_id == Answer.id)
        .join(Grade, Grade.id == latest.c.grade_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.user_id == user_id)
        .order_by(Answer.created_at.desc(), Answer.id.desc())
    )


def question_averages(*, session: Session, user_id: int) -> dict[int, float]:
    """Mean of the recent graded attempts per question."""
    scores: dict[int, list[float]] = {}
    for _aid, question_id, _tid, score, _at in session.execute(_latest_grades(user_id)):
        bucket = scores.setdefault(question_id, [])
        if len(bucket) < RECENT_ATTEMPTS:
            bucket.append(score)
    return {qid: sum(s) / len(s) for qid, s in scores.items()}


def topic_averages(*, session: Session, user_id: int) -> dict[int, float]:
    """Mean of the recent graded attempts per topic (the last few answers in it)."""
    scores: dict[int, list[float]] = {}
    for _aid, _qid, topic_id, score, _at in session.execute(_latest_grades(user_id)):
        bucket = scores.setdefault(topic_id, [])
        if len(bucket) < RECENT_ATTEMPTS:
            bucket.append(score)
    return {tid: round(sum(s) / len(s), 1) for tid, s in scores.items()}


@dataclass(frozen=True)
class Attempt:
    """One answer to a question with its latest grade."""

    answer_id: int
    text: str
    created_at: datetime
    time_taken_ms: int | None
    question_version: int
    score: float | None
    verdict: str | None
    grading_error: str | None


def question_attempts(*, session: Session, user_id: int, question_id: int) -> list[Attempt]:
    """Every attempt of a user at a question, oldest first."""
    answers = session.scalars(
        select(Answer)
        .where(Answer.user_id == user_id, Answer.question_id == question_id)
        .order_by(Answer.created_at, Answer.id)
        .options(selectinload(Answer.grades))
    )
    attempts = []
    for answer in answers:
        grade = answer.grades[-1] if answer.grades else None
        attempts.append(
            Attempt(
                answer_id=answer.id,
                text=answer.text,
                created_at=answer.created_at,
                time_taken_ms=answer.time_taken_ms,
                question_version=answer.question_version,
                score=round(grade.score, 1) if grade else None,
                verdict=grade.verdict if grade else None,
                grading_error=answer.grading_error,
            )
        )
    return attempts
