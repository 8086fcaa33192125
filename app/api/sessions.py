"""Practice sessions over the API: create one, answer its questions, read answers back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from app.api.errors import ApiError, documented
from app.api.scoring import grader_for
from app.api.views import answer_out, session_out, stored_grade
from app.deps import AppSettings, DbSession, Graders
from app.models import Answer
from app.practice.errors import NotFoundError
from app.practice.grades import answer_and_grade
from app.practice.sessions import (
    SessionConfig,
    create_session,
    get_item,
    get_session,
    next_item,
)
from app.practice.users import get_or_create_user
from app.schemas import MAX_ID, AnswerCreate, AnswerOut, AnswerResult, SessionCreate, SessionOut

router = APIRouter(tags=["sessions"])

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionOut,
    responses=documented({422: "Invalid body, or no active question matches."}),
)
def start_session(body: Annotated[SessionCreate, Body()], session: DbSession) -> SessionOut:
    """Start a mock interview: questions from the chosen topics (default all), in an order."""
    practice = create_session(
        session=session,
        user=get_or_create_user(session=session),
        config=SessionConfig(
            topic_ids=tuple(body.topic_ids),
            question_ids=tuple(body.question_ids),
            count=body.count,
            order=body.order,
            time_limit_s=body.time_limit_s,
            seed=body.seed,
        ),
    )
    return session_out(practice)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionOut,
    responses=documented({404: "No such session."}),
)
def read_session(session_id: IdPath, session: DbSession) -> SessionOut:
    """A session: its questions, their latest scores, and the next question to answer."""
    return session_out(get_session(session=session, session_id=session_id))


@router.post(
    "/sessions/{session_id}/answers",
    status_code=201,
    response_model=AnswerResult,
    responses=documented(
        {
            404: "No such session, or no such turn in it.",
            409: "Every turn is answered and no item_id was given.",
            413: "The answer is over 20,000 characters (MAX_ANSWER_CHARS).",
            422: "Invalid body, or an unknown grader (details list the known ones).",
            503: "The grader cannot be built (e.g. its model cannot be loaded).",
        }
    ),
)
def answer_question(
    session_id: IdPath,
    body: Annotated[AnswerCreate, Body()],
    session: DbSession,
    graders: Graders,
    settings: AppSettings,
) -> AnswerResult:
    """Store an answer to a turn (default: the next one), then grade it; both come back.

    The answer is stored before grading: if the grader fails, `grade` is null and the
    answer's `grading_error` says why.
    """
    practice = get_session(session=session, session_id=session_id)
    if body.item_id is not None:
        item = get_item(session=session, practice=practice, item_id=body.item_id)
    else:
        upcoming = next_item(practice)
        if upcoming is None:
            raise ApiError(409, "session_finished", f"session {session_id} has no open question")
        item = upcoming
    grader = grader_for(graders, body.grader)  # an unknown name fails before anything is stored
    answer, grade = answer_and_grade(
        session=session,
        user=practice.user,
        question=item.question,
        text=body.answer,
        grader=grader,
        max_chars=settings.max_answer_chars,
        item=item,
        time_taken_ms=body.time_taken_ms,
    )
    upcoming = next_item(practice)
    return AnswerResult(
        answer=answer_out(answer),
        grade=stored_grade(grade) if grade is not None else None,
        next_item_id=upcoming.id if upcoming is not None else None,
        session_finished=practice.finished_at is not None,
    )


@router.get(
    "/answers/{answer_id}",
    response_model=AnswerOut,
    tags=["answers"],
    responses=documented({404: "No such answer."}),
)
def read_answer(answer_id: IdPath, session: DbSession) -> AnswerOut:
    """A stored answer with its grades (latest last) and any grading error."""
    answer = session.get(Answer, answer_id)
    if answer is None:
        raise NotFoundError(f"no answer {answer_id}")
    return answer_out(answer)
