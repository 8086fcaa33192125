"""A grader that asks the LLM only about answers the offline grader is unsure of."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from app.config import Settings
from app.grading.base import Grade, Grader, GradingQuestion, prepare
from app.grading.llm import LLMGrader
from app.grading.registry import create_grader

# Offline scores in this band (inclusive) are the uncertain middle that goes to the LLM;
# below it the answer is clearly wrong, above it clearly right (docs/llm-grader.md).
DEFAULT_BAND = (35.0, 75.0)
# Scores further apart than this flag a disagreement worth a human look.
DEFAULT_DISAGREEMENT = 30.0
# An offline grade above the band whose claim judge (embedding-1.18) doubts a claim this much
# is not clearly right: the LLM reads it too.
DOUBT_ASKS_FROM = 0.5


class HybridGrader:
    """The offline grader first; the LLM for answers whose offline score is in the middle band."""

    name = "hybrid"
    # Gradings it is unsure of are requests to a model service (references.ReferenceGrader).
    calls_service = True

    def __init__(
        self,
        *,
        offline: Grader,
        llm: Grader,
        band: tuple[float, float] = DEFAULT_BAND,
        disagreement_at: float = DEFAULT_DISAGREEMENT,
    ) -> None:
        if band[0] > band[1]:
            raise ValueError(f"the band's low end {band[0]} is above its high end {band[1]}")
        self.offline = offline
        self.llm = llm
        self.band = band
        self.disagreement_at = disagreement_at
        # Either part changing changes the grades, so both versions are part of this one.
        self.version = f"1+{offline.name}-{offline.version}+{llm.name}-{llm.version}"

    @classmethod
    def from_settings(cls, settings: Settings, *, offline: Grader | None = None) -> HybridGrader:
        """The offline grader (default: the embedding one) and an LLM grader falling back to it."""
        if offline is None:
            offline = create_grader("embedding", settings)
        return cls(offline=offline, llm=LLMGrader.from_settings(settings, fallback=offline))

    def is_ready(self) -> bool:
        """Ready when the offline grader is; the LLM is optional and falls back when absent."""
        return self.offline.is_ready()

    def prepare(self, questions: Sequence[GradingQuestion]) -> int:
        """The offline grader prepares the questions; the LLM has nothing to prepare."""
        return prepare(self.offline, questions)

    def in_band(self, score: float) -> bool:
        """True when an offline score is uncertain enough to ask the LLM."""
        return self.band[0] <= score <= self.band[1]

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer."""
        return self.grade_batch([(question, answer)])[0]

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many answers: one offline pass, then one LLM batch for the middle band."""
        offline_grades = self.offline.grade_batch(items)
        middle = [
            i
            for i, grade in enumerate(offline_grades)
            if self.in_band(grade.score) or _doubted(grade)
        ]
        llm_grades = self.llm.grade_batch([items[i] for i in middle]) if middle else []
        by_index = dict(zip(middle, llm_grades, strict=True))
        return [
            self._combine(offline_grade, by_index.get(i))
            for i, offline_grade in enumerate(offline_grades)
        ]

    def _combine(self, offline: Grade, llm: Grade | None) -> Grade:
        details: dict[str, Any] = {
            "band": list(self.band),
            "offline": _summary(offline),
            "offline_details": offline.details,
        }
        if llm is None:
            details |= {"decided_by": offline.grader, "llm_called": False, "disagreement": False}
            return self._as_hybrid(offline, details=details)
        if llm.fallback:
            # The LLM failed and its fallback re-graded offline: keep the first offline grade,
            # but say the LLM was wanted and why it could not answer.
            details |= {"decided_by": offline.grader, "llm_called": True, "disagreement": False}
            return self._as_hybrid(
                offline,
                details=details,
                elapsed_ms=offline.elapsed_ms + llm.elapsed_ms,
                fallback=True,
                fallback_reason=llm.fallback_reason,
            )
        gap = abs(llm.score - offline.score)
        details |= {
            "decided_by": llm.grader,
            "llm_called": True,
            "llm": _summary(llm),
            "llm_details": llm.details,
            "score_gap": round(gap, 1),
            "disagreement": gap > self.disagreement_at,
        }
        return self._as_hybrid(llm, details=details, elapsed_ms=offline.elapsed_ms + llm.elapsed_ms)

    def _as_hybrid(self, grade: Grade, *, details: dict[str, Any], **changes: Any) -> Grade:
        return dataclasses.replace(
            grade, grader=self.name, grader_version=self.version, details=details, **changes
        )


def _summary(grade: Grade) -> dict[str, Any]:
    return {
        "grader": grade.grader,
        "grader_version": grade.grader_version,
        "score": grade.score,
        "verdict": grade.verdict,
    }


def _doubted(grade: Grade) -> bool:
    """The offline claim judge doubts one of the answer's claims more than not."""
    return float(grade.details.get("claim_doubt", 0.0)) >= DOUBT_ASKS_FROM
