"""Graders that score an answer against a reference answer."""

from app.grading.base import (
    Grade,
    Grader,
    GradingError,
    GradingQuestion,
    KeyPointResult,
    UnknownGraderError,
)
from app.grading.registry import BUILTIN_GRADERS, GraderFactory, create_grader, grader_names

__all__ = [
    "BUILTIN_GRADERS",
    "Grade",
    "Grader",
    "GraderFactory",
    "GradingError",
    "GradingQuestion",
    "KeyPointResult",
    "UnknownGraderError",
    "create_grader",
    "grader_names",
]
