"""Material: upload a notes file and see what the importer did with it."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.deps import AppSettings, DbSession
from app.material.bank import bank_outline
from app.material.importer import import_parsed_notes
from app.material.notes import NotesError
from app.material.parser import SUPPORTED_SUFFIXES, parse_notes
from app.practice.errors import AnswerTooLongError
from app.web.render import HtmlErrorRoute, error_status, render

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def _sources(session: DbSession, user_id: int) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for part in bank_outline(session=session, user_id=user_id):
        counts[part.source] = counts.get(part.source, 0) + part.question_count
    return sorted(counts.items())


def _page(
    request: Request,
    session: DbSession,
    user_id: int,
    *,
    report: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "sources": _sources(session, user_id),
        "report": report,
        "error": error,
        "suffixes": SUPPORTED_SUFFIXES,
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
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
) -> HTMLResponse:
    """Import an uploaded notes file and show the importer's report, or why it failed."""
    name = PurePath(notes.filename or "").name
    raw = await notes.read(MAX_UPLOAD_BYTES + 1) if name else b""

    def work() -> HTMLResponse:
        # In a worker thread, not on the event loop: parsing takes CPU time, importing waits
        # for the write lock. The file is parsed (and its sizes checked) before the session
        # touches the database, so no lock is held while a large file is read.
        try:
            parsed = parse_notes(_uploaded_text(name, raw), source=name)
            # A savepoint: a file that fails half-way leaves nothing behind, and the request's
            # unit of work stays the one place that commits.
            with session.begin_nested():
                report = import_parsed_notes(
                    session=session,
                    notes=parsed,
                    user_id=user.id,
                    max_answer_chars=settings.max_answer_chars,
                )
        except (NotesError, AnswerTooLongError) as exc:
            return _page(request, session, user.id, error=str(exc), status_code=error_status(exc))
        return _page(request, session, user.id, report=report.summary())

    return await run_in_threadpool(work)


def _uploaded_text(name: str, raw: bytes) -> str:
    """The upload as text; NotesError or AnswerTooLongError when it cannot be imported."""
    if not name:
        raise NotesError("upload", 0, "choose a notes file to upload")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise AnswerTooLongError(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NotesError(name, line, "not UTF-8 text") from None
