"""Errors of spoken answers, each with the HTTP status a person should see."""

from __future__ import annotations


class VoiceError(Exception):
    """A voice problem a person can cause or meet; carries a status and a short code."""

    status_code = 422
    code = "invalid_audio"

    def __init__(self, message: str, *, status_code: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code


class AudioError(VoiceError):
    """The uploaded audio is empty, of the wrong type, unreadable, too big or too long."""


class VoiceUnavailableError(VoiceError):
    """Transcription cannot run here: the voice extra is missing or the model did not load."""

    status_code = 503
    code = "voice_unavailable"
