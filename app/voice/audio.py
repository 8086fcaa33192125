"""Checking and decoding uploaded audio: type, size, readability and length, before any model."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from app.voice.errors import AudioError, VoiceUnavailableError
from app.voice.model import INSTALL_HINT, SAMPLE_RATE

# Browsers label MediaRecorder output audio/webm or audio/ogg (some video/webm); command-line
# clients often send no type or application/octet-stream. The decoder has the last word.
_GENERIC_TYPES = {"", "application/octet-stream", "video/webm", "video/ogg", "video/mp4"}

EXTENSIONS = {
    "audio/webm": "webm",
    "video/webm": "webm",
    "audio/ogg": "ogg",
    "video/ogg": "ogg",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "video/mp4": "m4a",
    "audio/flac": "flac",
}


@dataclass(frozen=True)
class Audio:
    """Decoded audio: 16 kHz mono float32 samples and what was uploaded."""

    samples: np.ndarray
    data: bytes
    content_type: str

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / SAMPLE_RATE

    @property
    def extension(self) -> str:
        """A file extension for keeping the upload as it came."""
        return EXTENSIONS.get(self.content_type, "bin")


def base_type(content_type: str | None) -> str:
    """The media type without parameters (`audio/webm;codecs=opus` -> `audio/webm`)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_upload(data: bytes, content_type: str | None, *, max_bytes: int) -> str:
    """The upload's media type, or AudioError when it is not audio, empty or too big."""
    kind = base_type(content_type)
    if not (kind.startswith("audio/") or kind in _GENERIC_TYPES):
        raise AudioError(
            f"{kind} is not audio: send a recording (WebM, Ogg, WAV, MP3, M4A or FLAC)",
            status_code=415,
            code="unsupported_media_type",
        )
    if not data:
        raise AudioError("the recording is empty: nothing was recorded", code="empty_audio")
    if len(data) > max_bytes:
        raise AudioError(
            f"the recording is {len(data):,} bytes; the limit is {max_bytes:,}",
            status_code=413,
            code="audio_too_large",
        )
    return kind


def decode_audio(
    data: bytes, content_type: str | None, *, max_bytes: int, max_seconds: float
) -> Audio:
    """Check and decode an upload to 16 kHz mono; AudioError says what is wrong with it."""
    kind = check_upload(data, content_type, max_bytes=max_bytes)
    try:
        from faster_whisper.audio import decode_audio as whisper_decode
    except ImportError as exc:
        raise VoiceUnavailableError(f"spoken answers need faster-whisper: {INSTALL_HINT}") from exc
    try:
        samples = whisper_decode(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many kinds for a file that is not media
        raise AudioError(
            "could not read the recording: the file is damaged or not in an audio format",
            code="unreadable_audio",
        ) from exc
    audio = Audio(samples=np.asarray(samples, dtype=np.float32), data=data, content_type=kind)
    if audio.samples.size == 0:
        raise AudioError("the recording holds no sound", code="empty_audio")
    if audio.duration_s > max_seconds:
        raise AudioError(
            f"the recording is {audio.duration_s:.0f} s long; the limit is {max_seconds:g} s",
            status_code=413,
            code="audio_too_long",
        )
    return audio
