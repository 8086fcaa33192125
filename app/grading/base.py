"""The grading interface: what a grader takes and what it returns."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from app.grading.key_points import label_and_text

Verdict = Literal["correct", "partially_correct", "incorrect"]
PointStatus = Literal["covered", "partial", "missed", "contradicted"]


# One scale for every grader, so a verdict means the same whichever grader gave it.
# `correct` from 60: on mohler.csv the macro-F1 of "correct" against human full marks is
# higher there than at 70 (0.730 vs 0.713; 0.657 vs 0.587 against 4-of-5); docs/grading.md.
CORRECT_FROM = 60.0
PARTIAL_FROM = 40.0

# The most a score can be when a guard fires, on the same 0-100 scale in every grader.
# A contradicted key point holds the answer at the bottom of "partially correct": never
# "correct", but not "incorrect" on one contradiction either, as the offline rules that find
# one are right about half the time on text they were not written from (docs/grading.md,
# `embedding-1.17`). More than half the points contradicted is `incorrect`.
CAP_CONTRADICTED = 40.0
# More than half the key points contradicted. Above a restatement: a wholly wrong answer that
# engages with the topic ranks over one that says nothing (the adversarial sets' hand grades).
CAP_MOSTLY_CONTRADICTED = 25.0
CAP_RESTATED = 20.0  # the answer only restates the question
CAP_KEYWORDS = 35.0  # a bare list of terms where the reference explains in prose
CAP_OFF_TOPIC = 10.0
CAP_TOO_SHORT = CORRECT_FROM - 1  # the top of partial: two words are never a full answer

ScoreBand = Literal["good", "fair", "weak"]

# The spaced-review rating a grade earns, on the same scale (app/practice/reviews.py maps it to
# FSRS): below partial is a lapse (Again), partial is Hard, correct is Good, and a score this high
# is Easy. The Easy line sits where the graders' "all key points covered" answers land.
EASY_FROM = 85.0

ReviewRating = Literal["again", "hard", "good", "easy"]


def verdict_for(score: float) -> Verdict:
    """The verdict a 0-100 score earns."""
    if score >= CORRECT_FROM:
        return "correct"
    if score >= PARTIAL_FROM:
        return "partially_correct"
    return "incorrect"


def rating_for(score: float) -> ReviewRating:
    """The spaced-review rating a 0-100 score earns (thresholds beside the verdict's)."""
    if score >= EASY_FROM:
        return "easy"
    if score >= CORRECT_FROM:
        return "good"
    if score >= PARTIAL_FROM:
        return "hard"
    return "again"


_BANDS: dict[Verdict, ScoreBand] = {
    "correct": "good",
    "partially_correct": "fair",
    "incorrect": "weak",
}


def score_band(score: float) -> ScoreBand:
    """The colour band of a score (meter, card border): the verdict's, on its thresholds."""
    return _BANDS[verdict_for(score)]


def contradiction_cap(contradicted: int, points: int) -> float | None:
    """The cap for an answer contradicting `contradicted` of `points` key points, or None."""
    if not contradicted:
        return None
    return CAP_MOSTLY_CONTRADICTED if contradicted * 2 > points else CAP_CONTRADICTED


ExemplarSource = Literal["notes", "reviewed", "override", "dataset"]


@dataclass(frozen=True)
class Exemplar:
    """A graded example answer to a question: what was said and the 0-100 score it earned."""

    text: str
    score: float
    source: ExemplarSource = "notes"

    @property
    def verdict(self) -> Verdict:
        """The verdict the example's score earns on the one scale."""
        return verdict_for(self.score)


@dataclass(frozen=True)
class GradingQuestion:
    """A question as a grader sees it: text, reference answers, key points, graded examples.

    `reference_answers` always starts with `reference_answer` (the main reference, whose key
    points these are); the others are alternatives an answer may match instead.
    """

    question: str
    reference_answer: str
    key_points: tuple[str, ...] = ()
    content_hash: str | None = None
    reference_answers: tuple[str, ...] = ()
    exemplars: tuple[Exemplar, ...] = ()
    bank: Bank | None = None

    def __post_init__(self) -> None:
        references = tuple(r for r in self.reference_answers if r.strip())
        if not self.reference_answer and references:
            object.__setattr__(self, "reference_answer", references[0])
        if not references or references[0] != self.reference_answer:
            references = (self.reference_answer, *references)
        object.__setattr__(self, "reference_answers", tuple(dict.fromkeys(references)))


@dataclass(frozen=True)
class BankExample:
    """A graded example answer to one question of a bank, with that question as graded."""

    question: GradingQuestion
    exemplar: Exemplar


@dataclass(frozen=True, eq=False)
class Bank:
    """Graded example answers to the questions of one bank (a notes file, a data set).

    How they fare against their own questions' references tells where "correct" begins in
    the bank on a grader's scale: for its questions without examples of their own, and as
    the prior of those with a few. Compared by identity; `key` names the content, so the
    threshold is worked out once per grader and set of examples.
    """

    examples: tuple[BankExample, ...]
    key: str = field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha256()
        for example in self.examples:
            q = example.question
            for part in (q.question, *q.reference_answers, *q.key_points):
                digest.update(part.encode())
                digest.update(b"\0")
            digest.update(f"{example.exemplar.score:.3f}\0{example.exemplar.text}\1".encode())
        object.__setattr__(self, "key", digest.hexdigest())


@dataclass(frozen=True)
class KeyPointResult:
    """How one key point of the reference fared in an answer.

    `point` is the point as the grader read it ("Label: text"); `label` (a few words: the
    notes' sub-heading or the first clause) and `text` (the full claim) are derived from it
    when a grader does not give them.
    """

    point: str
    status: PointStatus
    evidence: str | None = None
    similarity: float | None = None
    label: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        if not self.label or not self.text:
            label, text = label_and_text(self.point)
            object.__setattr__(self, "label", self.label or label)
            object.__setattr__(self, "text", self.text or text)


@dataclass(frozen=True)
class Grade:
    """The result of grading one answer."""

    score: float
    verdict: Verdict
    key_points: list[KeyPointResult]
    feedback: str
    grader: str
    grader_version: str
    elapsed_ms: float = 0.0
    fallback: bool = False
    fallback_reason: str | None = None
    usage: dict[str, int] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the grade."""
        return asdict(self)


@runtime_checkable
class Grader(Protocol):
    """One small interface for every grader."""

    name: str
    version: str

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer to one question."""
        ...

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many answers, in input order, in as few model passes as possible."""
        ...

    def is_ready(self) -> bool:
        """True once the grader can grade without first loading anything."""
        ...


@runtime_checkable
class PreparesQuestions(Protocol):
    """A grader that can do the part of grading that depends on the question alone (a model
    pass over the reference side) before the question's first answer arrives."""

    def prepare(self, questions: Sequence[GradingQuestion]) -> int:
        """Get ready to grade answers to `questions`; how many were not ready before."""
        ...


def prepare(grader: Grader, questions: Sequence[GradingQuestion]) -> int:
    """Prepare `questions` on `grader` when it can (0 for a grader with nothing to prepare)."""
    return grader.prepare(questions) if isinstance(grader, PreparesQuestions) else 0


class GradingError(Exception):
    """A grader could not grade an answer."""


class UnknownGraderError(GradingError):
    """No grader is registered under that name."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown grader {name!r}; known graders: {', '.join(sorted(known))}")
        self.name = name
