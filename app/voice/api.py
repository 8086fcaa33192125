"""POST /api/v1/transcribe: speech to text with word timings and delivery figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from starlette.concurrency import run_in_threadpool

from app.api.errors import ApiError, documented
from app.deps import AppSettings, AppTranscriber
from app.voice.errors import VoiceError
from app.voice.schemas import TranscriptionOut
from app.voice.service import transcribe_upload

router = APIRouter(tags=["voice"])


async def read_upload(upload: UploadFile, *, max_bytes: int) -> bytes:
    """The upload's bytes, reading at most one byte past the limit."""
    return await upload.read(max_bytes + 1)


@router.post(
    "/transcribe",
    response_model=TranscriptionOut,
    responses=documented(
        {
            400: "The multipart body is malformed.",
            413: "The recording is over VOICE_MAX_BYTES or VOICE_MAX_SECONDS.",
            415: "The upload is not audio.",
            422: "No `audio` field, or the recording is empty or cannot be read.",
            503: "Transcription is off, not installed (the voice extra) or its model failed.",
        }
    ),
)
async def transcribe(
    audio: Annotated[UploadFile, File(description="The recording: WebM, Ogg, WAV, MP3, ...")],
    settings: AppSettings,
    transcriber: AppTranscriber,
) -> dict[str, Any]:
    """Transcribe a recording offline; nothing is stored.

    Returns the text, each word's timing, and delivery: speaking time, words per minute,
    filler words and long pauses, with feedback against what interview coaches recommend.
    """
    data = await read_upload(audio, max_bytes=settings.voice_max_bytes)
    try:
        _audio, transcription = await run_in_threadpool(
            transcribe_upload,
            transcriber=transcriber,
            data=data,
            content_type=audio.content_type,
            settings=settings,
        )
    except VoiceError as exc:
        raise ApiError(exc.status_code, exc.code, exc.message) from exc
    return transcription.as_dict()
