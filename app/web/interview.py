"""Mock interviews in the browser: starting one, answering turns, grading, follow-ups, summary."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.deps import AppSettings, DbSession, GradingEventsDep, IdPath
from app.grading.feedback import follow_up_question
from app.models import Answer, Interview, InterviewItem
from app.practice.errors import NotFoundError, PracticeError
from app.practice.grades import GradeView
from app.practice.grading_queue import GradingStatus, grading_status
from app.practice.interviews import (
    answer_turn,
    ask_follow_up,
    follow_up_points,
    get_turn,
    queue_regrade,
    start_interview,
    turn_of_answer,
)
from app.practice.options import MAX_QUESTIONS, options_from_form
from app.practice.self_grades import VERDICTS, machine_grade
from app.practice.stats import SELF_GRADER, attempt_of
from app.practice.turns import get_interview, item_prompt, next_item, summarize
from app.voice.service import delivery_for_answer
from app.web.highlight import highlight_evidence
from app.web.render import HtmlErrorRoute, error_status, is_htmx, render

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

MAX_TIME_TAKEN_MS = 24 * 3600 * 1000
# How long the page after a submit waits for the grade before showing the polling card;
# the wait holds no thread and no connection.
GRADE_WAIT_S = 3.0
MAX_IDEMPOTENCY_KEY = 100


def now_ms() -> int:
    """Wall-clock milliseconds, as the answer form records when a question was shown."""
    return int(time.time() * 1000)


def turn_url(interview_id: int, item_id: int) -> str:
    """Where a turn of an interview is answered."""
    return f"/interviews/{interview_id}/items/{item_id}"


def item_url(item: InterviewItem) -> str:
    """Where this turn is answered."""
    return turn_url(item.interview_id, item.id)


@router.post("/interviews", name="start_interview")
def start(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    topic_ids: Annotated[list[str] | None, Form()] = None,
    question_ids: Annotated[list[str] | None, Form()] = None,
    count: Annotated[str, Form()] = "5",
    order: Annotated[str, Form()] = "random",
    time_limit_s: Annotated[str, Form()] = "",
) -> Response:
    """Start a mock interview from the home page's form, then go to its first question."""
    options = options_from_form(
        topic_ids=topic_ids or [],
        question_ids=question_ids or [],
        count=count,
        order=order,
        time_limit_s=time_limit_s,
    )
    interview = start_interview(session=session, user_id=user.id, options=options)
    return RedirectResponse(item_url(interview.items[0]), status_code=303)


@router.get("/interviews/{interview_id}")
def resume_interview(interview_id: IdPath, session: DbSession, user: CurrentUser) -> Response:
    """The interview's first unanswered question, or its summary when every one is answered."""
    interview = get_interview(session=session, user_id=user.id, interview_id=interview_id)
    item = next_item(interview)
    url = item_url(item) if item else f"/interviews/{interview.id}/summary"
    return RedirectResponse(url, status_code=303)


def _next_turn(interview: Interview, item: InterviewItem) -> InterviewItem | None:
    after = next_item(interview, after=item)
    if after is not None:
        return after
    first = next_item(interview)
    return first if first is not None and first.id != item.id else None


def _answer_context(
    interview: Interview,
    item: InterviewItem,
    *,
    answer: Answer | None,
    show_form: bool,
    status: GradingStatus | None = None,
    text: str = "",
    error: str | None = None,
) -> dict[str, Any]:
    """What the answer area of a turn shows: the form, or the answer with its grade."""
    context: dict[str, Any] = {
        "interview": interview,
        "item": item,
        "answer": answer,
        "state": "form",
        "text": text,
        "error": error,
        "shown_at": now_ms(),
        # One key per rendered form: a double click or a resend stores the answer once.
        "idempotency_key": uuid.uuid4().hex,
        "next_item": _next_turn(interview, item),
        "time_limit_s": (interview.config or {}).get("time_limit_s"),
        "earlier": [attempt_of(a) for a in item.answers],
        "verdict_choices": VERDICTS,
    }
    if show_form or answer is None:
        return context
    latest = answer.grades[-1] if answer.grades else None
    own = latest if latest is not None and latest.grader == SELF_GRADER else None
    machine = machine_grade(answer)
    # The card lists the grader's key points; the person's own grade, if any, is the score.
    grade = GradeView.of(machine or latest) if latest is not None else None
    context["own_grade"] = GradeView.of(own) if own is not None else None
    context["skipped"] = bool(own is not None and own.details.get("skipped"))
    context["earlier"] = [attempt_of(a) for a in item.answers if a.id != answer.id]
    context["delivery"] = delivery_for_answer(answer)
    numbered = list(enumerate(grade.key_points, start=1)) if grade else []
    followed = {child.prompt for child in interview.items if child.parent_item_id == item.id}
    failed = status is not None and (status.state == "failed" or status.stalled)
    context.update(
        state="graded" if grade else "failed" if failed else "pending",
        grade=grade,
        grading=status,
        covered=[(n, p) for n, p in numbered if p.get("status") in ("covered", "partial")],
        missed=[(n, p) for n, p in numbered if p.get("status") in ("missed", "contradicted")],
        highlighted=highlight_evidence(
            answer.text,
            [(n, p.get("evidence")) for n, p in numbered if p.get("status") != "missed"],
        ),
        followed_up=followed,
        follow_up_prompt=follow_up_question,
        follow_up_points=follow_up_points(item),
    )
    return context


def _graded_context(
    session: Session, interview: Interview, item: InterviewItem, answer: Answer
) -> dict[str, Any]:
    """The answer area for a stored answer: its grade, or where its grading stands."""
    status = None if answer.grades else grading_status(session=session, answer=answer)
    return _answer_context(interview, item, answer=answer, show_form=False, status=status)


def _turn_page(
    request: Request,
    interview: Interview,
    item: InterviewItem,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The interview page for a turn, or only its answer area for htmx."""
    items = interview.items
    parent = next((i for i in items if i.id == item.parent_item_id), None)
    context |= {
        "prompt": item_prompt(item),
        "number": items.index(item) + 1,
        "total": len(items),
        "topic": item.question.topic.title,
        "parent": parent,
        "parent_prompt": item_prompt(parent) if parent else None,
        "parent_answer": parent.answers[-1].text if parent and parent.answers else None,
        "unanswered": sum(1 for i in items if not i.answers),
    }
    return render(
        request, "interview.html", context, fragment="_answer_area.html", status_code=status_code
    )


@router.get("/interviews/{interview_id}/items/{item_id}", response_class=HTMLResponse)
async def show_turn(
    request: Request,
    interview_id: IdPath,
    item_id: IdPath,
    session: DbSession,
    events: GradingEventsDep,
    user: CurrentUser,
    retry: bool = False,
    wait_for: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """A question of the interview: the answer form, or the latest answer's grade card.

    After a submit (`wait_for`), it first waits a moment for the grade, so a quick grader's
    card comes with the page and a slow one's polls.
    """
    if wait_for is not None and not retry:
        await events.wait(wait_for, GRADE_WAIT_S)

    def page() -> HTMLResponse:
        interview, item = get_turn(
            session=session, user_id=user.id, interview_id=interview_id, item_id=item_id
        )
        answer = item.answers[-1] if item.answers else None
        if retry or answer is None:
            context = _answer_context(interview, item, answer=answer, show_form=True)
        else:
            context = _graded_context(session, interview, item, answer)
        return _turn_page(request, interview, item, context)

    return await run_in_threadpool(page)


def _time_taken(shown_at: str) -> int | None:
    try:
        shown = int(shown_at)
    except ValueError:
        raise PracticeError("shown_at must be a time in milliseconds") from None
    taken = now_ms() - shown
    return taken if 0 <= taken <= MAX_TIME_TAKEN_MS else None


def _graded_url(item: InterviewItem, answer: Answer) -> str:
    """The turn's page, told to wait for this answer's grade."""
    return f"{item_url(item)}?wait_for={answer.id}"


@router.post(
    "/interviews/{interview_id}/items/{item_id}/answers",
    response_class=HTMLResponse,
    name="answer_turn",
)
def answer(
    request: Request,
    interview_id: IdPath,
    item_id: IdPath,
    session: DbSession,
    settings: AppSettings,
    user: CurrentUser,
    answer: Annotated[str, Form()] = "",
    shown_at: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form(max_length=MAX_IDEMPOTENCY_KEY)] = "",
    recording_id: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Store the answer and queue it for grading, then go to the turn's page for the grade."""
    try:
        stored = answer_turn(
            session=session,
            user_id=user.id,
            interview_id=interview_id,
            item_id=item_id,
            text=answer,
            max_chars=settings.max_answer_chars,
            time_taken_ms=_time_taken(shown_at) if shown_at else None,
            idempotency_key=f"form:{idempotency_key}" if idempotency_key else None,
            recording_ids=recording_id or [],
        )
    except PracticeError as exc:
        if isinstance(exc, NotFoundError):
            raise
        status = error_status(exc)
        message = (
            f"Too long to grade: {exc}. Shorten it and submit again." if status == 413 else str(exc)
        )
        interview, item = get_turn(
            session=session, user_id=user.id, interview_id=interview_id, item_id=item_id
        )
        context = _answer_context(
            interview, item, answer=None, show_form=True, text=answer, error=message
        )
        return _turn_page(request, interview, item, context, status_code=status)
    # 303: the browser (and htmx) fetch the turn with GET, which waits for the grade after
    # this request's transaction has committed and handed the answer to a worker.
    # A repeated key brings back the first answer, whose turn may be another one.
    turn = stored.item
    if turn is None:
        _practice, turn = get_turn(
            session=session, user_id=user.id, interview_id=interview_id, item_id=item_id
        )
    return RedirectResponse(_graded_url(turn, stored), status_code=303)


@router.get("/interviews/{interview_id}/items/{item_id}/answers")
def answers_of_turn(
    interview_id: IdPath, item_id: IdPath, session: DbSession, user: CurrentUser
) -> Response:
    """The form's own URL opened later (a bookmark, a reload after an error): go to the turn."""
    _practice, item = get_turn(
        session=session, user_id=user.id, interview_id=interview_id, item_id=item_id
    )
    return RedirectResponse(item_url(item), status_code=303)


@router.get("/answers/{answer_id}/grade", response_class=HTMLResponse)
def poll_grade(
    request: Request, answer_id: IdPath, session: DbSession, user: CurrentUser
) -> Response:
    """The answer's grade card once graded (htmx polls this), else the grading card again."""
    answer, interview, item = turn_of_answer(session=session, user_id=user.id, answer_id=answer_id)
    if not is_htmx(request):
        return RedirectResponse(item_url(item), status_code=303)
    context = _graded_context(session, interview, item, answer)
    return _turn_page(request, interview, item, context)


@router.post("/answers/{answer_id}/grade", response_class=HTMLResponse)
def retry_answer_grading(
    answer_id: IdPath, session: DbSession, events: GradingEventsDep, user: CurrentUser
) -> Response:
    """Queue a saved answer for grading again after its grading failed or stalled."""
    answer, _practice, item = turn_of_answer(session=session, user_id=user.id, answer_id=answer_id)
    queue_regrade(session=session, user_id=user.id, answer_id=answer.id, events=events)
    return RedirectResponse(_graded_url(item, answer), status_code=303)


@router.post("/interviews/{interview_id}/items/{item_id}/follow-ups")
def follow_up(
    interview_id: IdPath,
    item_id: IdPath,
    session: DbSession,
    user: CurrentUser,
    point: Annotated[str, Form()],
) -> Response:
    """The interviewer follows up on a key point the answer missed, as the next turn."""
    new = ask_follow_up(
        session=session, user_id=user.id, interview_id=interview_id, item_id=item_id, point=point
    )
    return RedirectResponse(item_url(new), status_code=303)


@router.get("/interviews/{interview_id}/summary", response_class=HTMLResponse)
def interview_summary(
    request: Request, interview_id: IdPath, session: DbSession, user: CurrentUser
) -> HTMLResponse:
    """Every question with its score and time, the average, and the weakest topics."""
    interview = get_interview(session=session, user_id=user.id, interview_id=interview_id)
    summary = summarize(interview)
    return render(
        request,
        "summary.html",
        {
            "interview": interview,
            "summary": summary,
            "max_questions": MAX_QUESTIONS,
            "resume_item": next_item(interview),
        },
    )
