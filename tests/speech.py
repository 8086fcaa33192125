"""Synthetic speech for voice tests and benchmarks: Debian's espeak-ng, spoken into WAV files."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from app.material.parser import read_notes_file

ESPEAK = shutil.which("espeak-ng")
DAY1 = Path(__file__).resolve().parents[1] / "app" / "material" / "default" / "day1.txt"
RATE = 16_000


def speak(text: str, *, words_per_minute: int = 150) -> np.ndarray:
    """Text spoken by espeak-ng as 16 kHz mono int16 samples."""
    if ESPEAK is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    raw = subprocess.run(
        [ESPEAK, "-v", "en-us", "-s", str(words_per_minute), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    with wave.open(_BytesReader(raw), "rb") as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    if rate != RATE:  # espeak-ng speaks at 22.05 kHz: resample linearly to 16 kHz
        positions = np.arange(0, len(samples), rate / RATE)
        samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.int16)
    return samples


class _BytesReader:
    # espeak-ng --stdout writes a WAV header with an unknown length; wave copes with a stream.
    def __init__(self, data: bytes) -> None:
        import io

        self._io = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._io.read(n)


def silence(seconds: float) -> np.ndarray:
    """Silent samples."""
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def write_wav(path: Path, *parts: np.ndarray) -> Path:
    """Write the parts one after another to a 16 kHz mono WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(np.concatenate(parts).astype(np.int16).tobytes())
    return path


def day1_answers(count: int, *, max_words: int = 70) -> list[tuple[str, str]]:
    """(question, opening of its reference answer) for the first day-1 questions.

    Openings end at a sentence end near `max_words`, so each is about 25 seconds of speech.
    """
    notes = read_notes_file(DAY1)
    picked = []
    for question in notes.questions:
        sentences = re.split(r"(?<=[.!?])\s+", question.answer.replace("\n", " "))
        text = ""
        for sentence in sentences:
            if text and len((text + " " + sentence).split()) > max_words:
                break
            text = f"{text} {sentence}".strip()
        picked.append((question.question, text))
        if len(picked) == count:
            break
    return picked
