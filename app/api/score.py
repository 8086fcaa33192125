"""POST /score and /score/batch: stateless scoring, nothing stored."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Request
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.api.deps import ApiQuestions
from app.api.errors import (
    ApiError,
    describe_validation,
    documented,
    domain_error,
    error_body,
    validation_details,
)
from app.api.views import grade_response
from app.deps import AppDatabase, AppSettings, Graders
from app.practice.scoring import Scored, bank_ids, score_answer, score_batch
from app.schemas import (
    BATCH_EXAMPLES,
    SCORE_EXAMPLES,
    BatchResult,
    BatchScoreRequest,
    BatchScoreResponse,
    ErrorBody,
    ScoreRequest,
    ScoreResponse,
)

router = APIRouter(tags=["scoring"])

T = TypeVar("T")
BUSY_RETRY_AFTER_S = 1
_ITEM = TypeAdapter[ScoreRequest](ScoreRequest)


class ScoringGate:
    """At most `limit` stateless gradings at once in this process; callers over it get 429.

    Grading holds a worker thread for its whole length (a hung LLM for its timeout); the gate
    keeps the rest of the server's threads for pages and the API.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def try_enter(self) -> bool:
        """Take a slot if one is free."""
        return self._slots.acquire(blocking=False)

    def leave(self) -> None:
        """Give the slot back."""
        self._slots.release()


def parse_batch(items: Sequence[Any]) -> tuple[dict[int, ScoreRequest], dict[int, ErrorBody]]:
    """Each raw batch item validated: the requests, and errors in place of invalid ones."""
    parsed: dict[int, ScoreRequest] = {}
    errors: dict[int, ErrorBody] = {}
    for index, raw in enumerate(items):
        try:
            parsed[index] = _ITEM.validate_python(raw)
        except ValidationError as exc:
            errors[index] = error_body(
                "validation_error",
                describe_validation(exc.errors()),
                validation_details(exc.errors()),
            )
    return parsed, errors


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
        scored = score_answer(
            graders=graders, bank=bank, request=body, max_chars=settings.max_answer_chars
        )
        return grade_response(scored.grade, question_id=scored.question_id)

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
        outcomes = score_batch(
            graders=graders, bank=bank, requests=parsed, max_chars=settings.max_answer_chars
        )
        return [
            _batch_result(i, outcomes.get(i), errors.get(i), graders.names())
            for i in range(len(body.items))
        ]

    results = await _gated(request, work)
    graded = sum(result.ok for result in results)
    return BatchScoreResponse(results=results, graded=graded, failed=len(results) - graded)


def _batch_result(
    index: int,
    outcome: Scored | Exception | None,
    invalid: ErrorBody | None,
    known_graders: list[str],
) -> BatchResult:
    """One item's place in a batch response: its grade, or why it has none."""
    if isinstance(outcome, Scored):
        grade = grade_response(outcome.grade, question_id=outcome.question_id)
        return BatchResult(index=index, ok=True, grade=grade)
    error = invalid
    if isinstance(outcome, Exception):
        _status, error = domain_error(outcome, known_graders)
    return BatchResult(index=index, ok=False, error=error)
