"""Practice sessions over the API: create one, answer its questions, read answers back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.api.errors import ApiError, documented
from app.api.scoring import grader_for
from app.api.views import answer_out, session_out
from app.config import Settings
from app.deps import AppDatabase, AppSettings, DbSession, Graders, GradingEventsDep, IdPath
from app.grading.base import UnknownGraderError
from app.practice.grades import submit_answer
from app.practice.grading_queue import grading_status, queue_depth, retry_grading
from app.practice.sessions import (
    SessionConfig,
    create_session,
    get_item,
    get_session,
    next_item,
)
from app.practice.web_support import get_answer
from app.schemas import AnswerCreate, AnswerOut, AnswerResult, SessionCreate, SessionOut

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
    body: Annotated[SessionCreate, Body()], session: DbSession, user: CurrentUser
) -> SessionOut:
    """Start a mock interview: questions from the chosen topics (default all), in an order."""

    def work() -> SessionOut:
        practice = create_session(
            session=session,
            user_id=user.id,
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

    return await run_in_threadpool(work)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionOut,
    responses=documented({404: "No such session."}),
)
def read_session(session_id: IdPath, session: DbSession, user: CurrentUser) -> SessionOut:
    """A session: its questions, their latest scores, and the next question to answer."""
    return session_out(get_session(session=session, user_id=user.id, session_id=session_id))


def _sync_wait_s(settings: Settings) -> float:
    """How long a synchronous answer waits for its grade: an LLM grader's tries, and a margin."""
    return min(300.0, settings.llm_timeout_s * (settings.llm_max_retries + 1) + 10.0)


def _answer_result(session: Session, user_id: int, answer_id: int) -> AnswerResult:
    answer = get_answer(session=session, user_id=user_id, answer_id=answer_id)
    status = grading_status(session=session, answer=answer)
    practice = answer.session_item.session if answer.session_item is not None else None
    upcoming = next_item(practice) if practice is not None else None
    view = answer_out(answer, status)
    return AnswerResult(
        answer=view,
        grade=view.grade,
        grading=view.grading,
        next_item_id=upcoming.id if upcoming is not None else None,
        session_finished=practice is not None and practice.finished_at is not None,
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
            practice = get_session(session=session, user_id=user.id, session_id=session_id)
            if body.item_id is not None:
                item = get_item(session=session, practice=practice, item_id=body.item_id)
            else:
                upcoming = next_item(practice)
                if upcoming is None:
                    raise ApiError(
                        409, "session_finished", f"session {session_id} has no open question"
                    )
                item = upcoming
            submitted = submit_answer(
                session=session,
                user=practice.user,
                question=item.question,
                text=body.answer,
                max_chars=settings.max_answer_chars,
                item=item,
                time_taken_ms=body.time_taken_ms,
                grader=body.grader,
                idempotency_key=key,
            )
            depth = queue_depth(session=session) if body.wait else 0
            return submitted.answer.id, depth

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
        answer = get_answer(session=session, user_id=user.id, answer_id=answer_id)
        if retry_grading(session=session, answer=answer):
            events.forget(answer.id)
        return answer_out(answer, grading_status(session=session, answer=answer))

    return await run_in_threadpool(work)
