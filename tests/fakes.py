"""Fakes that implement the real interfaces, for fast deterministic tests."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.grading.base import Grade, GradingError, GradingQuestion, KeyPointResult, verdict_for
from app.grading.feedback import compose_feedback
from app.grading.registry import GraderFactory

_WORD = re.compile(r"[a-z][a-z\-]{3,}")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class OverlapGrader:
    """Scores by the share of each key point's words the answer uses; deterministic and instant."""

    name = "fake-overlap"
    version = "1"

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls = 0

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer."""
        self.calls += 1
        if self.fail:
            raise GradingError("the fake grader was told to fail")
        answer_words = _words(answer)
        points = question.key_points or (question.reference_answer,)
        results = []
        for point in points:
            words = _words(point)
            share = len(words & answer_words) / len(words) if words else 0.0
            status = "covered" if share >= 0.5 else "partial" if share >= 0.25 else "missed"
            evidence = next((w for w in answer.split() if w.lower().strip(".,") in words), None)
            results.append(
                KeyPointResult(point=point, status=status, evidence=evidence, similarity=share)
            )
        score = 100.0 * sum(r.similarity or 0.0 for r in results) / len(results)
        verdict = verdict_for(score)
        feedback = compose_feedback(results)
        return Grade(
            score=round(score, 1),
            verdict=verdict,
            key_points=results,
            feedback=feedback,
            grader=self.name,
            grader_version=self.version,
        )

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many answers."""
        return [self.grade(question, answer) for question, answer in items]

    def is_ready(self) -> bool:
        """Always ready."""
        return True


# The graders every test app gets beside the built-ins: instant, deterministic, no model.
FAKE_GRADERS: dict[str, GraderFactory] = {
    "fake": lambda settings: OverlapGrader(),
    "failing": lambda settings: OverlapGrader(fail=True),
}
