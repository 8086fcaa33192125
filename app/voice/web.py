"""Browser routes of spoken answers: transcribe a recording for the answer box, replay it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from app.accounts.current import CurrentUser
from app.db import Database
from app.deps import AppSettings, AppTranscriber, DbSession, IdPath
from app.voice.errors import VoiceError
from app.voice.service import (
    audio_dir,
    kept_audio,
    store_recording,
    transcribe_upload,
)
from app.web.render import HtmlErrorRoute

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)


@router.post("/recordings", name="create_recording")
async def create_recording(
    request: Request,
    audio: Annotated[UploadFile, File()],
    settings: AppSettings,
    transcriber: AppTranscriber,
    user: CurrentUser,
) -> JSONResponse:
    """Transcribe the browser's recording; the page puts the text in the answer box."""
    data = await audio.read(settings.voice_max_bytes + 1)
    try:
        # Decoding and the model run in a worker thread, and no database connection is held
        # while they do; the recording is stored afterwards in a short transaction of its own.
        decoded, transcription = await run_in_threadpool(
            transcribe_upload,
            transcriber=transcriber,
            data=data,
            content_type=audio.content_type,
            settings=settings,
        )
    except VoiceError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, exc.status_code)
    database: Database = request.app.state.database
    keep_in = audio_dir(settings) if settings.voice_keep_audio else None

    def save() -> int:
        with database.session() as session:
            recording = store_recording(
                session=session,
                user_id=user.id,
                audio=decoded,
                transcription=transcription,
                keep_audio_in=keep_in,
            )
            return recording.id

    recording_id = await run_in_threadpool(save)
    return JSONResponse({"recording_id": recording_id, **transcription.as_dict()})


@router.get("/recordings/{recording_id}/audio", name="recording_audio")
def recording_audio(
    recording_id: IdPath, session: DbSession, settings: AppSettings, user: CurrentUser
) -> FileResponse:
    """The kept audio of a spoken answer, for replay beside its transcript."""
    path, media_type = kept_audio(
        session=session, settings=settings, user_id=user.id, recording_id=recording_id
    )
    return FileResponse(path, media_type=media_type)
