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
from app.material.parser import SUPPORTED_SUFFIXES, parse_notes
from app.practice.errors import AnswerTooLongError
from app.practice.options import MAX_QUESTIONS
from app.web.render import HtmlErrorRoute, error_status, render

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


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

    def work() -> HTMLResponse:
        # In a worker thread, not on the event loop: parsing takes CPU time, importing waits
        # for the write lock. The file is parsed (and its sizes checked) before the session
        # touches the database, so no lock is held while a large file is read.
        try:
            target = _reimported_name(source, name) if source else name
            parsed = parse_notes(_uploaded_text(name, raw), source=target)
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
        return _page(request, session, user.id, report=report)

    return await run_in_threadpool(work)


@router.post("/material/sources/{source_id}/retire")
def retire_material(source_id: IdPath, session: DbSession, user: CurrentUser) -> Response:
    """Take a notes file's questions out of the bank (answers and history stay)."""
    retire_source(session=session, user_id=user.id, source_id=source_id)
    return RedirectResponse(router.url_path_for("material"), status_code=303)


def _accepted() -> str:
    return "plain text or Markdown notes (.txt, .md) or a YAML/JSON bank (.yaml, .json)"


def _reimported_name(source: str, uploaded: str) -> str:
    """The bank's file name a re-import updates; its format still comes from the upload."""
    target, suffix = PurePath(source), PurePath(uploaded).suffix.lower()
    return target.name if target.suffix.lower() == suffix else f"{target.stem}{suffix}"


def _uploaded_text(name: str, raw: bytes) -> str:
    """The upload as text; NotesError or AnswerTooLongError when it cannot be imported."""
    if not name:
        raise NotesError("upload", 0, "choose a notes file to upload")
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"a {suffix} file" if suffix else "a file without an extension"
        raise NotesError(name, 0, f"{kind} cannot be imported; upload {_accepted()}")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise AnswerTooLongError(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NotesError(
            name, line, f"not UTF-8 text; save it as UTF-8 and upload {_accepted()}"
        ) from None
