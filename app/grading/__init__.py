"""Graders that score an answer against a reference answer."""

from app.grading.base import (
    Grade,
    Grader,
    GradingError,
    GradingQuestion,
    KeyPointResult,
    UnknownGraderError,
)
from app.grading.registry import create_grader, grader_names, register

__all__ = [
    "Grade",
    "Grader",
    "GradingError",
    "GradingQuestion",
    "KeyPointResult",
    "UnknownGraderError",
    "create_grader",
    "grader_names",
    "register",
]
