"""What the web pages need beyond the practice services: answers by id, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Answer, Question
from app.practice.errors import NotFoundError
from app.practice.stats import question_averages


def get_answer(*, session: Session, user_id: int, answer_id: int) -> Answer:
    """The user's answer by id; NotFoundError when there is none or it is someone else's."""
    answer = session.get(Answer, answer_id, populate_existing=True)
    if answer is None or answer.user_id != user_id:
        raise NotFoundError(f"no answer {answer_id}")
    return answer


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
