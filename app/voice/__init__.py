"""Spoken answers: offline transcription with faster-whisper and feedback on delivery."""
