"""POST /score and /score/batch: stateless scoring, nothing stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from app.api.deps import ApiQuestions
from app.api.errors import ApiError, documented
from app.api.scoring import score_answer, score_batch
from app.deps import AppDatabase, AppSettings, Graders
from app.schemas import (
    BATCH_EXAMPLES,
    SCORE_EXAMPLES,
    BatchResult,
    BatchScoreRequest,
    BatchScoreResponse,
    ScoreRequest,
    ScoreResponse,
)

router = APIRouter(tags=["scoring"])

# These routes are async and do the database read and the grading in one worker-thread hop
# (a sync route with sync dependencies takes five or six): HTTP should add little to grading.


@router.post(
    "/score",
    response_model=ScoreResponse,
    responses=documented(
        {
            404: "No question with that id.",
            413: "The answer is over 20,000 characters (MAX_ANSWER_CHARS).",
            422: "Invalid body, or an unknown grader (details list the known ones).",
            503: "The grader failed, or cannot be built (e.g. its model cannot be loaded).",
        }
    ),
)
async def score(
    body: Annotated[ScoreRequest, Body(openapi_examples=SCORE_EXAMPLES)],
    database: AppDatabase,
    graders: Graders,
    questions: ApiQuestions,
    settings: AppSettings,
) -> ScoreResponse:
    """Grade one answer to a bank question or to your own question; nothing is stored.

    With `"grader": "llm"` and the LLM unreachable, the answer is graded offline and the
    response says so: `fallback: true` and `fallback_reason`.
    """

    def work() -> ScoreResponse:
        with database.session() as session:
            return score_answer(
                session=session,
                graders=graders,
                questions=questions,
                request=body,
                max_chars=settings.max_answer_chars,
            )

    return await run_in_threadpool(work)


@router.post(
    "/score/batch",
    response_model=BatchScoreResponse,
    responses=documented({413: "More items than MAX_BATCH_ITEMS (256 by default)."}),
)
async def score_many(
    body: Annotated[BatchScoreRequest, Body(openapi_examples=BATCH_EXAMPLES)],
    database: AppDatabase,
    graders: Graders,
    questions: ApiQuestions,
    settings: AppSettings,
) -> BatchScoreResponse:
    """Grade many answers in one model pass per grader; results come in input order.

    An item that cannot be graded (unknown question, answer too long, wrong shape, unknown
    grader) gets `ok: false` and an `error` in its place; the other items are still graded.
    """
    if len(body.items) > settings.max_batch_items:
        raise ApiError(
            413,
            "batch_too_large",
            f"{len(body.items)} items; the limit is {settings.max_batch_items}",
            {"max_items": settings.max_batch_items},
        )

    def work() -> list[BatchResult]:
        with database.session() as session:
            return score_batch(
                session=session,
                graders=graders,
                questions=questions,
                items=body.items,
                max_chars=settings.max_answer_chars,
            )

    results = await run_in_threadpool(work)
    graded = sum(result.ok for result in results)
    return BatchScoreResponse(results=results, graded=graded, failed=len(results) - graded)
