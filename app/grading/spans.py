"""An answer's spans (sentences and clauses) and their vectors pooled from its tokens."""

from __future__ import annotations

import re

import numpy as np

from app.grading.embedder import TokenEmbedding
from app.grading.text import words

_SPAN_BREAK = re.compile(r"(?<=[.!?;:])\s+|\n+|(?<=[.!?])(?=[A-Z])")
_CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:but|while|whereas|although|though|and|so|which|because)\b)|\s+(?=(?:but|whereas|while)\s)",
    re.IGNORECASE,
)
# A clause shorter than this stays part of its sentence rather than a span of its own.
MIN_CLAUSE_WORDS = 3


def answer_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of an answer's sentences and clauses, in order, without duplicates."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece in [*_SPAN_BREAK.split(text), ""]:
        start = text.find(piece, pos) if piece else -1
        if start < 0:
            continue
        end = start + len(piece)
        pos = end
        s, e = _strip_span(text, start, end)
        if e <= s:
            continue
        spans.append((s, e))
        sentence = text[s:e]
        cpos = 0
        clauses = [c for c in _CLAUSE_BREAK.split(sentence) if c]
        if len(clauses) > 1:
            for clause in clauses:
                cstart = sentence.find(clause, cpos)
                cpos = cstart + len(clause)
                cs, ce = _strip_span(text, s + cstart, s + cpos)
                if len(words(text[cs:ce])) >= MIN_CLAUSE_WORDS and (cs, ce) not in spans:
                    spans.append((cs, ce))
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;-•*"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def span_vectors(emb: TokenEmbedding, spans: list[tuple[int, int]]) -> np.ndarray:
    """Mean-pool the answer's contextual token vectors over each span ("late chunking")."""
    starts, ends = emb.offsets[:, 0], emb.offsets[:, 1]
    bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    # (spans x tokens) membership, then one product pools every span at once.
    member = (
        (ends > starts)[None, :]
        & (starts[None, :] >= bounds[:, :1])
        & (ends[None, :] <= bounds[:, 1:])
    ).astype(np.float32)
    counts = member.sum(axis=1, keepdims=True)
    pooled = (member @ emb.tokens) / np.maximum(counts, 1.0)
    # A span with no tokens of its own falls back to the whole text.
    pooled[counts[:, 0] == 0] = emb.vector
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32)
