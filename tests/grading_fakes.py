"""A deterministic fake embedder: fast tests of anything that grades with embeddings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from app.grading.embedder import TokenEmbedding

_TOKEN = re.compile(r"\w+|[^\w\s]")
_SUFFIXES = ("ing", "ed", "es", "s")


def _root(word: str) -> str:
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class FakeEmbedder:
    """Bag-of-words vectors from hashed word roots: shared words mean similar texts.

    One token per word or punctuation mark, with true character offsets, so span pooling
    and evidence work as with the real model. Same text, same vector, in any process.
    """

    def __init__(self, dim: int = 64, *, ready: bool = True) -> None:
        self.name = "fake"
        self.dim = dim
        self.ready = ready
        self.calls: list[list[str]] = []

    def is_ready(self) -> bool:
        """Whether the fake pretends its model is loaded."""
        return self.ready

    def _word_vector(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(_root(word).encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def encode_tokens(self, texts: Sequence[str]) -> list[TokenEmbedding]:
        """Token vectors and offsets of every text, recorded in `calls`."""
        self.calls.append(list(texts))
        out = []
        for text in texts:
            matches = list(_TOKEN.finditer(text))
            if matches:
                tokens = np.stack([self._word_vector(m.group()) for m in matches])
                offsets = np.array([[m.start(), m.end()] for m in matches], dtype=np.int64)
            else:
                tokens = np.zeros((1, self.dim), dtype=np.float32)
                offsets = np.zeros((1, 2), dtype=np.int64)
            pooled = tokens.mean(axis=0)
            vector = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
            out.append(
                TokenEmbedding(
                    text=text, vector=vector.astype(np.float32), tokens=tokens, offsets=offsets
                )
            )
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 rows, one per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([t.vector for t in self.encode_tokens(texts)])
