"""The grading interface: what a grader takes and what it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Verdict = Literal["correct", "partially_correct", "incorrect"]
PointStatus = Literal["covered", "partial", "missed", "contradicted"]


# One scale for every grader, so a verdict means the same whichever grader gave it.
# `correct` from 60: on mohler.csv the macro-F1 of "correct" against human full marks is
# higher there than at 70 (0.730 vs 0.713; 0.657 vs 0.587 against 4-of-5); docs/grading.md.
CORRECT_FROM = 60.0
PARTIAL_FROM = 40.0


def verdict_for(score: float) -> Verdict:
    """The verdict a 0-100 score earns."""
    if score >= CORRECT_FROM:
        return "correct"
    if score >= PARTIAL_FROM:
        return "partially_correct"
    return "incorrect"


@dataclass(frozen=True)
class GradingQuestion:
    """A question as a grader sees it: text, reference answer and its key points."""

    question: str
    reference_answer: str
    key_points: tuple[str, ...] = ()
    content_hash: str | None = None


@dataclass(frozen=True)
class KeyPointResult:
    """How one key point of the reference fared in an answer."""

    point: str
    status: PointStatus
    evidence: str | None = None
    similarity: float | None = None


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


class GradingError(Exception):
    """A grader could not grade an answer."""


class UnknownGraderError(GradingError):
    """No grader is registered under that name."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown grader {name!r}; known graders: {', '.join(sorted(known))}")
        self.name = name
