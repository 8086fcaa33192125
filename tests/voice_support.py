"""Fixtures' helpers for voice tests: skip (or fail under REQUIRE_VOICE=1) without the tools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.voice.model import voice_installed
from tests.speech import ESPEAK, silence, speak, write_wav

# A recording with known fillers and pauses: a 4.5 s silence in the middle (long), a 1 s one
# (not long), "basically", "you know" and a set-off "like" (fillers), and "like" used as a
# preposition ("things like a query"), which is not a filler.
FILLER_PARTS: list[tuple[str, float]] = [
    ("So, a transformer uses self attention.", 4.5),
    ("It weighs every token, like, against every other token.", 1.0),
    ("Basically, you know, it replaces recurrence with attention over things like a query.", 0),
]


def require_voice() -> None:
    """Skip when the voice extra or espeak-ng is missing; fail instead under REQUIRE_VOICE=1."""
    missing = []
    if not voice_installed():
        missing.append("the voice extra (pip install '.[voice]')")
    if ESPEAK is None:
        missing.append("espeak-ng (apt-get install espeak-ng)")
    if not missing:
        return
    message = "voice tests need " + " and ".join(missing)
    if os.environ.get("REQUIRE_VOICE") == "1":
        pytest.fail(message)
    pytest.skip(message)


def filler_wav(folder: Path) -> Path:
    """The recording described by FILLER_PARTS."""
    parts = []
    for text, pause in FILLER_PARTS:
        parts.append(speak(text))
        if pause:
            parts.append(silence(pause))
    return write_wav(folder / "fillers.wav", *parts)
