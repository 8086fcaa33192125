"""Practice sessions over the API: create one, answer its questions, read answers back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.api.errors import documented
from app.api.views import answer_out, session_item_out, session_out
from app.config import Settings
from app.deps import AppDatabase, AppSettings, DbSession, Graders, GradingEventsDep, IdPath
from app.grading.base import UnknownGraderError
from app.practice.grades import get_answer
from app.practice.grading_queue import grading_status, queue_depth
from app.practice.interviews import (
    answer_turn,
    ask_follow_up,
    queue_regrade,
    skip_turn,
    start_interview,
)
from app.practice.options import InterviewOptions
from app.practice.scoring import grader_for
from app.practice.turns import get_interview, next_item
from app.schemas import (
    AnswerCreate,
    AnswerOut,
    AnswerResult,
    FollowUpCreate,
    SessionItemOut,
    SessionOut,
)

router = APIRouter(tags=["sessions"])

# Routes that write are async and do their database work in one thread hop: FastAPI commits
# the request's session only after serialising the response, and a sync route serialises in
# a worker thread. While every thread waits for SQLite's write lock, a transaction waiting for
# a thread to serialise its response would keep that lock until the busy timeout.

MAX_IDEMPOTENCY_KEY = 100
MAX_POLL_WAIT_S = 60.0


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionOut,
    responses=documented({422: "Invalid body, or no active question matches."}),
)
async def start_session(
    body: Annotated[InterviewOptions, Body()], session: DbSession, user: CurrentUser
) -> SessionOut:
    """Start a mock interview: questions from the chosen topics (default all), in an order."""

    def work() -> SessionOut:
        return session_out(start_interview(session=session, user_id=user.id, options=body))

    return await run_in_threadpool(work)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionOut,
    responses=documented({404: "No such session."}),
)
def read_session(session_id: IdPath, session: DbSession, user: CurrentUser) -> SessionOut:
    """A session: its questions, their latest scores, and the next question to answer."""
    return session_out(get_interview(session=session, user_id=user.id, interview_id=session_id))


def _sync_wait_s(settings: Settings) -> float:
    """How long a synchronous answer waits for its grade: an LLM grader's tries, and a margin."""
    return min(300.0, settings.llm_timeout_s * (settings.llm_max_retries + 1) + 10.0)


def _answer_result(session: Session, user_id: int, answer_id: int) -> AnswerResult:
    answer = get_answer(session=session, user_id=user_id, answer_id=answer_id)
    status = grading_status(session=session, answer=answer)
    interview = answer.item.interview if answer.item is not None else None
    upcoming = next_item(interview) if interview is not None else None
    view = answer_out(answer, status)
    return AnswerResult(
        answer=view,
        grade=view.grade,
        grading=view.grading,
        next_item_id=upcoming.id if upcoming is not None else None,
        session_finished=interview is not None and interview.finished_at is not None,
    )


@router.post(
    "/sessions/{session_id}/answers",
    status_code=202,
    response_model=AnswerResult,
    responses={
        201: {"model": AnswerResult, "description": "Stored and graded (with `wait: true`)."},
        **documented(
            {
                404: "No such session, or no such turn in it.",
                409: "Every turn is answered and no item_id was given.",
                413: "The answer is over 20,000 characters (MAX_ANSWER_CHARS).",
                422: "Invalid body, or an unknown grader (details list the known ones).",
                503: "The chosen grader cannot be built (e.g. its model cannot be loaded).",
            }
        ),
    },
)
async def answer_question(
    session_id: IdPath,
    body: Annotated[AnswerCreate, Body()],
    response: Response,
    database: AppDatabase,
    graders: Graders,
    settings: AppSettings,
    events: GradingEventsDep,
    user: CurrentUser,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=MAX_IDEMPOTENCY_KEY,
            description="Send the same key again (a retry) and get the first answer back; "
            "nothing new is stored.",
        ),
    ] = None,
) -> AnswerResult:
    """Store an answer to a turn (default: the next one) and queue it for grading.

    Answers at once (202) with the answer, its grading state, its place in the queue and the
    link to poll. With `"wait": true` it waits for the grade and answers 201 with it, unless
    the queue is full: then 202 as usual. A grader failure never loses the answer.

    Two units of work, so the wait holds no connection: storing (committed, then a worker
    takes it), and reading the outcome.
    """
    if body.grader is not None and body.grader not in graders.names():
        raise UnknownGraderError(body.grader, graders.names())
    key = f"api:{idempotency_key}" if idempotency_key else None

    def store() -> tuple[int, int]:
        if body.grader is not None:
            grader_for(graders, body.grader)  # 503 before anything is stored if it can't be built
        with database.session() as session:
            stored = answer_turn(
                session=session,
                user_id=user.id,
                interview_id=session_id,
                item_id=body.item_id,
                text=body.answer,
                max_chars=settings.max_answer_chars,
                time_taken_ms=body.time_taken_ms,
                grader=body.grader,
                idempotency_key=key,
            )
            depth = queue_depth(session=session) if body.wait else 0
            return stored.id, depth

    answer_id, depth = await run_in_threadpool(store)
    if body.wait and depth <= settings.grading_queue_limit:
        await events.wait(answer_id, _sync_wait_s(settings))

    def read() -> AnswerResult:
        with database.session(write=False) as session:
            return _answer_result(session, user.id, answer_id)

    result = await run_in_threadpool(read)
    response.status_code = 201 if result.grade is not None else 202
    response.headers["Location"] = result.grading.poll
    return result


@router.get(
    "/answers/{answer_id}",
    response_model=AnswerOut,
    tags=["answers"],
    responses=documented({404: "No such answer."}),
)
async def read_answer(
    answer_id: IdPath,
    database: AppDatabase,
    events: GradingEventsDep,
    user: CurrentUser,
    wait: Annotated[
        float,
        Query(ge=0, le=MAX_POLL_WAIT_S, description="Seconds to wait for a pending grade."),
    ] = 0,
) -> AnswerOut:
    """A stored answer with its grades (latest last), its grading state and any error."""

    def read() -> AnswerOut:
        with database.session(write=False) as session:
            answer = get_answer(session=session, user_id=user.id, answer_id=answer_id)
            return answer_out(answer, grading_status(session=session, answer=answer))

    view = await run_in_threadpool(read)
    if wait and not _finished(view):
        await events.wait(answer_id, wait)
        view = await run_in_threadpool(read)
    return view


def _finished(view: AnswerOut) -> bool:
    return view.grading.state in ("done", "failed") or view.grading.stalled


@router.post(
    "/answers/{answer_id}/grade",
    response_model=AnswerOut,
    tags=["answers"],
    responses=documented({404: "No such answer."}),
)
async def regrade_answer(
    answer_id: IdPath, session: DbSession, events: GradingEventsDep, user: CurrentUser
) -> AnswerOut:
    """Queue an answer whose grading failed or stalled again (a graded one is left as is)."""

    def work() -> AnswerOut:
        answer = queue_regrade(session=session, user_id=user.id, answer_id=answer_id, events=events)
        return answer_out(answer, grading_status(session=session, answer=answer))

    return await run_in_threadpool(work)


@router.post(
    "/sessions/{session_id}/items/{item_id}/follow-ups",
    status_code=201,
    response_model=SessionItemOut,
    responses=documented(
        {
            404: "No such session or turn.",
            422: "Not a key point the turn's latest graded answer missed, or a follow-up turn.",
        }
    ),
)
async def follow_up_item(
    session_id: IdPath,
    item_id: IdPath,
    body: Annotated[FollowUpCreate, Body()],
    session: DbSession,
    user: CurrentUser,
) -> SessionItemOut:
    """The interviewer follows up on a key point the turn's answer missed: a new turn right
    after it (asking again for the same point gives that turn back)."""

    def work() -> SessionItemOut:
        turn = ask_follow_up(
            session=session,
            user_id=user.id,
            interview_id=session_id,
            item_id=item_id,
            point=body.point,
        )
        return session_item_out(turn)

    return await run_in_threadpool(work)


@router.post(
    "/sessions/{session_id}/items/{item_id}/skip",
    status_code=201,
    response_model=AnswerOut,
    responses=documented({404: "No such session or turn."}),
)
async def skip_item(
    session_id: IdPath,
    item_id: IdPath,
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
) -> AnswerOut:
    """ "I don't know": the turn is answered with nothing, graded 0 by you, and its question's
    review lapses (it comes back tomorrow)."""

    def work() -> AnswerOut:
        answer = skip_turn(
            session=session,
            user_id=user.id,
            interview_id=session_id,
            item_id=item_id,
            default_retention=settings.review_desired_retention,
        )
        return answer_out(answer, grading_status(session=session, answer=answer))

    return await run_in_threadpool(work)
