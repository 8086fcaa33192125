"""Spoken answers: transcribe an upload, keep the recording, tie it to the answer it became."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session
from starlette.requests import Request

from app.config import Settings
from app.models import Answer, Recording
from app.practice.errors import NotFoundError
from app.schemas import MAX_ID
from app.voice.audio import Audio, decode_audio
from app.voice.delivery import Delivery, DeliveryNote, Pause, assess, combine, measure_delivery
from app.voice.model import Transcriber, Transcript


@dataclass(frozen=True)
class Transcription:
    """A recording's transcript with its delivery figures."""

    transcript: Transcript
    delivery: Delivery

    def as_dict(self) -> dict[str, Any]:
        """What the API and `transcribe --json` return."""
        return {
            "text": self.transcript.text,
            "duration_s": self.transcript.duration_s,
            "model": self.transcript.model,
            "elapsed_s": self.transcript.elapsed_s,
            "words": [
                {"word": w.text, "start": w.start, "end": w.end, "probability": w.probability}
                for w in self.transcript.words
            ],
            "delivery": self.delivery.as_dict(),
            "feedback": [
                {"aspect": n.aspect, "status": n.status, "figure": n.figure, "message": n.message}
                for n in assess(self.delivery)
            ],
        }


def transcribe_upload(
    *, transcriber: Transcriber, data: bytes, content_type: str | None, settings: Settings
) -> tuple[Audio, Transcription]:
    """Check, decode and transcribe an upload; blocks for seconds, so run it off the event loop."""
    if not transcriber.available():
        transcriber.load()  # raises the reason: switched off or not installed
    audio = decode_audio(
        data,
        content_type,
        max_bytes=settings.voice_max_bytes,
        max_seconds=settings.voice_max_seconds,
    )
    transcript = transcriber.transcribe(audio.samples)
    delivery = measure_delivery(
        transcript.words, duration_s=transcript.duration_s, samples=audio.samples
    )
    return audio, Transcription(transcript=transcript, delivery=delivery)


def audio_dir(settings: Settings) -> Path:
    """Where kept recordings are written."""
    return settings.data_dir / "audio"


def store_recording(
    *,
    session: Session,
    user_id: int,
    audio: Audio,
    transcription: Transcription,
    keep_audio_in: Path | None,
) -> Recording:
    """Store a user's transcribed recording, not yet tied to an answer (flushed only)."""
    delivery = transcription.delivery.as_dict()
    audio_file = None
    if keep_audio_in is not None:
        keep_audio_in.mkdir(parents=True, exist_ok=True)
        audio_file = f"{uuid.uuid4().hex}.{audio.extension}"
        (keep_audio_in / audio_file).write_bytes(audio.data)
    recording = Recording(
        user_id=user_id,
        model=transcription.transcript.model,
        transcript=transcription.transcript.text,
        duration_s=transcription.delivery.duration_s,
        speaking_s=transcription.delivery.speaking_s,
        word_count=transcription.delivery.word_count,
        fillers=delivery["fillers"],
        long_pauses=delivery["long_pauses"],
        words=transcription.as_dict()["words"],
        audio_file=audio_file,
        audio_type=audio.content_type if audio_file else None,
    )
    session.add(recording)
    session.flush()
    return recording


def attach_recordings(
    *, session: Session, answer: Answer, recording_ids: Sequence[int]
) -> list[Recording]:
    """Tie the recordings an answer was spoken in to it; ones already used, and other users'
    recordings, stay where they are."""
    # An id outside the range of ids names no recording, like any other unknown id.
    wanted = {i for i in recording_ids if 1 <= i <= MAX_ID}
    if not wanted:
        return []
    recordings = list(
        session.scalars(
            select(Recording).where(
                Recording.id.in_(wanted),
                Recording.answer_id.is_(None),
                Recording.user_id == answer.user_id,
            )
        )
    )
    for recording in recordings:
        recording.answer_id = answer.id
    session.flush()
    return recordings


def delivery_of(recording: Recording) -> Delivery:
    """The delivery figures stored with a recording."""
    return Delivery(
        duration_s=recording.duration_s,
        speaking_s=recording.speaking_s,
        word_count=recording.word_count,
        fillers={str(k): int(v) for k, v in (recording.fillers or {}).items()},
        long_pauses=[
            Pause(after=str(p["after"]), at_s=float(p["at_s"]), duration_s=float(p["duration_s"]))
            for p in recording.long_pauses or []
        ],
    )


@dataclass(frozen=True)
class AnswerDelivery:
    """How an answer was spoken, as the grade card and history show it."""

    answer_id: int
    delivery: Delivery
    notes: list[DeliveryNote]
    audio_ids: list[int]


def deliveries_for(*, session: Session, answer_ids: Sequence[int]) -> dict[int, AnswerDelivery]:
    """The delivery of each answer that was spoken, in one query."""
    if not answer_ids:
        return {}
    rows = session.scalars(
        select(Recording)
        .where(Recording.answer_id.in_(set(answer_ids)))
        .order_by(Recording.created_at, Recording.id)
    )
    by_answer: dict[int, list[Recording]] = {}
    for recording in rows:
        if recording.answer_id is not None:
            by_answer.setdefault(recording.answer_id, []).append(recording)
    views = {}
    for answer_id, recordings in by_answer.items():
        delivery = combine(delivery_of(r) for r in recordings)
        if delivery is None:
            continue
        views[answer_id] = AnswerDelivery(
            answer_id=answer_id,
            delivery=delivery,
            notes=assess(delivery),
            audio_ids=[r.id for r in recordings if r.audio_file],
        )
    return views


def delivery_for_answer(answer: Answer) -> AnswerDelivery | None:
    """The delivery of one answer when it was spoken, read in the answer's own session."""
    session = object_session(answer)
    if session is None:
        return None
    return deliveries_for(session=session, answer_ids=[answer.id]).get(answer.id)


def kept_audio(
    *, session: Session, settings: Settings, user_id: int, recording_id: int
) -> tuple[Path, str]:
    """The kept audio file of the user's recording and its media type; NotFoundError when there
    is none (or the recording is someone else's)."""
    recording = session.get(Recording, recording_id)
    if recording is None or recording.user_id != user_id or not recording.audio_file:
        raise NotFoundError(f"no kept audio for recording {recording_id}")
    path = audio_dir(settings) / recording.audio_file
    if not path.is_file():
        raise NotFoundError(f"the audio of recording {recording_id} is no longer on disk")
    return path, recording.audio_type or "application/octet-stream"


def transcriber_for(settings: Settings) -> Transcriber:
    """The transcriber an app with these settings uses."""
    return Transcriber(
        settings.whisper_model,
        compute_type=settings.whisper_compute_type,
        keep_fillers=settings.whisper_keep_fillers,
        enabled=settings.voice_enabled,
    )


def voice_available(request: Request) -> bool:
    """Whether pages offer the microphone: switched on and the voice extra installed."""
    transcriber: Transcriber | None = getattr(request.app.state, "transcriber", None)
    return transcriber is not None and transcriber.available()
