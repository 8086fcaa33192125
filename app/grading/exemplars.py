"""Graded example answers: the nearest ones as extra references, a kNN vote and a calibration.

A question may carry example answers with a score (from the notes, from the person's own
reviewed attempts, from grades they overrode). For a new answer the nearest examples by
embedding similarity say what answers like it earned; the strong ones are also graded
against as extra references; and how the examples fare against the reference answers tells
where this question's "correct" begins on the grader's own scale.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.grading.base import CORRECT_FROM, Exemplar

# The strong examples nearest an answer that it is also graded against, as references.
POSITIVE_REFERENCES = 2
# How many nearest examples vote, and how sharply nearer ones outweigh farther ones.
VOTERS = 5
VOTE_TEMPERATURE = 0.05
# Similarity from which an example starts to count, and from which it counts fully.
TRUST_FROM, TRUST_FULL = 0.5, 0.9
# Share of the score the examples' vote may take at full trust.
MAX_VOTE_WEIGHT = 0.7
# Examples' worth of prior belief in the global threshold (CORRECT_FROM) when calibrating.
THRESHOLD_PRIOR = 4.0


@dataclass(frozen=True)
class Neighbour:
    """One example answer near the answer being graded."""

    exemplar: Exemplar
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for a grade's details."""
        return {
            "text": self.exemplar.text,
            "score": round(self.exemplar.score, 1),
            "verdict": self.exemplar.verdict,
            "source": self.exemplar.source,
            "similarity": round(self.similarity, 3),
        }


def nearest(
    exemplars: Sequence[Exemplar], similarities: np.ndarray, *, k: int | None = None
) -> list[Neighbour]:
    """Examples by falling similarity to the answer (the first `k` of them)."""
    order = np.argsort(-similarities, kind="stable")
    if k is not None:
        order = order[:k]
    return [Neighbour(exemplars[i], float(similarities[i])) for i in order]


def positive_references(neighbours: Sequence[Neighbour]) -> list[Exemplar]:
    """The nearest strong examples, to grade the answer against as if they were references."""
    strong = [n.exemplar for n in neighbours if n.exemplar.score >= CORRECT_FROM]
    return strong[:POSITIVE_REFERENCES]


def vote(neighbours: Sequence[Neighbour]) -> tuple[float, float]:
    """(score the nearest examples vote for, weight the vote deserves, 0 to MAX_VOTE_WEIGHT)."""
    voters = list(neighbours[:VOTERS])
    if not voters:
        return 0.0, 0.0
    top = voters[0].similarity
    weights = [math.exp((n.similarity - top) / VOTE_TEMPERATURE) for n in voters]
    score = sum(w * n.exemplar.score for w, n in zip(weights, voters, strict=True)) / sum(weights)
    trust = min(max((top - TRUST_FROM) / (TRUST_FULL - TRUST_FROM), 0.0), 1.0)
    return score, trust * MAX_VOTE_WEIGHT


def threshold(examples: Sequence[tuple[float, float]]) -> float:
    """Where "correct" begins on the grader's scale for one question, from graded examples.

    `examples` are (score the grader gave the example against the references, score the
    example earned). The cut that best separates examples that earned "correct" from the
    others (balanced accuracy), pulled toward CORRECT_FROM when there are few examples.
    """
    positives = sorted(g for g, earned in examples if earned >= CORRECT_FROM)
    negatives = sorted(g for g, earned in examples if earned < CORRECT_FROM)
    if not positives or not negatives:
        return CORRECT_FROM
    candidates = sorted({*positives, *negatives})
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(candidates)]
    cuts += [candidates[0] - 0.5, candidates[-1] + 0.5]
    best, best_accuracy = CORRECT_FROM, -1.0
    for cut in sorted(cuts, key=lambda c: abs(c - CORRECT_FROM)):
        accuracy = (
            sum(g >= cut for g in positives) / len(positives)
            + sum(g < cut for g in negatives) / len(negatives)
        ) / 2
        if accuracy > best_accuracy + 1e-9:
            best, best_accuracy = cut, accuracy
    n = len(examples)
    cut = (n * best + THRESHOLD_PRIOR * CORRECT_FROM) / (n + THRESHOLD_PRIOR)
    return min(max(cut, 1.0), 99.0)


def calibrate(score: float, cut: float) -> float:
    """Map a score so that `cut` lands on CORRECT_FROM, keeping 0 and 100 where they are."""
    if score <= cut:
        return score * CORRECT_FROM / cut
    return CORRECT_FROM + (score - cut) * (100.0 - CORRECT_FROM) / (100.0 - cut)
