"""Token-level matching: the content-word token vectors of a text, and how well an answer's
tokens recall each key point's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from app.grading.embedder import TokenEmbedding
from app.grading.text import is_content_word, stem, word_spans


@dataclass(frozen=True)
class ContentTokens:
    """Unit token vectors of a text's content words, with their stems."""

    vectors: np.ndarray  # (n, dim), L2-normalised
    stems: tuple[str, ...]


def content_tokens(emb: TokenEmbedding) -> ContentTokens:
    """The token vectors of an embedding that fall inside content words."""
    # Where each word stands in the text the tokenizer read, not in its normalised form.
    matches = word_spans(emb.text)
    if not matches:
        return ContentTokens(np.zeros((0, emb.tokens.shape[1]), dtype=np.float32), ())
    word_starts = np.fromiter((s for s, _, _ in matches), dtype=np.int64, count=len(matches))
    word_ends = np.fromiter((e for _, e, _ in matches), dtype=np.int64, count=len(matches))
    starts, ends = emb.offsets[:, 0], emb.offsets[:, 1]
    # The word each token starts in: the first word ending after the token's start.
    word_of = np.searchsorted(word_ends, starts, side="right")
    inside = (ends > starts) & (word_of < len(matches))  # not special tokens, not past the end
    inside[inside] &= word_starts[word_of[inside]] <= starts[inside]  # not punctuation
    # Per word, not per token: whether it carries meaning, and its stem.
    lowered = [w for _, _, w in matches]
    content = np.fromiter((is_content_word(w) for w in lowered), dtype=bool, count=len(lowered))
    inside[inside] &= content[word_of[inside]]
    keep = np.flatnonzero(inside)
    stems = [stem(lowered[j]) for j in word_of[keep].tolist()]
    if not len(keep):
        return ContentTokens(np.zeros((0, emb.tokens.shape[1]), dtype=np.float32), ())
    vectors = emb.tokens[keep]
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return ContentTokens(vectors.astype(np.float32), tuple(stems))


@dataclass(frozen=True)
class PointTokens:
    """Every key point's content-token vectors in one matrix, weighted against the question."""

    vectors: np.ndarray  # (total tokens, dim), L2-normalised
    weights: np.ndarray  # (total tokens,)
    bounds: tuple[tuple[int, int], ...]  # each point's rows


def matmul_t(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b.T for small matrices, on torch's thread pool.

    numpy's multi-threaded OpenBLAS, once torch has started its own threads, takes ~5 ms for
    a 150x384 by 384x60 product that torch does in 0.1 ms; per answer that was most of the
    grading time beyond the model.
    """
    return torch.from_numpy(np.ascontiguousarray(a)).matmul(torch.from_numpy(b).T).numpy()


def point_tokens(points: list[ContentTokens], question: ContentTokens, dim: int) -> PointTokens:
    """Stack the points' tokens; weigh each by how little the question already gives it away."""
    bounds = []
    start = 0
    for p in points:
        bounds.append((start, start + len(p.stems)))
        start += len(p.stems)
    vectors = (
        np.concatenate([p.vectors for p in points])
        if start
        else np.zeros((0, dim), dtype=np.float32)
    )
    if start and len(question.stems):
        given = np.clip(matmul_t(vectors, question.vectors).max(axis=1), 0.0, 1.0)
        # A floor keeps a point that only uses the question's words from weighing nothing.
        weights = np.maximum(1.0 - given, 0.15)
    else:
        weights = np.ones(start, dtype=np.float32)
    return PointTokens(vectors, weights.astype(np.float32), tuple(bounds))


def weighted_recalls(points: PointTokens, answer: ContentTokens) -> list[float]:
    """Per point: how well answer tokens cover its tokens, discounting what the question gives."""
    if not len(answer.stems) or not len(points.weights):
        return [0.0] * len(points.bounds)
    best = matmul_t(points.vectors, answer.vectors).max(axis=1) * points.weights
    return [
        float(best[s:e].sum() / points.weights[s:e].sum()) if e > s else 0.0
        for s, e in points.bounds
    ]
