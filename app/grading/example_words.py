"""What a question's graded examples teach about words: a classifier of its own answers.

Once a question has a good number of graded example answers (a class's worth of graded
answers, a person's many reviewed attempts), the words and word pairs that separate the ones
that earned "correct" from the others are evidence the reference alone cannot give: which
wording the grader of this question accepted, which near-miss it did not. A logistic
regression over the Snowball stems and stem pairs of the examples learns them.

It is fitted in its dual form: with a few dozen examples and a few thousand word features
the weights lie in the span of the examples, so Newton's method runs on an n x n kernel of
shared features (n = examples) and a prediction needs only the features an answer shares
with each example. Deterministic, numpy only, a few milliseconds a question.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.grading.base import CORRECT_FROM, Exemplar
from app.grading.text import stem, words

# A question needs this many graded examples, and this many on each side of "correct",
# before its words are trusted at all; the trust grows to full at FULL_TRUST_EXAMPLES.
MIN_EXAMPLES = 8
MIN_PER_SIDE = 2
FULL_TRUST_EXAMPLES = 20
# Share of the score the words' verdict takes at full trust.
MAX_WEIGHT = 0.4
# Inverse strength of the L2 penalty (scikit-learn's `C`): 1, its default, set before
# measuring; 0.3 and 3 gave the same figures within 0.01 (docs/grading.md).
INVERSE_PENALTY = 1.0
# The constant feature's value squared: large, so that its weight (the intercept) is hardly
# penalised, as in scikit-learn's default; with 1 the intercept is pulled toward 0 and
# F1 on the split of docs/grading.md drops by 0.005-0.008.
INTERCEPT_SCALE = 16.0
_NEWTON_STEPS = 50
_TOLERANCE = 1e-8


def features(text: str) -> frozenset[str]:
    """The stems of a text's words and of each pair of neighbouring words."""
    stems = [stem(w) for w in words(text)]
    pairs = (f"{a} {b}" for a, b in itertools.pairwise(stems))
    return frozenset((*stems, *pairs))


@dataclass(frozen=True)
class WordModel:
    """A question's classifier: the examples' features and their dual weights."""

    examples: tuple[frozenset[str], ...]
    weights: tuple[float, ...]
    count: int

    def probability(self, answer: str) -> float:
        """How likely an answer with these words earned "correct", 0 to 1."""
        found = features(answer)
        shared = [len(found & f) + INTERCEPT_SCALE for f in self.examples]
        return _sigmoid(float(np.dot(self.weights, shared)))

    def weight(self) -> float:
        """Share of the score this model's verdict deserves, growing with its examples."""
        return MAX_WEIGHT * min(1.0, self.count / FULL_TRUST_EXAMPLES)


def fit(exemplars: Sequence[Exemplar]) -> WordModel | None:
    """The classifier of a question's graded examples; None when they are too few or too
    one-sided to learn from."""
    labels = np.array([e.score >= CORRECT_FROM for e in exemplars], dtype=float)
    positives = int(labels.sum())
    if len(exemplars) < MIN_EXAMPLES or min(positives, len(exemplars) - positives) < MIN_PER_SIDE:
        return None
    examples = tuple(features(e.text) for e in exemplars)
    # Shared features of every two examples, plus the constant feature's (the intercept's).
    kernel = np.array([[len(a & b) for b in examples] for a in examples], dtype=float)
    kernel += INTERCEPT_SCALE
    dual = _newton(kernel, labels)
    return WordModel(examples, tuple(float(w) for w in dual), len(exemplars))


def _newton(kernel: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Dual weights `a` of L2-penalised logistic regression, scores `kernel @ a`.

    The primal gradient is X^T (g + a / C) with g = p - y, and its Hessian step reduces to
    (S K + I / C) d = -(g + a / C) with S = diag(p (1 - p)).
    """
    n = len(labels)
    dual = np.zeros(n)
    ridge = np.eye(n) / INVERSE_PENALTY
    for _ in range(_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(kernel @ dual)))
        gradient = p - labels + dual / INVERSE_PENALTY
        curvature = (p * (1.0 - p))[:, None] * kernel
        step = np.linalg.solve(curvature + ridge, -gradient)
        dual += step
        if float(np.abs(step).max()) < _TOLERANCE:
            break
    return dual


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
