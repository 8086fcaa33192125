"""GET /topics, /questions and /questions/{id}: reading the question bank."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.current import CurrentUser
from app.api.errors import documented
from app.api.views import question_out, topic_list
from app.deps import DbSession, IdPath
from app.material.bank import (
    QuestionView,
    bank_outline,
    count_questions,
    get_question,
    list_questions,
)
from app.practice.errors import QuestionNotFound
from app.schemas import QuestionOut, QuestionPage, TopicList

router = APIRouter(tags=["questions"])

MAX_PAGE = 200
# SQLite's OFFSET is a 64-bit integer; no bank comes close to this many questions.
MAX_OFFSET = 2**31
FilterText = Annotated[str | None, Query(max_length=200)]


@router.get("/topics", response_model=TopicList)
def topics(session: DbSession, user: CurrentUser) -> TopicList:
    """Every topic of the banks you see, in bank order, with how many active questions it has."""
    return TopicList(items=topic_list(bank_outline(session=session, user_id=user.id)))


@router.get("/questions", response_model=QuestionPage)
def questions(
    session: DbSession,
    user: CurrentUser,
    part: Annotated[
        str | None, Query(max_length=200, description="Part title (substring) or number.")
    ] = None,
    topic: Annotated[
        str | None, Query(max_length=200, description="Topic title (substring) or id.")
    ] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Text in the question or topic title.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> QuestionPage:
    """Active questions in bank order, filtered, one page at a time, with the total count."""
    views = list_questions(
        session=session,
        user_id=user.id,
        topic=topic,
        part=part,
        search=search,
        limit=limit,
        offset=offset,
    )
    return QuestionPage(
        total=count_questions(
            session=session, user_id=user.id, topic=topic, part=part, search=search
        ),
        limit=limit,
        offset=offset,
        items=[question_out(view) for view in views],
    )


@router.get(
    "/questions/{question_id}",
    response_model=QuestionOut,
    responses=documented({404: "No such question."}),
)
def question(session: DbSession, user: CurrentUser, question_id: IdPath) -> QuestionOut:
    """One question you see (retired ones too) with its reference answer and key points."""
    found = get_question(session=session, user_id=user.id, question_id=question_id)
    if found is None:
        raise QuestionNotFound(f"no question {question_id}")
    return question_out(QuestionView.of(found))
