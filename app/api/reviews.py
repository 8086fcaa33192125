"""Spaced review over the API: a person's scheduled questions and what is due."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.api.errors import documented
from app.api.sessions import IdPath
from app.api.views import answer_out
from app.deps import AppSettings, DbSession
from app.practice.grading_queue import grading_status
from app.practice.interviews import disagree
from app.practice.progress import review_settings
from app.practice.reviews import daily_plan, review_queue
from app.schemas import AnswerOut, OverrideCreate, ReviewItemOut, ReviewQueueOut

router = APIRouter(tags=["reviews"])


@router.get("/reviews", response_model=ReviewQueueOut)
def list_reviews(
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    due: Annotated[bool, Query(description="Only the questions due now.")] = False,
) -> ReviewQueueOut:
    """The person's scheduled questions, most overdue first (`?due=true`: due now)."""
    prefs = review_settings(session=session, user_id=user.id, settings=settings)
    queue = review_queue(
        session=session,
        user_id=user.id,
        desired_retention=prefs.desired_retention,
        due_only=due,
    )
    plan = daily_plan(session=session, user_id=user.id, **prefs.limits())
    return ReviewQueueOut(
        items=[
            ReviewItemOut(
                question_id=item.question_id,
                due_at=item.due_at,
                retrievability=round(item.retrievability, 4),
                state=item.state,
                stability=round(item.stability, 3) if item.stability is not None else None,
                reps=item.reps,
                lapses=item.lapses,
                last_score=item.last_score,
            )
            for item in queue
        ],
        desired_retention=prefs.desired_retention,
        due_today=len(plan.due),
        new_today=len(plan.new_question_ids),
    )


@router.post(
    "/answers/{answer_id}/override",
    response_model=AnswerOut,
    tags=["answers"],
    responses=documented({404: "No such answer.", 422: "Not graded yet, or a bad score."}),
)
async def override_grade(
    answer_id: IdPath,
    body: Annotated[OverrideCreate, Body()],
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
) -> AnswerOut:
    """ "I disagree": your own score (and verdict) replaces the grader's in the schedule and the
    statistics; the grader's grade stays in `grades`."""

    def work() -> AnswerOut:
        answer = disagree(
            session=session,
            user_id=user.id,
            answer_id=answer_id,
            score=body.score,
            verdict=body.verdict,
            default_retention=settings.review_desired_retention,
        )
        return answer_out(answer, grading_status(session=session, answer=answer))

    return await run_in_threadpool(work)
