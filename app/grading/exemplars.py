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
from typing import Any, TypeVar

import numpy as np

from app.grading.base import CORRECT_FROM, Exemplar

T = TypeVar("T")

# The strong examples nearest an answer that it is also graded against, as references.
POSITIVE_REFERENCES = 2
# How many nearest examples vote, and how sharply nearer ones outweigh farther ones.
VOTERS = 5
VOTE_TEMPERATURE = 0.05
# Similarity from which an example starts to count, and from which it counts fully.
TRUST_FROM, TRUST_FULL = 0.5, 0.9
# Share of the score the examples' vote may take at full trust.
MAX_VOTE_WEIGHT = 0.7
# Examples' worth of prior belief in the threshold a question's cut is pulled toward: the
# bank's when its other questions have graded examples, else the global CORRECT_FROM.
THRESHOLD_PRIOR = 4.0
# The most graded examples a bank's threshold is worked out from (each is graded against its
# own question's references once per set of examples): on the SemEval training split, 200
# drawn across questions set the cut as well as all 4,000-5,000 (docs/grading.md).
BANK_EXAMPLES = 200


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


def threshold(examples: Sequence[tuple[float, float]], *, prior: float = CORRECT_FROM) -> float:
    """Where "correct" begins on the grader's scale for one question or bank, from graded
    examples.

    `examples` are (score the grader gave the example against the references, score the
    example earned). The cut that best separates examples that earned "correct" from the
    others (balanced accuracy), pulled toward `prior` when there are few examples; `prior`
    itself when the examples are all of one kind.
    """
    positives = sorted(g for g, earned in examples if earned >= CORRECT_FROM)
    negatives = sorted(g for g, earned in examples if earned < CORRECT_FROM)
    if not positives or not negatives:
        return prior
    candidates = sorted({*positives, *negatives})
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(candidates)]
    cuts += [candidates[0] - 0.5, candidates[-1] + 0.5]
    best, best_accuracy = prior, -1.0
    for cut in sorted(cuts, key=lambda c: abs(c - prior)):
        accuracy = (
            sum(g >= cut for g in positives) / len(positives)
            + sum(g < cut for g in negatives) / len(negatives)
        ) / 2
        if accuracy > best_accuracy + 1e-9:
            best, best_accuracy = cut, accuracy
    n = len(examples)
    cut = (n * best + THRESHOLD_PRIOR * prior) / (n + THRESHOLD_PRIOR)
    return min(max(cut, 1.0), 99.0)


def spread(groups: Sequence[Sequence[T]], limit: int = BANK_EXAMPLES) -> list[T]:
    """At most `limit` items taken in turn from each group (the first of every group, then
    the second, ...): a bank's examples drawn across its questions, not from the first few."""
    taken: list[T] = []
    for row in itertools.zip_longest(*groups):
        for item in row:
            if item is not None:
                taken.append(item)
                if len(taken) == limit:
                    return taken
    return taken


def calibrate(score: float, cut: float) -> float:
    """Map a score so that `cut` lands on CORRECT_FROM, keeping 0 and 100 where they are."""
    if score <= cut:
        return score * CORRECT_FROM / cut
    return CORRECT_FROM + (score - cut) * (100.0 - CORRECT_FROM) / (100.0 - cut)
