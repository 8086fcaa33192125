"""What the web pages need beyond the practice services: answering, background grading, history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.grading.base import Grader
from app.grading.graders import GraderPool
from app.models import Answer, Grade, Question
from app.practice.errors import NotFoundError
from app.practice.grades import grade_answer
from app.practice.stats import question_averages

log = logging.getLogger(__name__)

# Graders that call a remote model: their answers are graded after the response is sent.
REMOTE_GRADERS = frozenset({"llm", "hybrid"})


def get_answer(*, session: Session, answer_id: int) -> Answer:
    """An answer by id, or NotFoundError."""
    answer = session.get(Answer, answer_id)
    if answer is None:
        raise NotFoundError(f"no answer {answer_id}")
    return answer


def grades_slowly(graders: GraderPool) -> bool:
    """True when the default grader should run after the response (remote, or still loading)."""
    if graders.default_name in REMOTE_GRADERS:
        return True
    try:
        return not graders.get().is_ready()
    except Exception:  # a grader that cannot be built fails in the grading step, visibly
        return False


def grade_now(*, session: Session, answer: Answer, graders: GraderPool) -> Grade | None:
    """Grade a stored answer with the default grader; a failure is kept on the answer."""
    try:
        grader: Grader = graders.get()
    except Exception as exc:  # e.g. the LLM grader without an API key
        log.exception("could not build grader %r", graders.default_name)
        answer.grading_error = f"{type(exc).__name__}: {exc}"
        session.flush()
        return None
    return grade_answer(session=session, answer=answer, grader=grader)


def grade_in_background(*, database: Database, graders: GraderPool, answer_id: int) -> None:
    """Grade an answer in its own unit of work (a BackgroundTask after the response)."""
    with database.session() as session:
        answer = session.get(Answer, answer_id)
        if answer is not None and not answer.grades:
            grade_now(session=session, answer=answer, graders=graders)


def mark_regrading(*, session: Session, answer: Answer) -> None:
    """Clear an answer's grading error before it is graded again."""
    answer.grading_error = None
    session.commit()


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
        for q in session.scalars(select(Question).where(Question.id.in_([r[0] for r in rows])))
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
