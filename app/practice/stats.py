"""A user's scores: per question, per topic, and every attempt at a question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.models import Answer, InterviewItem, Question, StoredGrade

RECENT_ATTEMPTS = 5
# The grader name of a grade the person gave themselves ("I disagree", "I don't know").
SELF_GRADER = "self"


def question_answer(user_id: int) -> ColumnElement[bool]:
    """Answers of `user_id` to a question itself: a follow-up's answer is its own turn."""
    follow_ups = select(InterviewItem.id).where(InterviewItem.kind == "follow_up")
    return (Answer.user_id == user_id) & or_(
        Answer.item_id.is_(None), Answer.item_id.not_in(follow_ups)
    )


def _latest_grades(user_id: int) -> Select[int, int, int, float, datetime]:
    """(answer id, question id, topic id, score, created) of each answer's latest grade."""
    latest = (
        select(StoredGrade.answer_id, func.max(StoredGrade.id).label("grade_id"))
        .group_by(StoredGrade.answer_id)
        .subquery()
    )
    return (
        select(
            Answer.id, Answer.question_id, Question.topic_id, StoredGrade.score, Answer.created_at
        )
        .join(latest, latest.c.answer_id == Answer.id)
        .join(StoredGrade, StoredGrade.id == latest.c.grade_id)
        .join(Question, Question.id == Answer.question_id)
        .where(question_answer(user_id))
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
class FollowUpAnswer:
    """An answer to a follow-up turn, shown under the attempt it followed."""

    answer_id: int
    prompt: str
    text: str
    score: float | None
    verdict: str | None


@dataclass(frozen=True)
class Attempt:
    """One answer to a question with its latest grade (the person's own, if they overrode)."""

    answer_id: int
    text: str
    created_at: datetime
    time_taken_ms: int | None
    question_version: int
    score: float | None
    verdict: str | None
    grading_error: str | None
    grader: str | None = None
    machine_score: float | None = None
    skipped: bool = False
    follow_ups: tuple[FollowUpAnswer, ...] = ()


def attempt_of(answer: Answer, follow_ups: tuple[FollowUpAnswer, ...] = ()) -> Attempt:
    """An answer as an attempt: its counting grade and, if overridden, the grader's score."""
    grade = answer.grades[-1] if answer.grades else None
    machine = next((g for g in reversed(answer.grades) if g.grader != SELF_GRADER), None)
    return Attempt(
        answer_id=answer.id,
        text=answer.text,
        created_at=answer.created_at,
        time_taken_ms=answer.time_taken_ms,
        question_version=answer.question_version,
        score=round(grade.score, 1) if grade else None,
        verdict=grade.verdict if grade else None,
        grading_error=answer.grading_error,
        grader=grade.grader if grade else None,
        machine_score=round(machine.score, 1) if machine and machine is not grade else None,
        skipped=bool(grade and grade.details.get("skipped")),
        follow_ups=follow_ups,
    )


def question_attempts(*, session: Session, user_id: int, question_id: int) -> list[Attempt]:
    """Every attempt of a user at a question, oldest first, each with its follow-up answers."""
    answers = session.scalars(
        select(Answer)
        .where(Answer.user_id == user_id, Answer.question_id == question_id)
        .order_by(Answer.created_at, Answer.id)
        .options(selectinload(Answer.grades), selectinload(Answer.item))
    ).all()
    own = [a for a in answers if a.item is None or a.item.kind != "follow_up"]
    nested: dict[int, list[FollowUpAnswer]] = {}
    for answer in answers:
        item = answer.item
        if item is None or item.kind != "follow_up":
            continue
        # The follow-up hangs under the last attempt of its parent turn given before it.
        parents = [
            a for a in own if a.item_id == item.parent_item_id and a.created_at <= answer.created_at
        ]
        if not parents:
            continue
        grade = answer.grades[-1] if answer.grades else None
        nested.setdefault(parents[-1].id, []).append(
            FollowUpAnswer(
                answer_id=answer.id,
                prompt=item.prompt or "",
                text=answer.text,
                score=round(grade.score, 1) if grade else None,
                verdict=grade.verdict if grade else None,
            )
        )
    return [attempt_of(a, tuple(nested.get(a.id, ()))) for a in own]


@dataclass(frozen=True)
class PractisedQuestion:
    """A question the user has answered: how often, when last, and the recent average."""

    id: int
    text: str
    topic: str
    attempts: int
    last_at: datetime
    average: float | None


def practised_questions(*, session: Session, user_id: int) -> list[PractisedQuestion]:
    """Every question the user has answered, most recently practised first."""
    rows = session.execute(
        select(
            Question.id,
            Question.text,
            Question.topic_id,
            func.count(Answer.id),
            func.max(Answer.created_at),
        )
        .join(Answer, Answer.question_id == Question.id)
        .where(Answer.user_id == user_id)
        .group_by(Question.id)
        .order_by(func.max(Answer.created_at).desc())
    ).all()
    averages = question_averages(session=session, user_id=user_id)
    topics = {
        q.id: q.topic.title
        for q in session.scalars(
            select(Question)
            .where(Question.id.in_([r[0] for r in rows]))
            .options(selectinload(Question.topic))
        )
    }
    return [
        PractisedQuestion(
            id=qid,
            text=text,
            topic=topics[qid],
            attempts=count,
            last_at=last_at,
            average=round(averages[qid], 1) if qid in averages else None,
        )
        for qid, text, _tid, count, last_at in rows
    ]
