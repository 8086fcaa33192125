"""Material: upload a notes file and see what the importer did with it."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.deps import AppSettings, DbSession, IdPath
from app.material.bank import source_summaries
from app.material.importer import ImportReport, import_parsed_notes, retire_source
from app.material.notes import NotesError
from app.material.parser import SUPPORTED_SUFFIXES
from app.material.upload import MAX_UPLOAD_BYTES, UploadPreparer, check_upload
from app.practice.errors import AnswerTooLongError
from app.practice.options import MAX_QUESTIONS
from app.web.render import HtmlErrorRoute, error_status, render

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)


def _page(
    request: Request,
    session: DbSession,
    user_id: int,
    *,
    report: ImportReport | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "sources": source_summaries(session=session, user_id=user_id),
        "report": report,
        "error": error,
        "suffixes": SUPPORTED_SUFFIXES,
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_questions": MAX_QUESTIONS,
    }
    return render(
        request, "material.html", context, fragment="_import_result.html", status_code=status_code
    )


@router.get("/material", response_class=HTMLResponse)
def material(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    """The notes files in the bank and the upload form."""
    return _page(request, session, user.id)


@router.post("/material", response_class=HTMLResponse)
async def upload_material(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    user: CurrentUser,
    notes: Annotated[UploadFile, File()],
    source: Annotated[str, Form(max_length=255)] = "",
) -> HTMLResponse:
    """Import an uploaded notes file and show the importer's report, or why it failed.

    With `source` (the re-import form of a file in the bank) the upload replaces that file's
    questions whatever the uploaded file is called, so a renamed copy updates, not duplicates.
    """
    name = PurePath(notes.filename or "").name
    raw = await notes.read(MAX_UPLOAD_BYTES + 1) if name else b""
    preparer: UploadPreparer = request.app.state.upload_preparer
    try:
        check_upload(name, raw)
        # Decoded, parsed and split into key points in a process of its own (seconds of
        # CPU for a large file), before the request's session touches the database.
        prepared = await preparer.prepare(
            raw,
            name=name,
            target=_reimported_name(source, name) if source else name,
            max_answer_chars=settings.max_answer_chars,
        )
    except (NotesError, AnswerTooLongError) as exc:
        return await run_in_threadpool(
            _page, request, session, user.id, error=str(exc), status_code=error_status(exc)
        )

    def work() -> HTMLResponse:
        # In a worker thread, not on the event loop: writing waits for the write lock.
        try:
            # A savepoint: a file that fails half-way leaves nothing behind, and the request's
            # unit of work stays the one place that commits.
            with session.begin_nested():
                report = import_parsed_notes(
                    session=session,
                    notes=prepared,
                    user_id=user.id,
                    max_answer_chars=settings.max_answer_chars,
                )
        except (NotesError, AnswerTooLongError) as exc:
            return _page(request, session, user.id, error=str(exc), status_code=error_status(exc))
        return _page(request, session, user.id, report=report)

    return await run_in_threadpool(work)


@router.post("/material/sources/{source_id}/retire")
def retire_material(source_id: IdPath, session: DbSession, user: CurrentUser) -> Response:
    """Take a notes file's questions out of the bank (answers and history stay)."""
    retire_source(session=session, user_id=user.id, source_id=source_id)
    return RedirectResponse(router.url_path_for("material"), status_code=303)


def _reimported_name(source: str, uploaded: str) -> str:
    """The bank's file name a re-import updates; its format still comes from the upload."""
    target, suffix = PurePath(source), PurePath(uploaded).suffix.lower()
    return target.name if target.suffix.lower() == suffix else f"{target.stem}{suffix}"
