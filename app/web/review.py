"""Spaced review and progress in the browser: start a review, disagree, skip, the progress page."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.deps import AppSettings, DbSession, IdPath
from app.practice.errors import AnswerTooLongError
from app.practice.interviews import disagree, skip_turn, start_review
from app.practice.progress import build_progress, review_settings
from app.practice.reviews import MAX_RETENTION, MIN_RETENTION, set_desired_retention
from app.practice.transfer import (
    ImportReport,
    TransferError,
    bank_apkg,
    bank_notes,
    export_csv,
    export_history,
    import_history,
)
from app.web.charts import score_chart
from app.web.interview import turn_url
from app.web.render import HtmlErrorRoute, render

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

MAX_IMPORT_BYTES = 50 * 2**20


@router.post("/reviews/start", name="start_review")
def start_review_interview(
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    kind: Annotated[Literal["due", "new"], Form()] = "due",
) -> Response:
    """Start an interview of today's due questions (most overdue first), or of new ones."""
    interview = start_review(session=session, user_id=user.id, settings=settings, kind=kind)
    return RedirectResponse(turn_url(interview.id, interview.items[0].id), status_code=303)


@router.post("/interviews/{interview_id}/items/{item_id}/skip")
def skip_question(
    interview_id: IdPath,
    item_id: IdPath,
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
) -> Response:
    """ "I don't know": record a lapse and show the reference answer."""
    skip_turn(
        session=session,
        user_id=user.id,
        interview_id=interview_id,
        item_id=item_id,
        default_retention=settings.review_desired_retention,
    )
    return RedirectResponse(turn_url(interview_id, item_id), status_code=303)


@router.post("/answers/{answer_id}/override", name="disagree")
def override(
    answer_id: IdPath,
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    score: Annotated[str, Form()] = "",
    verdict: Annotated[str, Form()] = "",
) -> Response:
    """ "I disagree": the person's own score and verdict replace the grader's."""
    try:
        value: float | None = float(score)
    except ValueError:
        value = None  # the service says what is wrong, once it has found the answer
    answer = disagree(
        session=session,
        user_id=user.id,
        answer_id=answer_id,
        score=value,
        verdict=verdict,
        default_retention=settings.review_desired_retention,
    )
    item = answer.item
    if item is None:
        return RedirectResponse(f"/questions/{answer.question_id}/history", status_code=303)
    return RedirectResponse(turn_url(item.interview_id, item.id), status_code=303)


@router.get("/progress", response_class=HTMLResponse)
def progress_page(
    request: Request, session: DbSession, user: CurrentUser, settings: AppSettings
) -> HTMLResponse:
    """Progress per part and topic, readiness, streak, overrides and export links."""
    prefs = review_settings(session=session, user_id=user.id, settings=settings)
    progress = build_progress(
        session=session, user_id=user.id, desired_retention=prefs.desired_retention
    )
    charts = {
        part.number: score_chart(
            list(part.trend), noun="Day", what="Average score per practice day, oldest first"
        )
        for part in progress.parts
    }
    overall = score_chart(
        list(progress.overall.trend), noun="Day", what="Average score per practice day"
    )
    context = {
        "progress": progress,
        "charts": charts,
        "overall_chart": overall,
        "prefs": prefs,
        "min_retention": MIN_RETENTION,
        "max_retention": MAX_RETENTION,
    }
    return render(request, "progress.html", context)


@router.post("/progress/retention")
def change_retention(
    session: DbSession,
    user: CurrentUser,
    desired_retention: Annotated[float, Form()],
) -> Response:
    """Set the person's desired retention (0.70-0.97); their cards are rescheduled with it."""
    set_desired_retention(session=session, user_id=user.id, value=desired_retention)
    return RedirectResponse("/progress", status_code=303)


def _download(body: str | bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/export/history.json")
def export_history_file(session: DbSession, user: CurrentUser) -> Response:
    """The person's history as a JSON backup (what `/api/v1/export?format=json` gives)."""
    document = export_history(session=session, user_id=user.id)
    return _download(
        json.dumps(document, indent=1, ensure_ascii=False),
        "application/json",
        "mock-interview-history.json",
    )


@router.get("/export/answers.csv")
def export_answers_file(session: DbSession, user: CurrentUser) -> Response:
    """The person's answers and grades as CSV."""
    return _download(
        export_csv(session=session, user_id=user.id),
        "text/csv; charset=utf-8",
        "mock-interview-answers.csv",
    )


@router.get("/export/bank.txt")
def export_bank_notes(session: DbSession, user: CurrentUser) -> Response:
    """The question bank as a notes file."""
    return _download(
        bank_notes(session=session, user_id=user.id), "text/plain; charset=utf-8", "bank.txt"
    )


@router.get("/export/bank.apkg")
def export_bank_anki(session: DbSession, user: CurrentUser) -> Response:
    """The question bank as an Anki deck."""
    return _download(
        bank_apkg(session=session, user_id=user.id), "application/octet-stream", "bank.apkg"
    )


@router.post("/import", response_class=HTMLResponse)
async def import_history_file(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """Restore a JSON export uploaded from the progress page."""
    raw = await file.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise AnswerTooLongError(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TransferError(f"{file.filename or 'the file'} is not JSON: {exc}") from None

    def work() -> ImportReport:
        return import_history(
            session=session,
            user_id=user.id,
            document=document,
            default_retention=settings.review_desired_retention,
        )

    report = await run_in_threadpool(work)
    return render(request, "imported.html", {"report": report})
