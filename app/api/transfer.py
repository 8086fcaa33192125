"""Export and import of a person's history over the API (JSON backup, CSV), and the bank."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.api.errors import documented
from app.deps import AppSettings, DbSession
from app.practice.transfer import (
    ImportReport,
    bank_apkg,
    bank_notes,
    export_csv,
    export_history,
    import_history,
)

router = APIRouter(tags=["export"])

_EXAMPLE_EXPORT: dict[str, Any] = {
    "format": "mock-interview-history",
    "version": 1,
    "exported_at": "2026-11-26T15:00:00.000000Z",
    "questions": [
        {
            "ref": 1,
            "source": "day1.txt",
            "key": "what is the bias-variance tradeoff?",
            "part": {"number": 2, "title": "Core Machine Learning Principles and Algorithms"},
            "topic": {"number": 3, "title": "The Bias-Variance Tradeoff"},
            "position": 0,
            "text": "What is the bias-variance tradeoff?",
            "reference_answer": "Bias is error from wrong assumptions; variance from noise.",
            "alternative_answers": [],
            "follow_up": False,
            "retired": False,
        }
    ],
    "sessions": [],
    "answers": [
        {
            "ref": 1,
            "question": 1,
            "question_version": 1,
            "session": None,
            "item_position": None,
            "text": "Bias is underfitting, variance is overfitting.",
            "created_at": "2026-11-25T09:00:00.000000Z",
            "time_taken_ms": 42000,
            "grader": None,
            "grading_state": "done",
            "grading_error": None,
            "grades": [
                {
                    "score": 64.0,
                    "verdict": "correct",
                    "feedback": "",
                    "details": {},
                    "grader": "embedding",
                    "grader_version": "1.2",
                    "fallback": False,
                    "elapsed_ms": 30.0,
                    "usage": None,
                    "created_at": "2026-11-25T09:00:01.000000Z",
                }
            ],
        }
    ],
    "review_log": [
        {
            "question": 1,
            "answer": 1,
            "rating": 3,
            "score": 64.0,
            "source": "grade",
            "reviewed_at": "2026-11-25T09:00:00.000000Z",
            "duration_ms": 42000,
        }
    ],
    "cards": [],
    "examples": [],
    "preferences": None,
}
IMPORT_EXAMPLES = {"export": {"summary": "A JSON export", "value": _EXAMPLE_EXPORT}}


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/export",
    responses={
        200: {
            "description": "The history as JSON (a backup `POST /import` restores) or CSV.",
            "content": {"application/json": {}, "text/csv": {}},
        }
    },
)
def export(
    session: DbSession,
    user: CurrentUser,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """The person's answers, grades, review log and cards: JSON (lossless) or CSV (answers)."""
    if format == "csv":
        return Response(
            export_csv(session=session, user_id=user.id),
            media_type="text/csv; charset=utf-8",
            headers=_attachment("mock-interview-answers.csv"),
        )
    return JSONResponse(
        export_history(session=session, user_id=user.id),
        headers=_attachment("mock-interview-history.json"),
    )


@router.post(
    "/import",
    response_model=ImportReport,
    responses=documented({422: "Not a mock-interview export, or a damaged one."}),
)
async def import_export(
    document: Annotated[dict[str, Any], Body(openapi_examples=IMPORT_EXAMPLES)],
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
) -> ImportReport:
    """Restore a JSON export (the body) into this instance; answers already here are skipped."""

    def work() -> ImportReport:
        return import_history(
            session=session,
            user_id=user.id,
            document=document,
            default_retention=settings.review_desired_retention,
        )

    return await run_in_threadpool(work)


@router.get(
    "/export/bank",
    responses={
        200: {
            "description": "The active question bank as notes text or an Anki deck.",
            "content": {"text/plain": {}, "application/octet-stream": {}},
        }
    },
)
def export_bank(
    session: DbSession,
    user: CurrentUser,
    format: Annotated[Literal["notes", "apkg"], Query()] = "notes",
) -> Response:
    """The question bank as a notes file (`import` reads it back) or an Anki `.apkg` deck."""
    if format == "apkg":
        return Response(
            bank_apkg(session=session, user_id=user.id),
            media_type="application/octet-stream",
            headers=_attachment("mock-interview-bank.apkg"),
        )
    return Response(
        bank_notes(session=session, user_id=user.id),
        media_type="text/plain; charset=utf-8",
        headers=_attachment("mock-interview-bank.txt"),
    )
