"""API shapes of a transcription."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WordOut(BaseModel):
    """One word and when it was said."""

    word: str
    start: float = Field(description="Seconds from the start of the recording.")
    end: float
    probability: float


class PauseOut(BaseModel):
    """A silence longer than three seconds between words."""

    after: str = Field(description="The word said before it.")
    at_s: float
    duration_s: float


class DeliveryOut(BaseModel):
    """How it was said: figures from the word timings and the audio."""

    duration_s: float = Field(description="Length of the recording.")
    speaking_s: float = Field(description="From the first word to the last.")
    word_count: int
    words_per_minute: float | None = Field(description="None for under 5 s or 5 words.")
    filler_count: int
    fillers: dict[str, int] = Field(description='Each filler heard and how often ("um": 2).')
    fillers_per_minute: float | None
    long_pauses: list[PauseOut]


class DeliveryNoteOut(BaseModel):
    """Feedback on one aspect against what interview coaches recommend (docs/voice.md)."""

    aspect: str
    status: str = Field(description="good or work_on.")
    figure: str
    message: str


class TranscriptionOut(BaseModel):
    """A recording's transcript, word timings and delivery."""

    text: str
    duration_s: float
    model: str
    elapsed_s: float = Field(description="Seconds the transcription took.")
    words: list[WordOut]
    delivery: DeliveryOut
    feedback: list[DeliveryNoteOut]
