"""Mock interviews in the browser: starting one, answering turns, grading, follow-ups, summary."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.deps import AppSettings, DbSession, Graders
from app.grading.feedback import follow_up_question
from app.grading.graders import GraderPool
from app.models import Answer, PracticeSession, SessionItem
from app.practice.errors import NotFoundError, PracticeError
from app.practice.grades import GradeView, save_answer
from app.practice.sessions import (
    MAX_QUESTIONS,
    add_follow_up,
    create_session,
    get_item,
    get_session,
    item_prompt,
    next_item,
    summarize,
)
from app.practice.users import get_or_create_user
from app.practice.web_support import (
    get_answer,
    grade_in_background,
    grade_now,
    grades_slowly,
    mark_regrading,
)
from app.web.highlight import highlight_evidence
from app.web.render import HtmlErrorRoute, error_status, is_htmx, render
from app.web.start_form import parse_start_form

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

MAX_TIME_TAKEN_MS = 24 * 3600 * 1000
FOLLOW_UP_CHOICES = 3


def now_ms() -> int:
    """Wall-clock milliseconds, as the answer form records when a question was shown."""
    return int(time.time() * 1000)


def item_url(item: SessionItem) -> str:
    """Where a turn of an interview is answered."""
    return f"/interviews/{item.session_id}/items/{item.id}"


@router.post("/interviews")
def start_interview(
    request: Request,
    session: DbSession,
    topic_ids: Annotated[list[str] | None, Form()] = None,
    question_ids: Annotated[list[str] | None, Form()] = None,
    count: Annotated[str, Form()] = "5",
    order: Annotated[str, Form()] = "random",
    time_limit_s: Annotated[str, Form()] = "",
) -> Response:
    """Start a mock interview from the home page's form, then go to its first question."""
    config = parse_start_form(
        topic_ids=topic_ids or [],
        question_ids=question_ids or [],
        count=count,
        order=order,
        time_limit_s=time_limit_s,
    )
    user = get_or_create_user(session=session)
    practice = create_session(session=session, user=user, config=config)
    return RedirectResponse(item_url(practice.items[0]), status_code=303)


@router.get("/interviews/{session_id}")
def resume_interview(session_id: int, session: DbSession) -> Response:
    """The interview's first unanswered question, or its summary when every one is answered."""
    practice = get_session(session=session, session_id=session_id)
    item = next_item(practice)
    url = item_url(item) if item else f"/interviews/{practice.id}/summary"
    return RedirectResponse(url, status_code=303)


def _next_turn(practice: PracticeSession, item: SessionItem) -> SessionItem | None:
    after = next_item(practice, after=item)
    if after is not None:
        return after
    first = next_item(practice)
    return first if first is not None and first.id != item.id else None


def _answer_context(
    practice: PracticeSession,
    item: SessionItem,
    *,
    answer: Answer | None,
    show_form: bool,
    text: str = "",
    error: str | None = None,
) -> dict[str, Any]:
    """What the answer area of a turn shows: the form, or the answer with its grade."""
    context: dict[str, Any] = {
        "practice": practice,
        "item": item,
        "answer": answer,
        "state": "form",
        "text": text,
        "error": error,
        "shown_at": now_ms(),
        "next_item": _next_turn(practice, item),
        "time_limit_s": (practice.config or {}).get("time_limit_s"),
    }
    if show_form or answer is None:
        return context
    grade = GradeView.of(answer.grades[-1]) if answer.grades else None
    numbered = list(enumerate(grade.key_points, start=1)) if grade else []
    followed = {child.prompt for child in practice.items if child.parent_item_id == item.id}
    context.update(
        state="graded" if grade else "failed" if answer.grading_error else "pending",
        grade=grade,
        covered=[(n, p) for n, p in numbered if p.get("status") in ("covered", "partial")],
        missed=[(n, p) for n, p in numbered if p.get("status") in ("missed", "contradicted")],
        highlighted=highlight_evidence(
            answer.text,
            [(n, p.get("evidence")) for n, p in numbered if p.get("status") != "missed"],
        ),
        followed_up=followed,
        follow_up_prompt=follow_up_question,
        can_follow_up=item.kind == "question",
        follow_up_limit=FOLLOW_UP_CHOICES,
    )
    return context


def _turn_page(
    request: Request,
    practice: PracticeSession,
    item: SessionItem,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The interview page for a turn, or only its answer area for htmx."""
    items = practice.items
    parent = next((i for i in items if i.id == item.parent_item_id), None)
    context |= {
        "prompt": item_prompt(item),
        "number": items.index(item) + 1,
        "total": len(items),
        "topic": item.question.topic.title,
        "parent": parent,
        "parent_prompt": item_prompt(parent) if parent else None,
        "parent_answer": parent.answers[-1].text if parent and parent.answers else None,
    }
    return render(
        request, "interview.html", context, fragment="_answer_area.html", status_code=status_code
    )


def _load_turn(
    session: Session, session_id: int, item_id: int
) -> tuple[PracticeSession, SessionItem]:
    practice = get_session(session=session, session_id=session_id)
    return practice, get_item(session=session, practice=practice, item_id=item_id)


@router.get("/interviews/{session_id}/items/{item_id}", response_class=HTMLResponse)
def show_turn(
    request: Request, session_id: int, item_id: int, session: DbSession, retry: bool = False
) -> HTMLResponse:
    """A question of the interview: the answer form, or the latest answer's grade card."""
    practice, item = _load_turn(session, session_id, item_id)
    answer = item.answers[-1] if item.answers else None
    context = _answer_context(practice, item, answer=answer, show_form=retry)
    return _turn_page(request, practice, item, context)


def _time_taken(shown_at: str) -> int | None:
    try:
        shown = int(shown_at)
    except ValueError:
        raise PracticeError("shown_at must be a time in milliseconds") from None
    taken = now_ms() - shown
    return taken if 0 <= taken <= MAX_TIME_TAKEN_MS else None


@router.post("/interviews/{session_id}/items/{item_id}/answers", response_class=HTMLResponse)
def answer_turn(
    request: Request,
    session_id: int,
    item_id: int,
    session: DbSession,
    settings: AppSettings,
    graders: Graders,
    background: BackgroundTasks,
    answer: Annotated[str, Form()] = "",
    shown_at: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Store the answer, then show its grade card (or a grading card that polls for it)."""
    practice, item = _load_turn(session, session_id, item_id)
    try:
        if not answer.strip():
            raise PracticeError("Write an answer before submitting it.")
        stored = save_answer(
            session=session,
            user=get_or_create_user(session=session),
            question=item.question,
            item=item,
            text=answer,
            max_chars=settings.max_answer_chars,
            time_taken_ms=_time_taken(shown_at) if shown_at else None,
        )
    except PracticeError as exc:
        if isinstance(exc, NotFoundError):
            raise
        status = error_status(exc)
        message = (
            f"Too long to grade: {exc}. Shorten it and submit again." if status == 413 else str(exc)
        )
        context = _answer_context(
            practice, item, answer=None, show_form=True, text=answer, error=message
        )
        return _turn_page(request, practice, item, context, status_code=status)
    _grade(request, session=session, answer=stored, graders=graders, background=background)
    context = _answer_context(practice, item, answer=stored, show_form=False)
    return _turn_page(request, practice, item, context)


def _grade(
    request: Request,
    *,
    session: Session,
    answer: Answer,
    graders: GraderPool,
    background: BackgroundTasks,
) -> None:
    """Grade now when the grader is quick; otherwise after the response, polled by the card."""
    if grades_slowly(graders):
        background.add_task(
            grade_in_background,
            database=request.app.state.database,
            graders=graders,
            answer_id=answer.id,
        )
    else:
        grade_now(session=session, answer=answer, graders=graders)


def _answer_turn(session: Session, answer_id: int) -> tuple[Answer, PracticeSession, SessionItem]:
    answer = get_answer(session=session, answer_id=answer_id)
    item = answer.session_item
    if item is None:
        raise NotFoundError(f"answer {answer_id} was not given in an interview")
    return answer, item.session, item


@router.get("/answers/{answer_id}/grade", response_class=HTMLResponse)
def poll_grade(request: Request, answer_id: int, session: DbSession) -> Response:
    """The answer's grade card once graded (htmx polls this), else the grading card again."""
    answer, practice, item = _answer_turn(session, answer_id)
    if not is_htmx(request):
        return RedirectResponse(item_url(item), status_code=303)
    session.refresh(answer)
    context = _answer_context(practice, item, answer=answer, show_form=False)
    return _turn_page(request, practice, item, context)


@router.post("/answers/{answer_id}/grade", response_class=HTMLResponse)
def retry_grading(
    request: Request,
    answer_id: int,
    session: DbSession,
    graders: Graders,
    background: BackgroundTasks,
) -> Response:
    """Grade a saved answer again after the grader failed."""
    answer, practice, item = _answer_turn(session, answer_id)
    if not answer.grades:
        mark_regrading(session=session, answer=answer)
        _grade(request, session=session, answer=answer, graders=graders, background=background)
    if not is_htmx(request):
        return RedirectResponse(item_url(item), status_code=303)
    context = _answer_context(practice, item, answer=answer, show_form=False)
    return _turn_page(request, practice, item, context)


@router.post("/interviews/{session_id}/items/{item_id}/follow-ups")
def follow_up(
    session_id: int,
    item_id: int,
    session: DbSession,
    point: Annotated[str, Form()],
) -> Response:
    """The interviewer follows up on a key point the answer missed, as the next turn."""
    practice, item = _load_turn(session, session_id, item_id)
    grade = next((a.grades[-1] for a in reversed(item.answers) if a.grades), None)
    missed = GradeView.of(grade).missed if grade else []
    if point not in [p.get("point") for p in missed]:
        raise PracticeError("You can only ask a follow-up on a key point the answer missed.")
    prompt = follow_up_question(point)
    existing = next(
        (i for i in practice.items if i.parent_item_id == item.id and i.prompt == prompt), None
    )
    new = existing or add_follow_up(session=session, practice=practice, item=item, point=point)
    return RedirectResponse(item_url(new), status_code=303)


@router.get("/interviews/{session_id}/summary", response_class=HTMLResponse)
def interview_summary(request: Request, session_id: int, session: DbSession) -> HTMLResponse:
    """Every question with its score and time, the average, and the weakest topics."""
    practice = get_session(session=session, session_id=session_id)
    summary = summarize(practice)
    return render(
        request,
        "summary.html",
        {"practice": practice, "summary": summary, "max_questions": MAX_QUESTIONS},
    )
