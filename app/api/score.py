"""POST /score and /score/batch: stateless scoring, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Body, Request
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.api.deps import ApiQuestions
from app.api.errors import ApiError, documented
from app.api.scoring import ScoringGate, bank_ids, parse_batch, score_answer, score_batch
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

T = TypeVar("T")
BUSY_RETRY_AFTER_S = 1


async def _gated(request: Request, work: Callable[[], T]) -> T:
    """Run blocking scoring work in a thread if the scoring gate has room, else 429."""
    gate: ScoringGate = request.app.state.scoring_gate
    if not gate.try_enter():
        raise ApiError(
            429,
            "too_many_requests",
            f"{gate.limit} answers are being scored already; retry shortly",
            {"max_in_flight": gate.limit},
            headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
        )
    try:
        return await run_in_threadpool(work)
    finally:
        gate.leave()


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
            429: "SCORE_MAX_IN_FLIGHT scorings are running; retry after Retry-After s.",
            503: "The grader failed, or cannot be built (e.g. its model cannot be loaded).",
        }
    ),
)
async def score(
    request: Request,
    body: Annotated[ScoreRequest, Body(openapi_examples=SCORE_EXAMPLES)],
    database: AppDatabase,
    graders: Graders,
    questions: ApiQuestions,
    settings: AppSettings,
    user: CurrentUser,
) -> ScoreResponse:
    """Grade one answer to a bank question or to your own question; nothing is stored.

    With `"grader": "llm"` and the LLM unreachable, the answer is graded offline and the
    response says so: `fallback: true` and `fallback_reason`.
    """

    def work() -> ScoreResponse:
        # The bank is read in its own short unit of work; grading holds no connection.
        with database.session(write=False) as session:
            bank = questions.get_many(session=session, user_id=user.id, ids=bank_ids([body]))
        return score_answer(
            graders=graders, bank=bank, request=body, max_chars=settings.max_answer_chars
        )

    return await _gated(request, work)


@router.post(
    "/score/batch",
    response_model=BatchScoreResponse,
    responses=documented(
        {
            413: "More items than MAX_BATCH_ITEMS (256 by default).",
            429: "SCORE_MAX_IN_FLIGHT scorings are running; retry after Retry-After s.",
        }
    ),
)
async def score_many(
    request: Request,
    body: Annotated[BatchScoreRequest, Body(openapi_examples=BATCH_EXAMPLES)],
    database: AppDatabase,
    graders: Graders,
    questions: ApiQuestions,
    settings: AppSettings,
    user: CurrentUser,
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
        parsed, errors = parse_batch(body.items)
        with database.session(write=False) as session:
            bank = questions.get_many(
                session=session, user_id=user.id, ids=bank_ids(list(parsed.values()))
            )
        return score_batch(
            graders=graders,
            bank=bank,
            count=len(body.items),
            parsed=parsed,
            errors=errors,
            max_chars=settings.max_answer_chars,
        )

    results = await _gated(request, work)
    graded = sum(result.ok for result in results)
    return BatchScoreResponse(results=results, graded=graded, failed=len(results) - graded)
